import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite
import TollgateStore
import TollgateTestSupport

/// The auditor's queries over the decision log of a real run.
@Suite("Decision queries")
struct DecisionQueryTests {
    func log() async throws -> (TemporaryDirectory, EngineFixture, SQLiteLifecycleStore) {
        let directory = try TemporaryDirectory()
        let (f, store) = try await SQLiteStoreTests().walk(directory.url("tollgate.db"))
        return (directory, f, store)
    }

    func sequences(_ store: SQLiteLifecycleStore, _ change: (inout DecisionFilter) -> Void) throws -> [Int64] {
        var filter = DecisionFilter()
        change(&filter)
        return try store.decisions(matching: filter).map(\.sequence)
    }

    @Test func everyFilterNarrowsTheLog() async throws {
        let (_, _, store) = try await log()
        let all = try await store.decisions(matching: DecisionFilter())
        #expect(all.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try sequences(store) { $0.dataProductId = EngineFixture.productId } == [1, 2, 3, 4, 5])
        #expect(try sequences(store) { $0.dataProductId = "urn:other" } == [])
        #expect(try sequences(store) { $0.dataProductVersion = "1.0.0" } == [1, 2, 3, 4, 5])
        #expect(try sequences(store) { $0.stage = "test" } == [5])
        #expect(try sequences(store) { $0.activityId = 1 } == [1, 2, 3, 4])
        #expect(try sequences(store) { $0.taskId = 2 } == [3])
        #expect(try sequences(store) { $0.phase = "TASK_EXECUTION_RESULT" } == [2, 3])
        let byPipeline = all.filter { $0.principal == EngineFixture.pipeline.name }.map(\.sequence)
        #expect(byPipeline.contains(2) && byPipeline.contains(3) && !byPipeline.contains(1))
        #expect(try sequences(store) { $0.principal = EngineFixture.pipeline.name } == byPipeline)
        #expect(try sequences(store) { $0.principal = EngineFixture.ci.name } == [1, 5])
        #expect(try sequences(store) { $0.outcome = "pass" } == all.filter { $0.verdict == .pass }.map(\.sequence))
        #expect(try sequences(store) { $0.outcome = "block" } == all.filter { $0.verdict == .block }.map(\.sequence))

        let policy = try #require(all[1].outcomes.first { $0.outcome == "allow" })
        #expect(try sequences(store) { $0.policy = policy.policy } == all.filter { $0.outcomes.contains { $0.policy == policy.policy } }.map(\.sequence))
        #expect(try sequences(store) { $0.policy = policy.policy; $0.outcome = "allow" }
            == all.filter { $0.outcomes.contains { $0.policy == policy.policy && $0.outcome == "allow" } }.map(\.sequence))
        #expect(try sequences(store) { $0.policy = policy.policy; $0.outcome = "deny" }
            == all.filter { $0.outcomes.contains { $0.policy == policy.policy && $0.outcome == "deny" } }.map(\.sequence))
        #expect(try sequences(store) { $0.revision = policy.revision } == all.filter { $0.outcomes.contains { $0.revision == policy.revision } }.map(\.sequence))
        #expect(try sequences(store) { $0.revision = all[0].policySetRevision } == [1, 2, 3, 4, 5])
        #expect(try sequences(store) { $0.revision = "0000" } == [])

        let second = all[1].createdAt
        #expect(try sequences(store) { $0.from = second } == all.filter { $0.createdAt >= second }.map(\.sequence))
        #expect(try sequences(store) { $0.to = second } == all.filter { $0.createdAt < second }.map(\.sequence))
        #expect(try sequences(store) { $0.from = Date().addingTimeInterval(3600) } == [])
        #expect(try sequences(store) { $0.phase = "TASK_EXECUTION_RESULT"; $0.dataProductId = EngineFixture.productId; $0.from = .distantPast; $0.to = .distantFuture } == [2, 3])
    }

    @Test func pagesStayStableWhileTheLogGrows() async throws {
        let (_, f, store) = try await log()
        var filter = DecisionFilter()
        filter.limit = 2
        let first = try await store.decisions(matching: filter).map(\.sequence)
        #expect(first == [1, 2])
        // More decisions arrive between pages.
        try await f.report(f.executor.requests[2].taskId, results: ["tested": true])
        var seen = first
        filter.after = first.last
        while true {
            let page = try await store.decisions(matching: filter).map(\.sequence)
            if page.isEmpty { break }
            seen += page
            filter.after = page.last
        }
        #expect(seen == Array(1...Int64(try store.decisionCount())), "every decision once, in order, new ones included")
        #expect(seen.count > 5)
    }

    @Test func aDecisionIsReadBackWhole() async throws {
        let (_, _, store) = try await log()
        let decision = try #require(try await store.decision(sequence: 2))
        #expect(decision.phase == .taskResult)
        #expect(decision.input["result"]?["results"] == ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]])
        #expect(try await store.decision(sequence: 99) == nil)
        #expect(try await store.chainHead()?.sequence == 5)
        #expect(try await store.chainHead()?.hash == (try await store.decision(sequence: 5))?.hash)
    }
}
