import AsyncHTTPClient
import Foundation
import Testing
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// `tollgate gitlab` as a platform engineer runs it, against the GitLab fake.
@Suite("tollgate gitlab", .serialized)
struct GitLabCommandTests {
    /// Runs the command off the cooperative pool, so the fake in this process keeps answering.
    func tollgate(_ arguments: [String], token: String) async throws -> TollgateCommand.Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try TollgateCommand.run(arguments, environment: ["GITLAB_TOKEN": token]) })
            }
        }
    }

    @Test func discoverPutCommitAndDeletePrepareAProject() async throws {
        let gitlab = FakeGitLab()
        let fake = gitlab.repositories
        fake.addGroup(id: 3, path: "dtaas")
        fake.addProject(id: 11, group: 3, path: "user1")
        fake.setFile(project: 11, path: "digital_twins/hello-world/README.md", content: Array("# hello".utf8))
        fake.setFile(project: 11, path: "functions/normalise/main.py", content: Array("pass".utf8))
        fake.setFile(project: 11, path: "data-product-descriptor.json", content: GitLabDescriptorSourceTests.descriptor("hello", version: "1.0.0"))
        let client = TollgateService.makeHTTPClient()
        try await gitlab.start(client: client)
        defer {
            gitlab.stop()
            Task { try? await client.shutdown() }
        }
        let directory = try TemporaryDirectory()
        let at = ["--address", gitlab.address]
        let token = gitlab.token

        let discover = try await tollgate(["gitlab", "discover", "--group", "dtaas"] + at, token: token)
        #expect(discover.status == 0, "\(discover.standardError)")
        #expect(discover.standardOutput.contains("urn:org.opendatamesh:dataproducts:hello 1.0.0  dtaas/user1:data-product-descriptor.json@main"))
        #expect(discover.standardOutput.contains("digital_twins/hello-world  dtaas/user1"))
        #expect(discover.standardOutput.contains("functions/normalise  dtaas/user1"))

        let local = try directory.write("config.yml", "größe: 3 ✓\n")
        let put = try await tollgate(["gitlab", "put", "dtaas/user1", "digital_twins/hello-world/config.yml", "--from", local] + at, token: token)
        #expect(put.status == 0, "\(put.standardError)")
        #expect(put.standardOutput == "created digital_twins/hello-world/config.yml on main of dtaas/user1\n")
        let get = try await tollgate(["gitlab", "get", "11", "digital_twins/hello-world/config.yml"] + at, token: token)
        #expect(get.standardOutput == "größe: 3 ✓\n")
        let unchanged = try await tollgate(["gitlab", "put", "11", "digital_twins/hello-world/config.yml", "--from", local] + at, token: token)
        #expect(unchanged.standardOutput.hasPrefix("unchanged"))

        let actions = try directory.write(
            "actions.json", ##"[{"action":"upsert","path":"digital_twins/two/README.md","content":"# two"},{"action":"create","path":"digital_twins/hello-world/README.md","content":"clash"}]"##)
        let clash = try await tollgate(["gitlab", "commit", "11", "--actions", actions, "--message", "Two twins"] + at, token: token)
        #expect(clash.status == 1)
        #expect(clash.standardError.contains("the file already exists"), "\(clash.standardError)")
        #expect(fake.files(project: 11)["digital_twins/two/README.md"] == nil, "nothing of a refused commit lands")

        let removed = try await tollgate(["gitlab", "delete", "11", "digital_twins/hello-world", "--message", "Remove hello-world"] + at, token: token)
        #expect(removed.status == 0, "\(removed.standardError)")
        #expect(removed.standardOutput.hasPrefix("deleted folder digital_twins/hello-world in commit "))
        #expect(fake.files(project: 11).keys.filter { $0.hasPrefix("digital_twins/hello-world") }.isEmpty)

        fake.protect(project: 11, branch: "main")
        let refused = try await tollgate(["gitlab", "put", "11", "x.txt", "--from", local] + at, token: token)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("the branch is protected"), "\(refused.standardError)")
        let noToken = try await tollgate(["gitlab", "get", "11", "x.txt", "--token-env", "NOT_SET_ANYWHERE"] + at, token: token)
        #expect(noToken.status == 2)
        #expect(noToken.standardError.contains("set NOT_SET_ANYWHERE to a GitLab token"))
    }
}
