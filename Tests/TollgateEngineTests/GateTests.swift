import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgatePolicy
import TollgateTestSupport

/// Every gate outcome at every phase.
@Suite("Gates")
struct GateTests {
    static func set(_ phase: PolicyPhase, blocking: Bool, body: String) throws -> PolicySet {
        try PolicySource.set([("gate.lua", PolicySource.policy(name: "gate", phases: [phase], blocking: blocking, body: body))])
    }

    let vm: JSONValue = ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]]

    @Test func aBlockedStartLeavesTheActivityPlannedWithTheReasons() async throws {
        let f = try EngineFixture(policies: Self.set(.stageTransition, blocking: true, body: "return deny('change freeze')"))
        let activity = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "dev", principal: EngineFixture.ci)
        do {
            try await f.engine.startActivity(id: activity.id, principal: EngineFixture.ci)
            Issue.record("started")
        } catch {
            #expect(error == .blocked(phase: .stageTransition, decisionSequence: 1, reasons: ["gate: change freeze"]))
        }
        #expect(try await f.engine.activity(id: activity.id).status == .planned)
        #expect(f.executor.requests.isEmpty)
        let decision = try #require(f.store.allDecisions.first)
        #expect(decision.verdict == .block)
        #expect(decision.gatedChange.contains("stays PLANNED"))
        #expect(decision.input["lifecycle"]?["target"] == "dev")
        #expect(decision.input["principal"]?["name"] == "ci")
    }

    @Test func aWarningAtStartIsRecordedAndNothingStops() async throws {
        let f = try EngineFixture(policies: Self.set(.stageTransition, blocking: false, body: "return deny('late in the day')"))
        let dev = try await f.run("dev")
        #expect(dev.status == .processing)
        #expect(f.store.allDecisions.first?.verdict == .warn)
        #expect(f.store.allDecisions.first?.outcomes.first?.reasons == ["late in the day"])
    }

    @Test func aBlockedResultFailsTheTaskWithTheReasons() async throws {
        let f = try EngineFixture(policies: Self.set(.taskResult, blocking: true, body: "return deny('no VM name')"))
        let dev = try await f.run("dev")
        let first = try #require(f.executor.requests.first)
        try await f.report(first.taskId, results: vm)
        let task = try await f.engine.task(id: first.taskId)
        #expect(task.status == .failed)
        #expect(task.errors == "result blocked by policy: gate: no VM name")
        #expect(task.results == vm, "the rejected results are kept for the record")
        #expect(try await f.engine.activity(id: dev.id).status == .failed)
        #expect(f.store.allDecisions.last?.taskId == first.taskId)
        #expect(f.store.allDecisions.last?.input["result"]?["results"] == vm)
    }

    @Test func aWarnedResultMovesOn() async throws {
        let f = try EngineFixture(policies: Self.set(.taskResult, blocking: false, body: "return deny('odd')"))
        _ = try await f.run("dev")
        try await f.report(try #require(f.executor.requests.first).taskId, results: vm)
        #expect(f.executor.requests.count == 2)
    }

    @Test func aBlockedActivityResultFailsTheActivityAndDoesNotPromote() async throws {
        let f = try EngineFixture(policies: Self.set(.activityResult, blocking: true, body: "return deny('no sign-off')"))
        let dev = try await f.run("dev")
        try await f.report(f.executor.requests[0].taskId, results: vm)
        try await f.report(f.executor.requests[1].taskId, results: ["url": "u"])
        let activity = try await f.engine.activity(id: dev.id)
        #expect(activity.status == .failed)
        #expect(activity.errors?.contains("gate: no sign-off") == true)
        #expect(try f.store.stageRecords(dataProductId: EngineFixture.productId, version: "1.0.0").isEmpty)
        #expect(try await f.engine.tasks(activityId: dev.id).map(\.status) == [.processed, .processed])
    }

    @Test func aWarnedActivityResultPromotes() async throws {
        let f = try EngineFixture(policies: Self.set(.activityResult, blocking: false, body: "return deny('slow')"))
        let dev = try await f.run("dev")
        try await f.report(f.executor.requests[0].taskId, results: vm)
        try await f.report(f.executor.requests[1].taskId, results: ["url": "u"])
        #expect(try await f.engine.activity(id: dev.id).status == .processed)
        #expect(try f.store.stageRecords(dataProductId: EngineFixture.productId, version: "1.0.0").map(\.stage) == ["dev"])
        #expect(f.store.allDecisions.last?.verdict == .warn)
    }

    @Test func theShippedStageOrderPolicyBlocksTestBeforeDev() async throws {
        let f = try EngineFixture()
        let test = try await f.engine.createActivity(dataProductId: EngineFixture.productId, version: "1.0.0", stage: "test", principal: EngineFixture.ci)
        do {
            try await f.engine.startActivity(id: test.id, principal: EngineFixture.ci)
            Issue.record("started")
        } catch {
            guard case .blocked(_, _, let reasons) = error else { Issue.record("\(error)"); return }
            #expect(reasons == ["stage-order: stage 'test' requires 'dev' to be the current stage; the current stage is none"])
        }
    }

    @Test func policySourcesOfEveryRevisionUsedAreKept() async throws {
        let f = try EngineFixture()
        _ = try await f.run("dev")
        let revisions = Set(f.store.allDecisions.flatMap { $0.outcomes.map(\.revision) })
        #expect(try f.store.storedPolicyRevisions().isSuperset(of: revisions))
        #expect(!revisions.isEmpty)
    }
}
