import Foundation
import Testing
import TollgateLifecycle
import TollgatePostgres
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
}
