import Foundation
import Testing
import TollgateLifecycle
import TollgatePostgres
import TollgateSQLite
import TollgateStore
import TollgateTestSupport

/// The stores every contract test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres

    var testDescription: String { rawValue }

    /// Runs `body` with an empty store of this kind (a fresh SQLite file, a fresh PostgreSQL schema).
    func withStore<T: Sendable>(_ body: @Sendable (any LifecycleStore) async throws -> T) async throws -> T {
        switch self {
        case .memory:
            return try await body(MemoryLifecycleStore())
        case .sqlite:
            let directory = try TemporaryDirectory()
            return try await body(try SQLiteLifecycleStore(path: directory.url("tollgate.db")))
        case .postgres:
            let location = try PostgresLocation(url: PostgresTestCluster.url(), schema: PostgresTestCluster.freshSchema("store"), pool: 8)
            return try await PostgresDatabase.withDatabase(location) { database in
                try await database.migrate()
                return try await body(PostgresLifecycleStore(database))
            }
        }
    }

    /// The stores auditors read (SQLite and PostgreSQL).
    static let auditing: [StoreKind] = [.sqlite, .postgres]

    /// Runs `body` with an empty auditable store of this kind and a way to run SQL on its database
    /// behind the store's back (to tamper with it as an attacker with database access would).
    func withAuditStore<T: Sendable>(
        _ body: @Sendable (any AuditStore, _ sql: @escaping @Sendable (String) async throws -> Void) async throws -> T
    ) async throws -> T {
        switch self {
        case .memory:
            Issue.record("the in-memory store keeps no audit log")
            throw CancellationError()
        case .sqlite:
            let directory = try TemporaryDirectory()
            let path = directory.url("tollgate.db")
            let store = try SQLiteLifecycleStore(path: path)
            return try await body(store) { sql in try SQLiteConnection(path: path).execute(sql) }
        case .postgres:
            let location = try PostgresLocation(url: PostgresTestCluster.url(), schema: PostgresTestCluster.freshSchema("audit"), pool: 4)
            return try await PostgresDatabase.withDatabase(location) { database in
                try await database.migrate()
                return try await body(PostgresLifecycleStore(database)) { sql in try await database.execute(sql) }
            }
        }
    }
}
