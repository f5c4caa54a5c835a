import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TollgateJSON
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// A `gitlab-files` task writing what an earlier task reported, through the context.
@Suite("GitLab files tasks", .serialized)
struct GitLabFilesTaskTests {
    static let descriptor: JSONValue = [
        "dataProductDescriptor": "1.0.0",
        "info": ["fullyQualifiedName": "urn:org.opendatamesh:dataproducts:hello", "name": "hello", "version": "1.0.0", "owner": ["id": "o"]],
        "internalComponents": [
            "lifecycleInfo": [
                "dev": [
                    ["name": "provision", "service": ["$href": "azure-devops"], "template": ["definition": ["pipelineId": "2"]]],
                    [
                        "name": "config", "service": ["$href": "files"],
                        "template": ["definition": ["project": "platform/deploy", "branch": "main"]],
                        "configurations": [
                            "message": "VM of ${dev.results.provision.vm.name}",
                            "files": [
                                ["action": "upsert", "path": "envs/dev/vm.env", "content": "VM_IP=${dev.results.provision.vm.ip}\n"],
                                ["action": "appendOnce", "path": "envs/index.txt", "content": "dev\n"],
                            ],
                        ],
                    ],
                ]
            ]
        ],
    ]

    @Test func theFilesCarryEarlierResultsAndTheTaskReportsItsCommit() async throws {
        let gitlab = FakeGitLab()
        gitlab.repositories.addGroup(id: 1, path: "platform")
        gitlab.repositories.addProject(id: 30, group: 1, path: "deploy")
        gitlab.repositories.setFile(project: 30, path: "envs/index.txt", content: Array("prod\n".utf8))
        let f = try ServiceFixture(respond: DevOpsAPITests.walkthrough)
        try await gitlab.start(client: f.client)
        defer { gitlab.stop() }
        try f.useDescriptor(json: Self.descriptor)
        try await f.start(executors: [
            "azure-devops": .odm(address: f.executor.address, checkAfterCallback: false),
            "files": .gitlabFiles(GitLabFilesExecutorSettings(address: gitlab.address, token: gitlab.token)),
        ])
        defer { Task { try? await f.stop() } }
        let body: JSONValue = ["dataProductId": "urn:org.opendatamesh:dataproducts:hello", "dataProductVersion": "1.0.0", "stage": "dev"]
        #expect(try await f.call(.POST, "/api/v1/pp/devops/activities?startAfterCreation=true", body: body).0 == 201)
        try await f.waitFor(activity: 1, status: "PROCESSED")

        let files = gitlab.repositories.files(project: 30)
        #expect(files["envs/dev/vm.env"] == Array("VM_IP=198.168.20.120\n".utf8))
        #expect(files["envs/index.txt"] == Array("prod\ndev\n".utf8))
        let commit = try #require(gitlab.repositories.commits(project: 30).last)
        #expect(commit.message.hasPrefix("VM of vm-dev\n\nTollgate-Task: 2\n"))
        #expect(commit.actions == 2)
        let (_, task) = try await f.call(.GET, "/api/v1/pp/devops/tasks/2")
        let results = try JSONValue.parse(try #require(task["results"]?.stringValue))
        #expect(results["commitId"] == .string(commit.id))
        #expect(results["webUrl"]?.stringValue?.hasSuffix("/-/commit/\(commit.id)") == true, "\(results)")
        #expect(results["files"] == ["envs/dev/vm.env", "envs/index.txt"])
    }
}
