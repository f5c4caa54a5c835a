import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The walk-through of lifecycle-example.md with `dev` on GitLab CI and `test` on Azure Pipelines
/// (fakes of both), its pipelines reporting through their callbacks as real ones would.
@Suite("The walk-through on GitLab CI and Azure Pipelines", .serialized)
struct CIWalkthroughTests {
    /// Plays the pipelines: each GitLab pipeline reports its step's results through
    /// `TOLLGATE_CALLBACK_URL`, then its jobs finish; each Azure run reports through `callbackRef`.
    final class Pipelines: Sendable {
        let gitlab: FakeGitLab
        let azure: FakeAzureDevOps
        let client: HTTPClient
        let answered = Mutex<Set<String>>([])

        init(gitlab: FakeGitLab, azure: FakeAzureDevOps, client: HTTPClient) {
            self.gitlab = gitlab
            self.azure = azure
            self.client = client
        }

        func callBack(_ url: String, _ body: JSONValue) async throws {
            var call = HTTPClientRequest(url: url)
            call.method = .PATCH
            call.headers.add(name: "Content-Type", value: "application/json")
            call.body = .bytes(ByteBuffer(string: body.serialized()))
            _ = try await client.execute(call, timeout: .seconds(10))
        }

        func round() async throws {
            for id in gitlab.createdPipelines where answered.withLock({ $0.insert("gitlab-\(id)").inserted }) {
                let variables = gitlab.variables(of: id)
                let results = variables["STEP"] == "provision" ? Walkthrough.vmResults : Walkthrough.urlResults
                try await callBack(try #require(variables["TOLLGATE_CALLBACK_URL"]), ["status": "PROCESSED", "results": results])
                gitlab.setJobs(ofChildOf: id, ["work": "success"])
            }
            for request in azure.requests where request.method == "POST" {
                guard let url = request.body?["templateParameters"]?["callbackRef"]?.stringValue,
                    answered.withLock({ $0.insert("azure-\(url)").inserted })
                else { continue }
                try await callBack(url, ["status": "PROCESSED", "results": ["tested": true]])
                if let run = azure.runIds.last { azure.complete(runId: run, result: "succeeded") }
            }
        }
    }

    @Test func devOnGitLabTestOnAzureWithTheDocumentedContexts() async throws {
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 9, path: "platform/hello")
        gitlab.planJobs([.init(name: "work", stage: "work", trace: "\u{1B}[32;1m$ ./lifecycle/run\u{1B}[0;m\ndone\n")])
        let azure = FakeAzureDevOps()
        azure.addPipeline(id: 6, name: "smoke-test")
        let f = try ServiceFixture(respond: { _ in nil }, recoveryInterval: .milliseconds(50))
        try await gitlab.start(client: f.client)
        try await azure.start(client: f.client)
        defer {
            gitlab.stop()
            azure.stop()
        }
        try f.useDescriptor("examples/walkthrough/descriptor-ci.json")
        var gitlabSettings = GitLabExecutorSettings(address: gitlab.address, token: gitlab.token, project: "platform/hello")
        gitlabSettings.pollSeconds = 0.05
        var azureSettings = AzureDevOpsExecutorSettings(organization: azure.organizationURL, project: azure.project, token: azure.pat)
        azureSettings.pollSeconds = 0.05
        try await f.start(executors: ["gitlab": .gitlab(gitlabSettings), "azure": .azureDevOps(azureSettings)])
        defer { Task { try? await f.stop() } }
        let pipelines = Pipelines(gitlab: gitlab, azure: azure, client: f.client)

        func run(_ stage: String, activity: Int) async throws {
            let body: JSONValue = ["dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": .string(stage)]
            let (status, answer) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body)
            #expect(status == 201, "\(answer)")
            for _ in 0..<3_000 {
                try await pipelines.round()
                if try await f.call(.GET, "/api/v1/pp/devops/activities/\(activity)/status").1["status"] != "PROCESSING" { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await f.call(.GET, "/api/v1/pp/devops/activities/\(activity)/status").1["status"] == "PROCESSED")
        }

        try await run("dev", activity: 1)
        #expect(gitlab.createdPipelines == [500, 503])
        func context(_ pipeline: Int64) -> JSONValue? { gitlab.variables(of: pipeline)["TOLLGATE_CONTEXT"].flatMap { try? JSONValue.parse($0) } }
        #expect(context(500) == (try Walkthrough.context(Walkthrough.step1Context)))
        #expect(context(503) == (try Walkthrough.context(Walkthrough.step3Context)))
        #expect(gitlab.variables(of: 503)["vmIp"] == "198.168.20.120")
        // The tasks ended by their pipelines' callbacks; the job logs follow once the pipelines finish
        // (a collection that finds the run still going tries again with the executor backoff: 1 s,
        // 2 s, 4 s, …).
        var logs: JSONValue = []
        for _ in 0..<3_000 {
            logs = try await f.call(.GET, "/api/v1/tollgate/tasks/2/history?kind=log").1
            if logs.arrayValue?.isEmpty == false { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let history = logs.arrayValue?.isEmpty == false ? "" : try await f.call(.GET, "/api/v1/tollgate/tasks/2/history").1.serialized()
        #expect(logs[0]?["message"] == "work (success)", "task 2's history: \(history)")
        #expect(logs[0]?["data"]?["log"] == "$ ./lifecycle/run\ndone")

        try await run("test", activity: 2)
        let started = try #require(azure.requests.first { $0.method == "POST" })
        #expect(started.body?["templateParameters"]?["endpointURL"] == "localhost:8121/helloWorld")
        #expect(started.body?["resources"]?["repositories"]?["self"]?["refName"] == "refs/heads/main")
        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/3")
        let configurations = try JSONValue.parse(try #require(task["configurations"]?.stringValue))
        func withoutFinish(_ context: JSONValue?) -> JSONValue? {
            guard var object = context?.objectValue, var dev = object["dev"]?.objectValue else { return nil }
            dev["finishedAt"] = nil
            object["dev"] = .object(dev)
            return .object(object)
        }
        #expect(withoutFinish(configurations["context"]) == withoutFinish(try Walkthrough.context(Walkthrough.step5Context)))
        #expect(configurations["context"]?["dev"]?["finishedAt"]?.stringValue?.hasSuffix("Z") == true, "dev's end, as a timestamp")
        let (_, current) = try await f.call(.GET, "/api/v1/pp/devops/lifecycles/urn:org.opendatamesh:dataproducts:hello/1.0.0/current")
        #expect(current["stage"] == "test")
    }
}
