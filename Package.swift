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
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
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
                "TollgateJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateLifecycle",
            dependencies: ["TollgateJSON", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateStore",
            dependencies: ["TollgateLifecycle", "TollgateSQLite", "TollgateJSON"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateRuntime",
            dependencies: [
                "TollgateLifecycle", "TollgatePolicy", "TollgateJSON", "TollgateStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "TransitionBenchmark",
            dependencies: [
                "TollgateLifecycle", "TollgatePolicy", "TollgateRuntime", "TollgateStore", "TollgateSQLite", "TollgateJSON",
            ],
            path: "Benchmarks/TransitionBenchmark",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TollgateTestSupport",
            dependencies: ["TollgatePolicy", "TollgateJSON", "TollgateLifecycle"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TollgateJSONTests",
            dependencies: ["TollgateJSON"],
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
                "TollgateStore", "TollgateSQLite",
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
