import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// Tollgate serving with the GitLab CI executor: tasks whose pipelines never call back, job logs
/// in the history, and aborts that cancel pipelines.
@Suite("GitLab CI through the service", .serialized)
struct GitLabServiceTests {
    static let dev: JSONValue = [
        "dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev",
    ]

    /// Tollgate serving the CI walk-through's descriptor with `gitlab` as its GitLab executor.
    static func serve(with gitlab: FakeGitLab) async throws -> ServiceFixture {
        let f = try ServiceFixture(respond: { _ in nil }, recoveryInterval: .milliseconds(50))
        try await gitlab.start(client: f.client)
        try f.useDescriptor("examples/walkthrough/descriptor-ci.json")
        var settings = GitLabExecutorSettings(address: gitlab.address, token: gitlab.token)
        settings.pollSeconds = 0.02
        try await f.start(executors: ["gitlab": .gitlab(settings)])
        return f
    }

    @Test func aPipelineThatNeverCallsBackCompletesItsTaskWithJobLogsAndAnAbortCancelsTheNext() async throws {
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 9, path: "platform/hello")
        gitlab.planJobs([.init(name: "provision", stage: "deploy", trace: "\u{1B}[32;1m$ terraform apply\u{1B}[0;m\nApply complete! Ressourcen: 1 hinzugefügt\n")])
        let f = try await Self.serve(with: gitlab)
        defer {
            gitlab.stop()
            Task { try? await f.stop() }
        }

        let (created, _) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        #expect(created == 201)
        try await waitUntil("the first pipeline") { gitlab.createdPipelines == [500] }
        #expect(gitlab.variables(of: 500)["STEP"] == "provision")
        #expect(gitlab.variables(of: 500)["TOLLGATE_CONTEXT"].flatMap { try? JSONValue.parse($0) } == (try Walkthrough.context(Walkthrough.step1Context)))
        gitlab.setJobs(ofChildOf: 500, ["provision": "success"])

        try await waitUntil("task 1 completed from the pipeline") {
            try await f.call(.GET, "/api/v1/pp/devops/tasks/1/status").1["status"] == "PROCESSED"
        }
        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        let results = try JSONValue.parse(try #require(task["results"]?.stringValue))
        #expect(results["pipelineId"] == 500)
        #expect(results["childPipelineId"] == 502)
        #expect(results["jobs"] == [["name": "provision", "status": "success"]])
        let (_, logs) = try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=log")
        #expect(logs.arrayValue?.count == 1)
        #expect(logs[0]?["message"] == "provision (success)")
        #expect(logs[0]?["data"]?["log"] == "$ terraform apply\nApply complete! Ressourcen: 1 hinzugefügt")

        // Task 2 needs `${dev.results.task1.vm.ip}`, which the pipeline's own results do not have: it fails
        // before anything starts, and the activity with it. A fresh activity is aborted while its pipeline runs.
        try await waitUntil("the activity ended") {
            try await f.call(.GET, "/api/v1/pp/devops/activities/1/status").1["status"] == "FAILED"
        }
        #expect(gitlab.createdPipelines == [500], "no pipeline for a task whose parameters do not resolve")

        let (again, second) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev)
        #expect(again == 201, "\(second)")
        try await waitUntil("the second pipeline") { gitlab.createdPipelines == [500, 503] }
        try await waitUntil("its reference recorded") {
            let history = try await f.call(.GET, "/api/v1/tollgate/tasks/3/history?kind=dispatched").1
            return history.arrayValue?.first?["message"]?.stringValue == "accepted by gitlab as 9:503"
        }
        #expect(try await f.call(.PATCH, "/api/v1/pp/devops/activities/2/status?action=ABORT").0 == 200)
        try await waitUntil("the pipeline cancelled") { gitlab.status(of: 505) == "canceled" }
        try await waitUntil("the cancel recorded") {
            let history = try await f.call(.GET, "/api/v1/tollgate/tasks/3/history?kind=cancel").1
            return history.arrayValue?.first?["message"]?.stringValue
                == "cancelled (activity 2 was aborted): cancelled pipeline 503 and child pipeline 505"
        }
    }

    @Test func aCallbackThatOutrunsTheDispatchAnswerStillGetsItsLogsAndCancelsNothing() async throws {
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 9, path: "platform/hello")
        gitlab.planJobs([.init(name: "provision", stage: "deploy", trace: "$ terraform apply\ndone\n")])
        // GitLab creates the pipeline at once but its answer is slow: the pipeline reports first.
        gitlab.answerCreationAfter(.seconds(1))
        let f = try await Self.serve(with: gitlab)
        defer {
            gitlab.stop()
            Task { try? await f.stop() }
        }

        #expect(try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: Self.dev).0 == 201)
        try await waitUntil("the first pipeline") { gitlab.createdPipelines == [500] }
        gitlab.setJobs(ofChildOf: 500, ["provision": "success"])
        let callback = try #require(gitlab.variables(of: 500)["TOLLGATE_CALLBACK_URL"])
        var call = HTTPClientRequest(url: callback)
        call.method = .PATCH
        call.headers.add(name: "Content-Type", value: "application/json")
        call.body = .bytes(ByteBuffer(string: JSONValue.object(["status": "PROCESSED", "results": Walkthrough.vmResults]).serialized()))
        #expect(try await f.client.execute(call, timeout: .seconds(10)).status == .ok)
        try await waitUntil("the dispatch answer recorded") {
            let history = try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=dispatched").1
            return history.arrayValue?.first?["message"]?.stringValue == "accepted by gitlab as 9:500"
        }
        try await waitUntil("the job logs collected") {
            try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=log").1.arrayValue?.first?["message"] == "provision (success)"
        }
        let task = try await f.call(.GET, "/api/v1/pp/devops/tasks/1/status").1
        #expect(task["status"] == "PROCESSED", "\(task)")
        let cancels = try await f.call(.GET, "/api/v1/tollgate/tasks/1/history?kind=cancel").1
        #expect(cancels.arrayValue?.isEmpty == true, "a task that ended well has nothing to cancel: \(cancels)")
        #expect(!gitlab.requests.contains { $0.hasSuffix("/cancel") })
    }
}
