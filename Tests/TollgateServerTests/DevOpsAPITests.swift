import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The ODM DevOps API over real loopback HTTP, with a fake ODM executor adapter.
@Suite("ODM DevOps API", .serialized)
struct DevOpsAPITests {
    static let product = "urn:org.opendatamesh:dataproducts:hello"

    /// Answers like the walk-through's pipelines, by pipeline id.
    static func walkthrough(_ task: JSONValue) -> JSONValue? {
        let template = task["template"]?.stringValue.flatMap { try? JSONValue.parse($0) }
        switch template?["pipelineId"]?.stringValue {
        case "2": return ["status": "PROCESSED", "results": Walkthrough.vmResults]
        case "3": return ["status": "PROCESSED", "results": Walkthrough.urlResults]
        default: return ["status": "PROCESSED", "results": ["tested": true]]
        }
    }

    func activity(_ stage: String) -> JSONValue {
        ["dataProductId": .string(Self.product), "dataProductVersion": "1.0.0", "stage": .string(stage)]
    }

    @Test func theWalkThroughOverHTTP() async throws {
        let f = try ServiceFixture(respond: Self.walkthrough)
        try await f.start()
        defer { Task { try? await f.stop() } }

        let (status, created) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity("dev"))
        #expect(status == 201)
        #expect(created["status"] == "PROCESSING")
        #expect(created["dataProductId"] == .string(Self.product))
        try await f.waitFor(activity: 1, status: "PROCESSED")

        var received = f.executor.tasks
        #expect(received.count == 2)
        func configurations(_ i: Int) throws -> JSONValue { try JSONValue.parse(received[i]["configurations"]?.stringValue ?? "") }
        #expect(try configurations(0)["context"] == (try Walkthrough.context(Walkthrough.step1Context)))
        #expect(try configurations(1)["context"] == (try Walkthrough.context(Walkthrough.step3Context)))
        #expect(try configurations(1)["params"]?["vmIp"] == "198.168.20.120")
        #expect(received[0]["activityId"] == "1")
        #expect(received[0]["status"] == "PROCESSING")

        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity("test"))
        try await f.waitFor(activity: 2, status: "PROCESSED")
        received = f.executor.tasks
        #expect(received.count == 3)
        let context = try configurations(2)["context"]
        #expect(context?["dev"]?["status"] == "PROCESSED")
        #expect(context?["dev"]?["results"] == ["task1": Walkthrough.vmResults, "task2": Walkthrough.urlResults])
        #expect(context?["test"] == (try JSONValue.parse(#"{"status":"RUNNING","finishedAt":null,"results":null}"#)))
        #expect(try configurations(2)["params"]?["endpointURL"] == "localhost:8121/helloWorld")

        // Resources read back in ODM's shapes.
        let (_, dev) = try await f.call(.GET, "/api/v1/pp/devops/activities/1")
        #expect(dev["results"]?.stringValue.flatMap { try? JSONValue.parse($0) }?["task2"] == Walkthrough.urlResults)
        let (_, tasks) = try await f.call(.GET, "/api/v1/pp/devops/tasks?activityId=1")
        #expect(tasks.arrayValue?.map { $0["status"] } == ["PROCESSED", "PROCESSED"])
        let (_, activityDecisions) = try await f.call(.GET, "/api/v1/tollgate/decisions?activityId=1")
        #expect(activityDecisions.arrayValue?.map { $0["phase"] } == [
            "ACTIVITY_STAGE_TRANSITION", "TASK_EXECUTION_RESULT", "TASK_EXECUTION_RESULT", "ACTIVITY_EXECUTION_RESULT",
        ])
        let (_, taskDecisions) = try await f.call(.GET, "/api/v1/tollgate/decisions?taskId=2")
        #expect(taskDecisions.arrayValue?.map { $0["phase"] } == ["TASK_EXECUTION_RESULT"])
        #expect(taskDecisions.arrayValue?.first?["taskId"] == 2)
        let (bad, refusal) = try await f.call(.GET, "/api/v1/tollgate/decisions?from=yesterday")
        #expect(bad == 400)
        #expect(refusal["message"]?.stringValue?.hasPrefix("from must be an ISO 8601 time") == true, "\(refusal)")
        let (_, current) = try await f.call(.GET, "/api/v1/pp/devops/lifecycles/\(Self.product)/1.0.0/current")
        #expect(current["stage"] == "test")
        #expect(current["finishedAt"] == .null)
        let (_, history) = try await f.call(.GET, "/api/v1/pp/devops/lifecycles/\(Self.product)/1.0.0")
        #expect(history.arrayValue?.map { $0["stage"] } == ["dev", "test"])
        let (_, search) = try await f.call(.GET, "/api/v1/pp/devops/activities?stage=test&status=PROCESSED")
        #expect(search.arrayValue?.count == 1)
        let (_, all) = try await f.call(.GET, "/api/v1/pp/devops/activities")
        #expect(all.arrayValue?.map { $0["id"] } == [1, 2], "no paging unless asked")
        let (_, first) = try await f.call(.GET, "/api/v1/pp/devops/activities?limit=1")
        #expect(first.arrayValue?.map { $0["id"] } == [1])
        let (_, second) = try await f.call(.GET, "/api/v1/pp/devops/activities?limit=1&cursor=1")
        #expect(second.arrayValue?.map { $0["id"] } == [2])
        let paged = try await f.client.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(f.port)/api/v1/pp/devops/activities?limit=1"), timeout: .seconds(5))
        #expect(paged.headers.first(name: "X-Next-Cursor") == "1")
        let last = try await f.client.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(f.port)/api/v1/pp/devops/activities?limit=1&cursor=1"), timeout: .seconds(5))
        #expect(last.headers.first(name: "X-Next-Cursor") == nil, "no next page after the last")

        // What happened is counted for Prometheus.
        let (metricsStatus, metrics) = try await f.call(.GET, "/metrics")
        #expect(metricsStatus == 200)
        let text = metrics.stringValue ?? ""
        #expect(text.contains(#"tollgate_gate_verdicts_total{phase="ACTIVITY_STAGE_TRANSITION",verdict="pass"} 2"#))
        #expect(text.contains(#"tollgate_gate_verdicts_total{phase="TASK_EXECUTION_RESULT",verdict="pass"} 3"#))
        #expect(text.contains(#"tollgate_http_requests_total{method="POST",route="/api/v1/pp/devops/activities",status="201"} 2"#))
        #expect(text.contains(#"tollgate_policy_outcomes_total{phase="ACTIVITY_STAGE_TRANSITION",policy="stage-order",outcome="allow"} 2"#))
        #expect(text.contains("tollgate_outbox_pending 0"))
        #expect(text.contains("tollgate_policy_evaluation_seconds_count"))
    }

    @Test func callbacksNeedTheirTaskToken() async throws {
        let f = try ServiceFixture(respond: { _ in nil })  // the executor never calls back by itself
        try await f.start()
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity("dev"))
        for _ in 0..<100 where f.executor.tasks.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        let callback = try #require(f.executor.tasks.first?["callbackRef"]?.stringValue)
        #expect(callback.contains("/api/v1/pp/devops/tasks/1/status?action=STOP&token="))
        let token = String(callback[callback.range(of: "token=")!.upperBound...])
        let body: JSONValue = ["status": "PROCESSED", "results": Walkthrough.vmResults]

        let (missing, missingBody) = try await f.call(.PATCH, "/api/v1/pp/devops/tasks/1/status?action=STOP", body: body)
        #expect(missing == 401)
        #expect(missingBody["code"] == "40101")
        let (wrong, _) = try await f.call(.PATCH, "/api/v1/pp/devops/tasks/1/status?action=STOP&token=forged", body: body)
        #expect(wrong == 403)
        let (foreign, _) = try await f.call(.PATCH, "/api/v1/pp/devops/tasks/2/status?action=STOP&token=\(token)", body: body)
        #expect(foreign == 403, "a token is valid for its own task only")
        #expect(try await f.call(.GET, "/api/v1/pp/devops/tasks/1/status").1["status"] == "PROCESSING", "nothing changed")

        let (accepted, first) = try await f.call(.PATCH, callback, body: body)
        #expect(accepted == 200)
        #expect(first["status"] == "PROCESSED")
        let (replayed, again) = try await f.call(.PATCH, callback, body: body)
        #expect(replayed == 200, "an exact repeat gets the same answer")
        #expect(again == first)
        let (conflict, conflictBody) = try await f.call(.PATCH, callback, body: ["status": "FAILED", "errors": "late"])
        #expect(conflict == 409)
        #expect(conflictBody["code"] == "40911")
    }

    /// Created and started in one request: the plan and the stage-transition decision are one commit,
    /// and a blocked start keeps the activity PLANNED with its decision recorded.
    @Test func aBlockedStartAfterCreationKeepsThePlannedActivity() async throws {
        let f = try ServiceFixture(respond: Self.walkthrough)
        try await f.start()
        defer { Task { try? await f.stop() } }
        let (blocked, b) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity("test"))
        #expect(blocked == 409)
        #expect(b["code"] == "40910")
        #expect(b["message"]?.stringValue?.hasPrefix("activity 1 was created and stays PLANNED: ") == true)
        #expect(b["message"]?.stringValue?.contains("stage-order: stage 'test' requires 'dev'") == true)
        #expect(try await f.call(.GET, "/api/v1/pp/devops/activities/1/status").1["status"] == "PLANNED")
        let (_, tasks) = try await f.call(.GET, "/api/v1/pp/devops/tasks?activityId=1")
        #expect(tasks.arrayValue?.map { $0["status"] } == ["PLANNED"])
        let (_, decisions) = try await f.call(.GET, "/api/v1/tollgate/decisions?activityId=1")
        #expect(decisions.arrayValue?.count == 1)
        #expect(decisions.arrayValue?.first?["verdict"] == "block")
        #expect(decisions.arrayValue?.first?["gatedChange"] == "activity 1 stays PLANNED: start blocked")

        // Started once dev is done: the same activity, no second one.
        let (created, dev) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity("dev"))
        #expect(created == 201)
        #expect(dev["id"] == 2)
        #expect(dev["status"] == "PROCESSING")
    }

    @Test func errorsUseODMsBodyAndCodes() async throws {
        let f = try ServiceFixture(respond: Self.walkthrough)
        try await f.start()
        defer { Task { try? await f.stop() } }
        let (notFound, body) = try await f.call(.GET, "/api/v1/pp/devops/activities/99")
        #expect(notFound == 404)
        #expect(body["code"] == "40401")
        #expect(body["status"] == 404)
        #expect(body["path"] == "/api/v1/pp/devops/activities/99")
        #expect(body["timestamp"]?.intValue != nil)

        let (unreadable, u) = try await f.call(.POST, "/api/v1/pp/devops/activities", raw: "{not json")
        #expect(unreadable == 400)
        #expect(u["code"] == "40000")
        #expect(u["message"]?.stringValue?.contains("line 1") == true)

        let (invalid, i) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: activity("prod"))
        #expect(invalid == 422)
        #expect(i["code"] == "42201")

        let (created, _) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: activity("test"))
        #expect(created == 201)
        let (duplicate, d) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: activity("test"))
        #expect(duplicate == 422)
        #expect(d["code"] == "42202")

        // Policy block: a 4xx with the blocking policy and its reason, and the activity stays PLANNED.
        let (blocked, b) = try await f.call(.PATCH, "/api/v1/pp/devops/activities/1/status?action=START")
        #expect(blocked == 409)
        #expect(b["code"] == "40910")
        #expect(b["message"]?.stringValue?.contains("stage-order: stage 'test' requires 'dev'") == true)
        #expect(try await f.call(.GET, "/api/v1/pp/devops/activities/1/status").1["status"] == "PLANNED")

        // A dry run of a phase on a posted input: the verdict with every policy's answer, nothing recorded.
        let input = try JSONValue.parse(
            String(decoding: FileManager.default.contents(atPath: RepositoryPaths.path("examples/policy-inputs/4-task-result-malformed-ip.json"))!, as: UTF8.self))
        let (dry, verdict) = try await f.call(.POST, "/api/v1/tollgate/policies/evaluate", body: input)
        #expect(dry == 200)
        #expect(verdict["verdict"] == "block")
        let vm = verdict["results"]?.arrayValue?.first { $0["policy"] == "vm-ip-wellformed" }
        #expect(vm?["outcome"] == "deny")
        #expect(vm?["revision"]?.stringValue?.count == 64)

        let (badAction, a) = try await f.call(.PATCH, "/api/v1/pp/devops/activities/1/status?action=PAUSE")
        #expect(badAction == 400)
        #expect(a["code"] == "40055")

        // Only one PROCESSING activity per version; a PROCESSING one cannot start again.
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: activity("dev"))
        let (deleted, _) = try await f.call(.DELETE, "/api/v1/pp/devops/activities/1")
        #expect(deleted == 200)
        let (gone, _) = try await f.call(.GET, "/api/v1/pp/devops/activities/1")
        #expect(gone == 404)
    }
}

/// Faults: peers that are down answer clearly and lose nothing.
@Suite("Faults", .serialized)
struct FaultTests {
    @Test func anExecutorDownAtDispatchIsRetriedUntilItIsBack() async throws {
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough, recoveryInterval: .milliseconds(100))
        try await f.start(executorUp: false)
        defer { Task { try? await f.stop() } }
        let (status, created) = try await f.call(
            .POST, "/api/v1/pp/devops/activities?startAfterCreation=true",
            body: ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": "dev"])
        #expect(status == 201)
        #expect(created["status"] == "PROCESSING")
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await f.call(.GET, "/api/v1/pp/devops/tasks/1/status").1["status"] == "PROCESSING", "waiting, not failed")
        try await f.executor.start()
        try await f.waitFor(activity: 1, status: "PROCESSED")
        #expect(f.executor.tasks.count == 2, "each task delivered once")
    }
}

extension FakeODMRegistry {
    /// A registry serving the walk-through product's version 1.0.0 in its normalized form.
    static func walkthrough() -> FakeODMRegistry {
        let normalized: JSONValue = [
            "info": ["fullyQualifiedName": .string(DevOpsAPITests.product), "version": "1.0.0", "owner": ["id": "o"]],
            "internalComponents": [
                "lifecycleInfo": [
                    "tasksInfo": [
                        ["name": "dev:task:1", "stageName": "dev", "order": 1, "service": ["$href": "azure-devops"],
                         "template": ["definition": ["pipelineId": "2"]]],
                    ]
                ]
            ],
        ]
        return FakeODMRegistry(versions: ["\(DevOpsAPITests.product)@1.0.0": normalized])
    }
}

@Suite("Registry faults", .serialized)
struct RegistryFaultTests {
    @Test func aRegistryDownAtCreateIsAClearAnswerAndNothingIsLost() async throws {
        let registry = FakeODMRegistry.walkthrough()
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        try await f.start(registry: .odm(address: registry.address))
        defer {
            registry.stop()
            Task { try? await f.stop() }
        }
        let body: JSONValue = ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "1.0.0", "stage": "dev"]
        let (down, answer) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body)
        #expect(down == 500, "ODM's ActivityErrorsIT: registry unreachable is 500")
        #expect(answer["code"] == "50050")
        #expect(answer["description"] == "Registry service is disabled or not reachable")
        #expect(answer["message"]?.stringValue?.contains("unreachable") == true)
        #expect(try await f.call(.GET, "/api/v1/pp/devops/activities").1 == [], "nothing half-created")

        try await registry.start(client: f.client)
        let (created, activity) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body)
        #expect(created == 201)
        #expect(activity["status"] == "PROCESSING")
        try await f.waitFor(activity: 1, status: "PROCESSED")
        #expect(registry.requests.withLock { $0.first?.contains("format=normalized") == true })
        let (missing, m) = try await f.call(
            .POST, "/api/v1/pp/devops/activities",
            body: ["dataProductId": .string(DevOpsAPITests.product), "dataProductVersion": "9.9.9", "stage": "dev"])
        #expect(missing == 422)
        #expect(m["code"] == "42201")
    }
}
