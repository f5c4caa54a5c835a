// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "tollgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tollgate", targets: ["TollgateCLI"]),
        .library(name: "TollgatePolicy", targets: ["TollgatePolicy"]),
        .library(name: "TollgateJSON", targets: ["TollgateJSON"]),
        .library(name: "TollgateLifecycle", targets: ["TollgateLifecycle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only: the gRPC exporter would add its whole stack to every build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // Lua 5.4 from the system (Debian: liblua5.4-dev).
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // SQLite from the system (Debian: libsqlite3-dev).
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "TollgateSQLite",
            dependencies: ["CSQLite"],
            swiftSettings: swiftSettings
        ),
        // The part of the Lua bridge that must be C: allocator, hooks, protected calls, input views.
        .target(
            name: "CTollgateLua",
            dependencies: ["CLua"],
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"])]
        ),
        .target(
            name: "TollgateJSON",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgatePolicy",
            dependencies: [
                "CTollgateLua",
                "TollgateJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TollgateCLI",
            dependencies: [
                "TollgatePolicy",
                "TollgateLifecycle",
                "TollgateRuntime",
                "TollgateStore",
                "TollgateServer",
                "TollgateJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                "TollgatePostgres",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateLifecycle",
            dependencies: [
                "TollgateJSON", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateStore",
            dependencies: ["TollgateLifecycle", "TollgateSQLite", "TollgateJSON"],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL store, for several replicas over one database: the schema, its migrations, the lifecycle store.
        .target(
            name: "TollgatePostgres",
            dependencies: [
                "TollgateLifecycle", "TollgateJSON", "TollgateSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateRuntime",
            dependencies: [
                "TollgateLifecycle", "TollgatePolicy", "TollgateJSON", "TollgateStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateServer",
            dependencies: [
                "TollgateLifecycle", "TollgateRuntime", "TollgateStore", "TollgatePostgres", "TollgatePolicy", "TollgateJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TransitionBenchmark",
            dependencies: [
                "TollgateLifecycle", "TollgatePolicy", "TollgateRuntime", "TollgateStore", "TollgateSQLite", "TollgateJSON",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/TransitionBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DecisionLogBenchmark",
            dependencies: [
                "TollgateJSON", "TollgateLifecycle", "TollgateStore", "TollgateServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/DecisionLog",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ServiceLoadBenchmark",
            dependencies: [
                "TollgateJSON", "TollgateTestSupport", "TollgateTestServers", "TollgateLifecycle", "TollgatePostgres", "TollgateStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ServiceLoad",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateTestSupport",
            dependencies: ["TollgatePolicy", "TollgateJSON", "TollgateLifecycle"],
            swiftSettings: swiftSettings
        ),
        // Small HTTP servers that stand in for the services Tollgate talks to, in their wire formats.
        .target(
            name: "TollgateTestServers",
            dependencies: [
                "TollgateJSON", "TollgateTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgateJSONTests",
            dependencies: ["TollgateJSON", "TollgateTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgatePostgresTests",
            dependencies: [
                "TollgatePostgres", "TollgateTestSupport", "TollgateSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // One suite of the store's contract, run against the memory, SQLite and PostgreSQL stores.
        .testTarget(
            name: "TollgateStoreTests",
            dependencies: ["TollgateLifecycle", "TollgateStore", "TollgatePostgres", "TollgateSQLite", "TollgateJSON", "TollgateTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgateSQLiteTests",
            dependencies: ["TollgateSQLite", "TollgateTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgateLifecycleTests",
            dependencies: ["TollgateLifecycle", "TollgateJSON", "TollgateTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgateEngineTests",
            dependencies: [
                "TollgateLifecycle", "TollgateRuntime", "TollgatePolicy", "TollgateJSON", "TollgateTestSupport",
                "TollgateStore", "TollgateSQLite", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgateServerTests",
            dependencies: [
                "TollgateServer", "TollgateLifecycle", "TollgateRuntime", "TollgateStore", "TollgatePolicy", "TollgateJSON",
                "TollgateTestSupport", "TollgateTestServers",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgatePolicyTests",
            dependencies: ["TollgatePolicy", "TollgateJSON", "TollgateTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
