import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The statuses, codes and bodies ODM's clients match on (odm-platform's `ActivityErrorsIT`,
/// `ActivityIT`, `TaskIT`), and the single-task start.
@Suite("ODM answers", .serialized)
struct ODMAnswerTests {
    static let dev = DevOpsAPITests().activity("dev")

    func expectODMBody(_ body: JSONValue, status: Int, code: String, path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(body["status"] == .int(Int64(status)), "\(body)", sourceLocation: sourceLocation)
        #expect(body["code"] == .string(code), "\(body)", sourceLocation: sourceLocation)
        #expect(body["description"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(body["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(body["path"] == .string(path), sourceLocation: sourceLocation)
        #expect(body["timestamp"]?.intValue != nil, sourceLocation: sourceLocation)
    }

    @Test func everyErrorCarriesTheODMBody() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        let activities = "/api/v1/pp/devops/activities"

        let (unknown, _, u) = try await f.send(.GET, "/api/v1/pp/devops/nothing-here")
        #expect(unknown == 404)
        expectODMBody(u, status: 404, code: "40400", path: "/api/v1/pp/devops/nothing-here")

        let (method, headers, m) = try await f.send(.PUT, activities)
        #expect(method == 405, "\(m)")
        expectODMBody(m, status: 405, code: "40500", path: activities)
        #expect(headers.first(name: "Allow") == "POST, GET")

        let large = "{\"stage\": \"" + String(repeating: "x", count: 5 << 20) + "\"}"
        let (tooLarge, _, l) = try await f.send(.POST, activities, body: large, headers: [("Content-Type", "application/json")])
        #expect(tooLarge == 413)
        expectODMBody(l, status: 413, code: "41300", path: activities)

        let (plain, _, p) = try await f.send(.POST, activities, body: Self.dev.serialized(), headers: [("Content-Type", "text/plain")])
        #expect(plain == 415, "a text/plain body is not read as JSON")
        expectODMBody(p, status: 415, code: "41501", path: activities)
        #expect(p["description"] == "Request media type not supported")

        let (pdf, _, a) = try await f.send(
            .POST, activities, body: Self.dev.serialized(), headers: [("Content-Type", "application/json"), ("Accept", "application/pdf")])
        #expect(pdf == 406)
        expectODMBody(a, status: 406, code: "40601", path: activities)

        let (vendor, _, _) = try await f.send(
            .POST, activities, body: Self.dev.serialized(),
            headers: [("Content-Type", "application/vnd.odmp.v1+json"), ("Accept", "application/vnd.odmp+json, */*;q=0.1")])
        #expect(vendor == 201, "ODM's own media types are JSON")

        let (unreadable, _, r) = try await f.send(.POST, activities, body: "{not json", headers: [("Content-Type", "application/json")])
        #expect(unreadable == 400)
        expectODMBody(r, status: 400, code: "40000", path: activities)
        #expect(r["description"] == "Request body is not readable")
    }

    @Test func startingAnActivityThatIsNotPlannedAnswersAsODM() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        let (running, r) = try await f.call(.PATCH, "/api/v1/pp/devops/activities/1/status?action=START")
        #expect(running == 409)
        #expect(r["code"] == "40901")
        #expect(r["description"] == "There is already a running activity on given product version")
        _ = try await f.call(.PATCH, "/api/v1/pp/devops/activities/1/status?action=ABORT")
        let (finished, d) = try await f.call(.PATCH, "/api/v1/pp/devops/activities/1/status?action=START")
        #expect(finished == 422)
        #expect(d["code"] == "42201")
        #expect(d["description"] == "Activity is invalid")
    }

    @Test func noCurrentLifecycleIsAnEmptyOK() async throws {
        let f = try ServiceFixture(respond: { _ in nil })
        try await f.start()
        defer { Task { try? await f.stop() } }
        let (status, headers, body) = try await f.send(.GET, "/api/v1/pp/devops/lifecycles/\(DevOpsAPITests.product)/1.0.0/current")
        #expect(status == 200)
        #expect(body == .null)
        #expect(headers.first(name: "Content-Length") == "0")
    }

    @Test func startingOneTaskOfAPlannedActivityStartsTheActivityThroughItsGate() async throws {
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        try await f.start()
        defer { Task { try? await f.stop() } }
        let (created, _) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: Self.dev)
        #expect(created == 201)
        let (status, body) = try await f.call(.PATCH, "/api/v1/pp/devops/tasks/1/status?action=START")
        #expect(status == 200, "\(body)")
        #expect(body["status"] == "PROCESSING")
        try await f.waitFor(activity: 1, status: "PROCESSED")
        let (_, decisions) = try await f.call(.GET, "/api/v1/tollgate/decisions?activityId=1&phase=ACTIVITY_STAGE_TRANSITION")
        #expect(decisions.arrayValue?.count == 1, "the stage-transition gate decided the start")

        // A blocked start answers like a blocked activity start and leaves everything PLANNED.
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities", body: DevOpsAPITests().activity("prod"))
        let (_, test) = try await f.call(.POST, "/api/v1/pp/devops/activities", body: DevOpsAPITests().activity("test"))
        let id = try #require(test["id"]?.intValue)
        let (_, tasks) = try await f.call(.GET, "/api/v1/pp/devops/tasks?activityId=\(id)")
        let taskId = try #require(tasks[0]?["id"]?.intValue)
        #expect(try await f.call(.PATCH, "/api/v1/pp/devops/tasks/\(taskId)/status?action=START").0 == 200, "dev is done: test may start")
    }

    @Test func anUnreachableExecutorIsNamedOnItsTaskThenFailsIt() async throws {
        let f = try ServiceFixture(respond: { _ in nil }, recoveryInterval: .milliseconds(100))
        try await f.start(executorUp: false, dispatchRetrySeconds: ["azure-devops": 3])
        defer { Task { try? await f.stop() } }
        _ = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        try await waitUntil("the task names its executor") {
            try await f.call(.GET, "/api/v1/pp/devops/tasks/1").1["errors"]?.stringValue != nil
        }
        let (_, waiting) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        #expect(waiting["status"] == "PROCESSING")
        let errors = waiting["errors"]?.stringValue ?? ""
        #expect(errors.contains("executor 'azure-devops' could not take the task"), "\(errors)")
        #expect(errors.contains("attempt 1; next in"), "\(errors)")
        #expect(errors.contains("within 3 s"), "\(errors)")

        try await f.waitFor(activity: 1, status: "FAILED")
        let (_, failed) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        #expect(failed["status"] == "FAILED")
        #expect(failed["errors"]?.stringValue?.hasPrefix("50072 Executor service is disabled or not reachable: executor 'azure-devops'") == true)
    }
}
