import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite
import TollgateStore
import TollgateTestSupport

/// The engine on the SQLite store: the same walk-through, durable, verifiable, tamper-evident.
@Suite("SQLite store")
struct SQLiteStoreTests {
    let vm: JSONValue = ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]]

    /// Runs dev (2 tasks) and starts test on a store at `path`.
    func walk(_ path: String) async throws -> (EngineFixture, SQLiteLifecycleStore) {
        let store = try SQLiteLifecycleStore(path: path)
        let f = try EngineFixture(store: store)
        _ = try await f.run("dev")
        try await f.report(f.executor.requests[0].taskId, results: vm)
        try await f.report(f.executor.requests[1].taskId, results: ["url": "localhost:8121/helloWorld"])
        _ = try await f.run("test")
        return (f, store)
    }

    @Test func theWalkThroughIsDurableAndItsChainVerifies() async throws {
        let directory = try TemporaryDirectory()
        let (f, store) = try await walk(directory.url("tollgate.db"))
        #expect(f.executor.requests.count == 3)
        #expect(f.executor.requests[2].configurations["params"]?["endpointURL"] == "localhost:8121/helloWorld")
        #expect(try store.decisionCount() == 5)
        #expect(try store.verifyDecisionChain() == nil)
        let report = try store.verifyLog()
        #expect(report.isIntact, "\(report.completeness)")
        #expect(try store.verifyDecisionChain(parallelAbove: 0) == nil, "split across workers, still intact")
        #expect(report.decisions == 5)
        #expect(report.head?.sequence == 5)
        let decisions = try await store.decisions(activityId: 1)
        #expect(decisions.map(\.phase) == [.stageTransition, .taskResult, .taskResult, .activityResult])
        #expect(decisions[1].input["result"]?["results"] == vm)
        #expect(decisions.allSatisfy { !$0.outcomes.isEmpty })

        // A second store on the same file sees everything.
        let reopened = try SQLiteLifecycleStore(path: store.path)
        #expect(try await reopened.activity(id: 1)?.status == .processed)
        #expect(try await reopened.tasks(activityId: 1).map(\.results) == [vm, ["url": "localhost:8121/helloWorld"]])
        #expect(try await reopened.stageRecords(dataProductId: EngineFixture.productId, version: "1.0.0").map(\.stage) == ["dev"])
        // Numbering goes on after what is stored.
        #expect(try await reopened.newIds(activities: 1, tasks: 1) == NewIds(activities: [3], tasks: [4]))
    }

    @Test func theLogRefusesEditsThroughSQL() async throws {
        let directory = try TemporaryDirectory()
        _ = try await walk(directory.url("tollgate.db"))
        let db = try SQLiteConnection(path: directory.url("tollgate.db"))
        #expect(throws: SQLiteError.self) { try db.execute("UPDATE decisions SET verdict = 'pass' WHERE seq = 2") }
        #expect(throws: SQLiteError.self) { try db.execute("DELETE FROM decisions WHERE seq = 2") }
    }

    enum Tamper: String, CaseIterable, Sendable {
        case editVerdict, editInput, deleteMiddle, deleteLast, reorder, truncateAndRechain
    }

    @Test(arguments: Tamper.allCases)
    func tamperingIsDetectedAtTheFirstBadSequence(_ tamper: Tamper) async throws {
        let directory = try TemporaryDirectory()
        let (_, store) = try await walk(directory.url("tollgate.db"))
        let db = try SQLiteConnection(path: directory.url("tollgate.db"))
        // Someone with the file can drop the guards; the chain still tells.
        try db.execute(
            "PRAGMA foreign_keys = OFF; DROP TRIGGER decisions_are_append_only_update; DROP TRIGGER decisions_are_append_only_delete")
        let expected: Int64
        switch tamper {
        case .editVerdict:
            try db.execute("UPDATE decisions SET verdict = 'block' WHERE seq = 3")
            expected = 3
        case .editInput:
            // The address is in decision 2's input, in its own text or in a part it reaches.
            try db.execute(
                """
                DROP TRIGGER decision_parts_are_append_only_update;
                UPDATE decisions SET input = replace(input, '198.168.20.120', '10.0.0.1') WHERE seq = 2;
                UPDATE decision_parts SET body = replace(body, '198.168.20.120', '10.0.0.1');
                """)
            expected = 2
        case .deleteMiddle:
            try db.execute("DELETE FROM decisions WHERE seq = 2")
            expected = 3
        case .deleteLast:
            // Removing the newest decision leaves a valid shorter chain; what is left must still
            // match its state changes, which the completeness check sees.
            try db.execute("DELETE FROM decisions WHERE seq = 5")
            #expect(try store.verifyDecisionChain() == nil)
            let orphaned = try db.statement(
                "SELECT COUNT(*) FROM transitions WHERE decision_seq IS NOT NULL AND decision_seq NOT IN (SELECT seq FROM decisions)"
            ).first { $0.int64(0) }
            #expect(orphaned == 1)
            let report = try store.verifyLog()
            #expect(!report.isIntact)
            #expect(report.completeness.first?.hasSuffix("was gated by decision 5, which is missing") == true, "\(report.completeness)")
            return
        case .reorder:
            try db.execute(
                """
                UPDATE decisions SET seq = -1 WHERE seq = 2; UPDATE decisions SET seq = 2 WHERE seq = 3;
                UPDATE decisions SET seq = 3 WHERE seq = -1
                """)
            expected = 2
        case .truncateAndRechain:
            // Rewriting a decision and recomputing its own hash still breaks the next link.
            try db.execute("UPDATE decisions SET verdict = 'block' WHERE seq = 4")
            let row = try db.statement(
                "SELECT seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id, principal, policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, input_split FROM decisions WHERE seq = 4"
            ).first { r in
                DecisionChain.Canonical(
                    sequence: r.int64(0), phase: r.string(1), verdict: r.string(2), dataProductId: r.string(3),
                    dataProductVersion: r.string(4), stage: r.string(5), activityId: r.int64(6), taskId: r.optionalInt64(7),
                    principal: r.optionalString(8), policySetRevision: r.string(9), gatedChange: r.string(10),
                    createdAt: r.string(11), input: r.string(12), inputIsSplit: r.int64(15) != 0, outcomes: r.string(13),
                    previousHash: r.string(14))
            }
            let forged = try #require(row).hash
            try db.statement("UPDATE decisions SET hash = ? WHERE seq = 4").run([forged])
            expected = 5
        }
        let problem = try #require(try store.verifyDecisionChain())
        #expect(problem.sequence == expected, "\(problem)")
        #expect(try store.verifyLog().chain?.sequence == expected)
        #expect(try store.verifyDecisionChain(parallelAbove: 0)?.sequence == expected, "split across workers, the same first problem")
    }

    @Test func verificationCanGoOnFromWhereItStopped() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url("tollgate.db")
        let store = try SQLiteLifecycleStore(path: path)
        let f = try EngineFixture(store: store)
        _ = try await f.run("dev")
        try await f.report(f.executor.requests[0].taskId, results: vm)
        let first = try store.verifyLog()
        #expect(first.isIntact)
        let position = try #require(first.position)
        #expect(position.sequence == 2)

        try await f.report(f.executor.requests[1].taskId, results: ["url": "localhost:8121/helloWorld"])
        let next = try store.verifyLog(since: position)
        #expect(next.isIntact)
        #expect(next.decisions == 2, "only the decisions added since")
        #expect(next.position?.sequence == 4)
        #expect(try store.verifyLog(since: next.position).decisions == 0)

        // A decision added after the verified position that does not follow its hash is found.
        let db = try SQLiteConnection(path: path)
        try db.execute("DROP TRIGGER decisions_are_append_only_update")
        try db.execute("UPDATE decisions SET verdict = 'block' WHERE seq = 4")
        #expect(try store.verifyLog(since: position).chain?.sequence == 4)
        #expect(try store.verifyLog(since: next.position).chain == nil, "what was verified before is not read again")
    }

    @Test func completenessLooksDecisionsUpByIndex() async throws {
        let directory = try TemporaryDirectory()
        _ = try await walk(directory.url("tollgate.db"))
        let db = try SQLiteConnection(path: directory.url("tollgate.db"))
        var plan: [String] = []
        try db.statement("EXPLAIN QUERY PLAN SELECT 1 FROM transitions t WHERE t.decision_seq = ?").forEachRow([2]) { plan.append($0.string(3)) }
        #expect(plan.contains { $0.contains("USING COVERING INDEX transitions_by_decision") || $0.contains("USING INDEX transitions_by_decision") }, "\(plan)")
    }

    @Test func aRestartedEngineContinuesTheRun() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url("tollgate.db")
        let clock = TestClock(iso: "2023-11-23T14:30:00Z")
        let first = try EngineFixture(store: try SQLiteLifecycleStore(path: path), clock: clock)
        let dev = try await first.run("dev")
        let taskId = try #require(first.executor.requests.first).taskId
        // "Crash": a new engine on the same file; the pipeline's result arrives there.
        let second = try EngineFixture(store: try SQLiteLifecycleStore(path: path), clock: clock)
        await second.engine.recover()
        #expect(second.executor.requests.isEmpty, "a recorded dispatch is not repeated")
        try await second.report(taskId, results: vm)
        #expect(second.executor.requests.map(\.taskKey) == ["task2"])
        #expect(second.executor.requests[0].taskId == taskId + 1)
        try await second.report(second.executor.requests[0].taskId, results: ["url": "u"])
        #expect(try await second.engine.activity(id: dev.id).status == .processed)
        let store = try SQLiteLifecycleStore(path: path)
        #expect(try store.verifyDecisionChain() == nil)
    }

    @Test func anIntentRecordedButNotCarriedOutIsCarriedOutOnRecovery() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url("tollgate.db")
        let refusing = ScriptedExecutor(.fail(ExecutorError(retryable: true, message: "connection refused")))
        let clock = TestClock(iso: "2023-11-23T14:30:00Z")
        let first = try EngineFixture(executor: refusing, store: try SQLiteLifecycleStore(path: path), clock: clock)
        _ = try await first.run("dev")
        #expect(try await SQLiteLifecycleStore(path: path).pendingOutbox().count == 1)
        clock.advance(seconds: 2)  // past the retry's backoff
        let second = try EngineFixture(store: try SQLiteLifecycleStore(path: path), clock: clock)
        await second.engine.recover()
        #expect(second.executor.requests.map(\.taskKey) == ["task1"])
        #expect(try await SQLiteLifecycleStore(path: path).pendingOutbox().isEmpty)
    }
}
