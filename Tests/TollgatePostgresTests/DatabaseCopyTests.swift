import Foundation
import Testing
import TollgateSQLite
import TollgateTestSupport

/// `tollgate database copy`: a real installation's SQLite file moved to PostgreSQL whole and
/// verified, or not at all.
@Suite("tollgate database copy")
struct DatabaseCopyTests {
    /// A database written by a real run of the walk-through through its two stages.
    func installation(_ directory: TemporaryDirectory) throws -> String {
        let path = directory.url("tollgate.db")
        let run = try TollgateCommand.run(
            ["run", "examples/walkthrough/descriptor-local.json", "--stage", "dev", "--stage", "test", "--database", path])
        #expect(run.status == 0, "\(run.standardError)")
        return path
    }

    func copy(_ path: String, schema: String) throws -> TollgateCommand.Output {
        try TollgateCommand.run(["database", "copy", "--from", "sqlite:\(path)", "--to", "postgres:\(try PostgresTestCluster.url())", "--schema", schema])
    }

    @Test func aWholeInstallationMovesAndItsLogVerifiesThere() throws {
        let directory = try TemporaryDirectory()
        let path = try installation(directory)
        let decisions = try SQLiteConnection(path: path).statement("SELECT COUNT(*), MAX(seq) FROM decisions").first { ($0.int64(0), $0.int64(1)) }
        let schema = PostgresTestCluster.freshSchema("copy")
        let copied = try copy(path, schema: schema)
        #expect(copied.status == 0, "\(copied.standardError)")
        #expect(copied.standardOutput.contains("decisions: \(decisions?.0 ?? -1)\n"), "\(copied.standardOutput)")
        #expect(copied.standardOutput.contains("the decision log verifies: \(decisions?.0 ?? -1) decisions through \(decisions?.1 ?? -1)"), "\(copied.standardOutput)")
        for table in ["activities: 2", "tasks: 3", "lifecycles: 2", "policy_sources: ", "transitions: ", "execution_history: "] {
            #expect(copied.standardOutput.contains(table), "\(table)")
        }
        let again = try copy(path, schema: schema)
        #expect(again.status == 1)
        #expect(again.standardError.contains("already holds 2 row(s) in activities; copy into an empty schema"), "\(again.standardError)")
    }

    @Test func aDamagedLogIsNotCopiedAtAll() throws {
        let directory = try TemporaryDirectory()
        let path = try installation(directory)
        let db = try SQLiteConnection(path: path)
        try db.execute("DROP TRIGGER decisions_are_append_only_update")
        try db.execute("UPDATE decisions SET gated_change = gated_change || ' (edited)' WHERE seq = 2")
        let schema = PostgresTestCluster.freshSchema("damaged")
        let copied = try copy(path, schema: schema)
        #expect(copied.status == 1)
        #expect(copied.standardError.contains("the copied decision log does not verify at decision 2"), "\(copied.standardError)")
        #expect(copied.standardError.contains("nothing was copied"))
        // The transaction rolled back: the same schema takes a good copy afterwards.
        let other = try TemporaryDirectory()
        let good = try installation(other)
        let retried = try copy(good, schema: schema)
        #expect(retried.status == 0, "\(retried.standardError)")
    }
}
