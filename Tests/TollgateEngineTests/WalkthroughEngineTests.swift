import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateTestSupport

/// The reference walk-through, run by the engine: every dispatched context and resolved parameter
/// exactly as `lifecycle-example.md` states them, gated by the shipped policies.
@Suite("Walk-through through the engine")
struct WalkthroughEngineTests {
    @Test func devThenTest() async throws {
        let f = try EngineFixture()
        let dev = try await f.run("dev")
        #expect(dev.status == .processing)

        // Step 1: task 1 of dev.
        var requests = f.executor.requests
        #expect(requests.count == 1)
        #expect(requests[0].configurations["context"] == (try Walkthrough.context(Walkthrough.step1Context)))
        #expect(requests[0].configurations["params"]?["param1"] == "value1")
        #expect(requests[0].template?["pipelineId"] == "2")

        // Step 2 and 3: task 1 reports the VM; task 2 sees it and gets vmIp resolved.
        f.clock.set(iso: "2023-11-23T14:31:00Z")
        try await f.report(requests[0].taskId, results: Walkthrough.vmResults)
        requests = f.executor.requests
        #expect(requests.count == 2)
        #expect(requests[1].configurations["context"] == (try Walkthrough.context(Walkthrough.step3Context)))
        #expect(requests[1].configurations["params"]?["vmIp"] == "198.168.20.120")

        // Step 4: task 2 reports the URL; the activity-result policies pass; dev becomes current.
        f.clock.set(iso: "2023-11-23T14:32:00Z")
        try await f.report(requests[1].taskId, results: Walkthrough.urlResults)
        let finished = try await f.engine.activity(id: dev.id)
        #expect(finished.status == .processed)
        #expect(finished.results?["task2"]?["url"] == "localhost:8121/helloWorld")
        let history = try f.store.stageRecords(dataProductId: EngineFixture.productId, version: "1.0.0")
        #expect(history.map(\.stage) == ["dev"])
        #expect(history.first?.finishedAt == nil)

        // Step 5: the test activity's task sees dev PROCESSED with its real finishing time.
        f.clock.set(iso: "2023-11-23T15:00:00Z")
        let test = try await f.run("test")
        #expect(test.status == .processing)
        requests = f.executor.requests
        #expect(requests.count == 3)
        #expect(requests[2].configurations["context"] == (try Walkthrough.context(Walkthrough.step5Context)))
        #expect(requests[2].configurations["params"]?["endpointURL"] == "localhost:8121/helloWorld")

        // Every gate was asked and logged, in a chain that verifies.
        let phases = f.store.allDecisions.map(\.phase)
        #expect(phases == [.stageTransition, .taskResult, .taskResult, .activityResult, .stageTransition])
        #expect(f.store.allDecisions.allSatisfy { $0.verdict == .pass })
        #expect(f.chainProblem() == nil)
    }
}
