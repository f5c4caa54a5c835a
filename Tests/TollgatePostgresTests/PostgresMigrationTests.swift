import Foundation
import Logging
import PostgresNIO
import Testing
import TollgatePostgres
import TollgateTestSupport

/// The PostgreSQL schema on a real server: applied once however many replicas start together,
/// refused when newer than this Tollgate, and the decision log append-only in the database itself.
@Suite("PostgreSQL schema")
struct PostgresMigrationTests {
    func location(_ purpose: String) throws -> PostgresLocation {
        try PostgresLocation(url: PostgresTestCluster.url(), schema: PostgresTestCluster.freshSchema(purpose), pool: 4)
    }

    @Test func migratingAppliesEachVersionOnceAndAgainChangesNothing() async throws {
        let location = try location("once")
        let (first, second, version, tables) = try await PostgresDatabase.withDatabase(location) { database in
            let first = try await database.migrate()
            let second = try await database.migrate()
            let tables = try await database.tableNames()
            return (first, second, try await database.version(), tables)
        }
        #expect(first == Array(1...PostgresDatabase.knownVersion))
        #expect(second.isEmpty)
        #expect(version == PostgresDatabase.knownVersion)
        for table in ["activities", "tasks", "lifecycles", "decisions", "decision_chain_head", "decision_parts", "decision_checkpoints",
            "legal_holds", "policy_sources", "policy_set", "outbox", "duty_leases", "transitions", "execution_history", "schema_migrations"]
        {
            #expect(tables.contains(table), "\(table) in \(tables)")
        }
    }

    @Test func replicasMigratingTogetherApplyEachVersionOnce() async throws {
        let location = try location("together")
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<3 {
                group.addTask { try await PostgresDatabase.withDatabase(location) { try await $0.migrate() } }
            }
            var all: [Int] = []
            for try await versions in group { all += versions }
            return all
        }
        #expect(applied.sorted() == Array(1...PostgresDatabase.knownVersion), "each version applied by exactly one of three")
    }

    @Test func aSchemaNewerThanThisTollgateIsRefusedNamingItsVersion() async throws {
        let location = try location("newer")
        try await PostgresDatabase.withDatabase(location) { database in
            try await database.migrate()
            try await database.execute("INSERT INTO schema_migrations (version) VALUES (99)")
            do {
                try await database.migrate()
                Issue.record("migrated a newer schema")
            } catch {
                #expect("\(error)".contains("written by a newer Tollgate (schema version 99, this one knows \(PostgresDatabase.knownVersion))"), "\(error)")
                #expect("\(error)".contains("upgrade Tollgate"))
            }
        }
    }

    @Test func theDecisionLogRefusesEditsAndEarlyPruningInTheDatabaseItself() async throws {
        let location = try location("appendonly")
        try await PostgresDatabase.withDatabase(location) { database in
            try await database.migrate()
            try await database.execute(
                """
                INSERT INTO decisions (seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, policy_set_revision,
                    gated_change, created_at, input, outcomes, previous_hash, hash)
                VALUES (1, 'stage-transition', 'pass', 'p', '1.0.0', 'dev', 1, 'r1', 'activity 1: PLANNED -> PROCESSING',
                    '2026-12-07T09:00:00Z', '{}', '[]', '0', 'h1')
                """)
            for statement in ["UPDATE decisions SET verdict = 'block' WHERE seq = 1", "DELETE FROM decisions WHERE seq = 1"] {
                do {
                    try await database.execute(statement)
                    Issue.record("\(statement) went through")
                } catch {
                    #expect(String(reflecting: error).contains("append-only"), "\(String(reflecting: error))")
                }
            }
            try await database.execute(
                "INSERT INTO decision_checkpoints (through_seq, through_hash, pruned, horizon, at) VALUES (1, 'h1', 1, '2026-12-07T09:00:00Z', '2026-12-07T09:00:00Z')")
            try await database.execute("DELETE FROM decisions WHERE seq = 1")
        }
    }

    @Test(arguments: [
        ("mysql://u@h/db", "is not a postgres:// address"),
        ("postgres://h/db", "names no user"),
        ("postgres://u:secret@h/db?sslmode=sometimes", "sslmode 'sometimes'"),
    ])
    func malformedAddressesAreNamedWithoutTheirPassword(url: String, problem: String) {
        do {
            _ = try PostgresLocation(url: url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.description.contains(problem), "\(error)")
            #expect(!error.description.contains("secret"))
        }
        #expect(throws: PostgresLocation.Malformed.self) { try PostgresLocation(url: "postgres://u@h/db", schema: "bad-name") }
    }

    @Test func theMigrateCommandReportsWhatItApplied() async throws {
        let url = try PostgresTestCluster.url()
        let schema = PostgresTestCluster.freshSchema("command")
        let arguments = ["database", "migrate", "--postgres-env", "TOLLGATE_DATABASE_URL", "--schema", schema]
        let first = try TollgateCommand.run(arguments, environment: ["TOLLGATE_DATABASE_URL": url])
        #expect(first.status == 0, "\(first.standardError)")
        let versions = (1...PostgresDatabase.knownVersion).map(String.init).joined(separator: ", ")
        #expect(first.standardOutput.contains("schema \(schema): applied versions \(versions)"), "\(first.standardOutput)")
        let again = try TollgateCommand.run(arguments, environment: ["TOLLGATE_DATABASE_URL": url])
        #expect(again.standardOutput.contains("already at version \(PostgresDatabase.knownVersion)"), "\(again.standardOutput)")
        let unreachable = try TollgateCommand.run(arguments, environment: ["TOLLGATE_DATABASE_URL": "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable"])
        #expect(unreachable.status == 1)
        #expect(unreachable.standardError.contains("postgres://nobody:***@127.0.0.1:1/none"), "\(unreachable.standardError)")
    }
}
