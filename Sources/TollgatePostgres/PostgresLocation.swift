import Foundation
public import PostgresNIO
import NIOSSL

/// Where a PostgreSQL database is: a `postgres://user:password@host:port/database` address
/// (`?sslmode=disable|prefer|require`, `?host=/socket/folder` for a unix socket), the schema
/// Tollgate's tables live in, and how many connections a replica opens.
public struct PostgresLocation: Sendable {
    public var configuration: PostgresClient.Configuration
    /// The same, for one connection outside the pool (a probe that fails fast).
    var connection: PostgresConnection.Configuration
    public var schema: String
    public var pool: Int
    /// The address without its password, for messages.
    public let shown: String

    /// A malformed address, said plainly.
    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public init(url: String, schema: String = "tollgate", pool: Int = 8) throws(Malformed) {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? "") else {
            throw Malformed(description: "'\(Self.withoutPassword(url))' is not a postgres:// address (postgres://user:password@host:5432/database)")
        }
        guard let user = parts.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw Malformed(description: "'\(Self.withoutPassword(url))' names no user (postgres://user@host/database)")
        }
        guard Self.isIdentifier(schema) else {
            throw Malformed(description: "schema '\(schema)' must be letters, digits and _ (starting with a letter)")
        }
        let password = parts.password?.removingPercentEncoding
        let database = parts.path.isEmpty ? nil : String(parts.path.dropFirst()).removingPercentEncoding
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            let socket = "\(socketFolder)/.s.PGSQL.\(parts.port ?? 5432)"
            configuration = PostgresClient.Configuration(unixSocketPath: socket, username: user, password: password, database: database)
            connection = PostgresConnection.Configuration(unixSocketPath: socket, username: user, password: password, database: database)
        } else {
            guard let host = parts.host, !host.isEmpty else {
                throw Malformed(description: "'\(Self.withoutPassword(url))' names no host")
            }
            let mode = query["sslmode"] ?? "prefer"
            guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(mode) else {
                throw Malformed(description: "sslmode '\(mode)' is not one of disable, prefer, require")
            }
            let port = parts.port ?? 5432
            let tls: PostgresClient.Configuration.TLS
            let connectionTLS: PostgresConnection.Configuration.TLS
            if mode == "disable" {
                tls = .disable
                connectionTLS = .disable
            } else {
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: .makeClientConfiguration())
                } catch {
                    throw Malformed(description: "cannot set up TLS for '\(Self.withoutPassword(url))': \(error)")
                }
                let required = mode.hasPrefix("verify") || mode == "require"
                tls = required ? .require(.makeClientConfiguration()) : .prefer(.makeClientConfiguration())
                connectionTLS = required ? .require(context) : .prefer(context)
            }
            configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
            connection = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: connectionTLS)
        }
        configuration.options.maximumConnections = max(1, pool)
        // Every connection works in the schema, without a statement of its own to say so.
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        connection.options.additionalStartupParameters = [("search_path", schema)]
        self.schema = schema
        self.pool = max(1, pool)
        shown = Self.withoutPassword(url)
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return text.count <= 63 && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    static func withoutPassword(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "***"
        return parts.string ?? url
    }
}
