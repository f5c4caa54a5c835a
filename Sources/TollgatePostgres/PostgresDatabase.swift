public import Logging
import PostgresNIO

/// A PostgreSQL database Tollgate keeps its state in: a pool of connections (run for the life of
/// `withDatabase`), and the schema's migrations.
public struct PostgresDatabase: Sendable {
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    /// The deadlines of the store's calls, watched while `withDatabase` runs.
    let deadlines: CallDeadlines

    /// A database that cannot be used, said plainly: unreachable, refused, or written by a newer
    /// Tollgate.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `body` with the database's connection pool running, and closes the pool after it.
    /// A database that does not answer within `reachWithin` is a `Failure` naming it.
    public static func withDatabase<T: Sendable>(
        _ location: PostgresLocation, logger: Logger = Logger(label: "tollgate.postgres"), reachWithin: Duration = .seconds(15),
        _ body: @Sendable (PostgresDatabase) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: location.configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let deadlines = CallDeadlines()
            group.addTask { await client.run() }
            group.addTask { await deadlines.watch() }
            defer { group.cancelAll() }
            let database = PostgresDatabase(location: location, client: client, logger: logger, deadlines: deadlines)
            try await database.probe(within: reachWithin)
            return try await body(database)
        }
    }

    /// Opens one connection outside the pool and closes it: a refused connection, a wrong password
    /// or a missing database is a `Failure` at once (the pool would keep trying), and a database
    /// that does not answer within `limit` is one too.
    func probe(within limit: Duration) async throws {
        let configuration = location.connection
        let logger = logger
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try? await connection.close()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            defer { group.cancelAll() }
            do {
                return try await group.next() ?? false
            } catch {
                throw Failure(description: "cannot use the database: \(String(reflecting: error))")
            }
        }
        guard answered else { throw Failure(description: "the database did not answer within \(limit.components.seconds) s") }
    }

    /// The newest schema version this Tollgate knows.
    public static var knownVersion: Int { PostgresSchema.migrations.count }

    /// The schema's version in the database (0 when none was applied).
    public func version() async throws -> Int {
        try await withSchema { connection in try await Self.appliedVersion(connection, schema: location.schema, logger: logger) }
    }

    /// Applies the migrations the database lacks, each in its own transaction, under an advisory
    /// lock so that replicas starting together apply each once; refuses a database whose schema is
    /// newer than this Tollgate knows. Answers the versions applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        let schema = location.schema
        return try await client.withConnection { connection in
            _ = try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                let applied = try await Self.migrate(connection, schema: schema, logger: logger)
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
        }
    }

    /// The advisory lock migrations hold (an arbitrary number, Tollgate's own).
    static let migrationLock = 7_416_301

    static func migrate(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> [Int] {
        _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
        _ = try await connection.query(
            PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \"\(schema)\".schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"),
            logger: logger)
        let current = try await appliedVersion(connection, schema: schema, logger: logger)
        guard current <= knownVersion else {
            throw Failure(
                description: "the database's schema \(schema) was written by a newer Tollgate (schema version \(current), this one knows"
                    + " \(knownVersion)); upgrade Tollgate")
        }
        guard current < knownVersion else { return [] }
        var applied: [Int] = []
        for version in (current + 1)...knownVersion {
            try await connection.withTransaction(logger: logger) { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \"\(schema)\""), logger: logger)
                for statement in PostgresSchema.migrations[version - 1] {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(version))", logger: logger)
            }
            applied.append(version)
        }
        return applied
    }

    static func appliedVersion(_ connection: PostgresConnection, schema: String, logger: Logger) async throws -> Int {
        let exists = try await connection.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = \(schema) AND table_name = 'schema_migrations'", logger: logger)
        var found = 0
        for try await count in exists.decode(Int.self) { found = count }
        guard found > 0 else { return 0 }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(version), 0) FROM \"\(schema)\".schema_migrations"), logger: logger)
        var version = 0
        for try await value in rows.decode(Int.self) { version = value }
        return version
    }

    /// Runs `body` on a connection whose search path is the schema.
    func withSchema<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \"\(location.schema)\""), logger: logger)
            return try await body(connection)
        }
    }
}

extension PostgresDatabase {
    /// Runs one statement in the schema (for administration and tests).
    public func execute(_ sql: String) async throws {
        try await withSchema { connection in _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }

    /// The tables of the schema, by name.
    public func tableNames() async throws -> Set<String> {
        let schema = location.schema
        return try await withSchema { connection in
            var names: Set<String> = []
            let query: PostgresQuery = "SELECT table_name FROM information_schema.tables WHERE table_schema = \(schema)"
            let rows = try await connection.query(query, logger: logger)
            for try await name in rows.decode(String.self) { names.insert(name) }
            return names
        }
    }
}
