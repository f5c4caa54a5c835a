import Foundation
import Logging
import PostgresNIO
import Testing
import TollgateLifecycle
import TollgatePostgres
import TollgateTestSupport

/// A database that stops answering (here: another session holds a lock every read waits for) is
/// unavailable after the store's request limit, said as such, and usable again once it answers.
@Suite("PostgreSQL deadlines")
struct PostgresDeadlineTests {
    @Test func aDatabaseThatDoesNotAnswerInTimeIsUnavailableThenUsableAgain() async throws {
        let url = try PostgresTestCluster.url()
        let schema = PostgresTestCluster.freshSchema("deadline")
        let location = try PostgresLocation(url: url, schema: schema, pool: 4)
        try await PostgresDatabase.withDatabase(location) { database in
            try await database.migrate()
            let store = PostgresLifecycleStore(database, requestLimit: .seconds(1))
            #expect(try await store.activity(id: 1) == nil)

            let components = try #require(URLComponents(string: url))
            let blocker = try await PostgresConnection.connect(
                configuration: .init(
                    host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: components.user ?? "postgres",
                    password: components.password, database: String(components.path.dropFirst()), tls: .disable),
                id: 1, logger: Logger(label: "test.blocker"))
            _ = try await blocker.query("BEGIN", logger: Logger(label: "test.blocker"))
            _ = try await blocker.query(
                PostgresQuery(unsafeSQL: "LOCK TABLE \"\(schema)\".activities IN ACCESS EXCLUSIVE MODE"), logger: Logger(label: "test.blocker"))

            let started = ContinuousClock.now
            let error = await #expect(throws: StoreUnavailable.self) { _ = try await store.activity(id: 1) }
            let waited = ContinuousClock.now - started
            #expect(error?.description == "PostgreSQL did not answer within 1 s")
            #expect(waited >= .seconds(1) && waited < .seconds(3), "answered after \(waited)")

            _ = try await blocker.query("ROLLBACK", logger: Logger(label: "test.blocker"))
            #expect(try await store.activity(id: 1) == nil, "usable again once the database answers")

            // A commit held up past the deadline answers the same, and is not written when the
            // database gets to it after all.
            _ = try await blocker.query("BEGIN", logger: Logger(label: "test.blocker"))
            _ = try await blocker.query(
                PostgresQuery(unsafeSQL: "LOCK TABLE \"\(schema)\".execution_history IN ACCESS EXCLUSIVE MODE"), logger: Logger(label: "test.blocker"))
            var changes = ChangeSet()
            changes.history.append(ExecutionEvent(taskId: 7, at: Date(), kind: "note", message: "written late"))
            await #expect(throws: StoreUnavailable.self) { try await store.commit(changes) }
            _ = try await blocker.query("ROLLBACK", logger: Logger(label: "test.blocker"))
            try await Task.sleep(for: .milliseconds(500))
            let rows = try await blocker.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(schema)\".execution_history"), logger: Logger(label: "test.blocker"))
            var written = -1
            for try await count in rows.decode(Int.self) { written = count }
            #expect(written == 0, "the commit the caller gave up on must not be written")
            try await blocker.close()
        }
    }
}
