import Foundation
import TollgateServer
import TollgateTestSupport

/// The store the service tests run on: SQLite, or with `TOLLGATE_TEST_STORE=postgres` a fresh
/// schema of the test PostgreSQL cluster per service (`scripts/test` runs the suite both ways).
enum ServiceStore {
    static let isPostgres = ProcessInfo.processInfo.environment["TOLLGATE_TEST_STORE"] == "postgres"

    /// Tests that read the SQLite file themselves run on SQLite only.
    static let isSQLite = !isPostgres

    static func database(in directory: TemporaryDirectory) throws -> ServiceConfiguration.Database {
        guard isPostgres else { return .sqlite(path: directory.url("tollgate.db")) }
        return .postgres(url: try PostgresTestCluster.url(), pool: 4, schema: PostgresTestCluster.freshSchema("service"))
    }
}
