import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// examples/dtaas end to end against the GitLab fake: a digital twin's files committed in one
/// commit with its trigger job registered in the root pipeline, then its pipeline run with the
/// DTaaS variables, followed through its child pipeline, with the job logs in the history.
@Suite("The DTaaS example", .serialized)
struct DTaaSExampleTests {
    static let product = "urn:dtaas:digital-twins:hello-world"

    @Test func aTwinIsCommittedOnceRegisteredOnceAndRunWithItsLogsKept() async throws {
        let gitlab = FakeGitLab()
        gitlab.addProject(id: 12, path: "dtaas/user1")
        gitlab.planJobs([
            .init(name: "create_hello-world", stage: "create", trace: "\u{1B}[32;1m$ lifecycle/create\u{1B}[0;m\nhello-world: create\n", tags: ["linux"]),
            .init(name: "execute_hello-world", stage: "execute", trace: "hello-world: execute\n", tags: ["linux"]),
            .init(name: "clean_hello-world", stage: "clean", trace: "hello-world: clean\n", tags: ["linux"]),
        ])
        let repositories = gitlab.repositories
        repositories.addGroup(id: 3, path: "dtaas")
        repositories.addProject(id: 12, group: 3, path: "user1")
        let root = try #require(FileManager.default.contents(atPath: RepositoryPaths.path("examples/dtaas/project/.gitlab-ci.yml")))
        repositories.setFile(project: 12, path: ".gitlab-ci.yml", content: Array(root))

        let f = try ServiceFixture(respond: { _ in nil }, recoveryInterval: .milliseconds(50))
        try await gitlab.start(client: f.client)
        defer { gitlab.stop() }
        try f.useDescriptor("examples/dtaas/descriptor.json")
        let text = String(decoding: try #require(FileManager.default.contents(atPath: RepositoryPaths.path("examples/dtaas/descriptor.json"))), as: UTF8.self)
        try f.directory.write("descriptors/hello-1.0.1.json", text.replacingOccurrences(of: #""version": "1.0.0""#, with: #""version": "1.0.1""#))
        var pipelines = GitLabExecutorSettings(address: gitlab.address, token: gitlab.token, project: "dtaas/user1")
        pipelines.pollSeconds = 0.02
        try await f.start(executors: [
            "gitlab-files": .gitlabFiles(GitLabFilesExecutorSettings(address: gitlab.address, token: gitlab.token, project: "dtaas/user1")),
            "gitlab": .gitlab(pipelines),
        ])
        defer { Task { try? await f.stop() } }
        let commitsBefore = repositories.commits(project: 12).count

        func run(version: String, activity: Int, pipeline: Int64) async throws {
            let body: JSONValue = ["dataProductId": .string(Self.product), "dataProductVersion": .string(version), "stage": "dev"]
            let (status, answer) = try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body)
            #expect(status == 201, "\(answer)")
            try await waitUntil("pipeline \(pipeline)") { gitlab.createdPipelines.contains(pipeline) }
            gitlab.setJobs(ofChildOf: pipeline, ["create_hello-world": "success", "execute_hello-world": "success", "clean_hello-world": "success"])
            try await waitUntil("activity \(activity) done") {
                try await f.call(.GET, "/api/v1/pp/devops/activities/\(activity)/status").1["status"] != "PROCESSING"
            }
            #expect(try await f.call(.GET, "/api/v1/pp/devops/activities/\(activity)/status").1["status"] == "PROCESSED")
        }

        try await run(version: "1.0.0", activity: 1, pipeline: 500)
        let files = repositories.files(project: 12)
        #expect(files["digital_twins/hello-world/lifecycle/execute"].map { String(decoding: $0, as: UTF8.self) } == "#!/bin/sh\necho \"hello-world: execute\"\n")
        let twinFiles = try #require(FileManager.default.subpaths(atPath: RepositoryPaths.path("examples/dtaas/project/digital_twins/hello-world")))
            .filter { !$0.hasSuffix("lifecycle") }
        #expect(Set(files.keys.filter { $0.hasPrefix("digital_twins/hello-world/") }) == Set(twinFiles.map { "digital_twins/hello-world/" + $0 }))
        let commits = repositories.commits(project: 12)
        #expect(commits.count == commitsBefore + 1, "every file and the trigger job in one commit")
        #expect(commits.last?.actions == twinFiles.count + 1, "the twin's files and the root pipeline")
        for path in twinFiles {
            let example = FileManager.default.contents(atPath: RepositoryPaths.path("examples/dtaas/project/digital_twins/hello-world/" + path))
            #expect(files["digital_twins/hello-world/" + path] == example.map(Array.init), "descriptor.json carries \(path) as it is in examples/dtaas/project")
        }
        #expect(commits.last?.message.hasPrefix("Create hello-world digital twin") == true)
        let ci = String(decoding: try #require(files[".gitlab-ci.yml"]), as: UTF8.self)
        #expect(ci.hasPrefix("image: fedora:41\n\nstages:\n  - triggers\n"))
        #expect(ci.components(separatedBy: "trigger_hello-world:").count == 2)
        let variables = gitlab.variables(of: 500)
        #expect(variables["DTName"] == "hello-world")
        #expect(variables["RunnerTag"] == "linux")
        #expect(variables["TWIN_BRANCH"] == "main", "the files task's results reach the pipeline through the context")
        let (_, task1) = try await f.call(.GET, "/api/v1/pp/devops/tasks/1")
        let results = try JSONValue.parse(try #require(task1["results"]?.stringValue))
        #expect(results["commitId"] == .string(try #require(commits.last?.id)))
        let (_, logs) = try await f.call(.GET, "/api/v1/tollgate/tasks/2/history?kind=log")
        #expect(logs.arrayValue?.compactMap { $0["message"]?.stringValue } == [
            "create_hello-world (success)", "execute_hello-world (success)", "clean_hello-world (success)",
        ])
        #expect(logs[0]?["data"]?["log"] == "$ lifecycle/create\nhello-world: create")
        let (_, task2) = try await f.call(.GET, "/api/v1/pp/devops/tasks/2")
        let pipeline = try JSONValue.parse(try #require(task2["results"]?.stringValue))
        #expect(pipeline["pipelineId"] == 500)
        #expect(pipeline["childPipelineId"] == 502)

        // Again, for the next version: nothing to change, so no commit and no second trigger job.
        try await run(version: "1.0.1", activity: 2, pipeline: 503)
        #expect(repositories.commits(project: 12).count == commitsBefore + 1)
        let again = String(decoding: try #require(repositories.files(project: 12)[".gitlab-ci.yml"]), as: UTF8.self)
        #expect(again.components(separatedBy: "trigger_hello-world:").count == 2)
        let (_, task3) = try await f.call(.GET, "/api/v1/pp/devops/tasks/3")
        #expect(try JSONValue.parse(try #require(task3["results"]?.stringValue))["commitId"] == .null)
    }
}
