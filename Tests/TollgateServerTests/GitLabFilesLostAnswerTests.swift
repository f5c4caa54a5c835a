import AsyncHTTPClient
import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// A `gitlab-files` commit whose answer was lost: GitLab made it, Tollgate did not hear; the retry
/// must report that commit, not "nothing to change".
@Suite("GitLab files: a lost commit answer", .serialized)
struct GitLabFilesLostAnswerTests {
    @Test func theCommitIsFoundAgainByItsTaskMarker() async throws {
        let gitlab = FakeGitLab()
        gitlab.repositories.addGroup(id: 1, path: "platform")
        gitlab.repositories.addProject(id: 30, group: 1, path: "deploy")
        let client = TollgateService.makeHTTPClient()
        try await gitlab.start(client: client)
        defer {
            gitlab.stop()
            Task { try? await client.shutdown() }
        }
        var http = OutboundHTTP(client: client)
        http.backoff = .milliseconds(5)
        let executor = GitLabFilesExecutor(
            name: "files", settings: GitLabFilesExecutorSettings(address: gitlab.address, token: gitlab.token), http: http)
        var request = DispatchRequest(
            taskId: 7, activityId: 3, taskKey: "config", taskName: "config", executor: "files",
            template: ["project": "platform/deploy", "branch": "main"],
            configurations: ["files": [["action": "upsert", "path": "envs/dev/vm.env", "content": "VM_IP=10.0.0.1\n"]]],
            callbackRef: "http://127.0.0.1:8002/api/v1/pp/devops/tasks/7/status", timeoutSeconds: 600)
        request.queuedAt = Date()
        // Another task's commit on the branch meanwhile, with a marker that must not be taken for this one's.
        gitlab.repositories.loseCommitAnswers(1)
        do {
            _ = try await executor.dispatch(request)
            Issue.record("the lost answer was taken for an answer")
        } catch {
            #expect(error.retryable, "\(error.message)")
        }
        #expect(gitlab.repositories.commits(project: 30).count == 1, "GitLab made the commit")
        var other = request
        other.taskId = 70
        other.configurations = ["files": [["action": "upsert", "path": "envs/dev/other.env", "content": "X=1\n"]]]
        guard case .finished = try await executor.dispatch(other) else { Issue.record("task 70 did not finish"); return }

        request.attempt = 2
        request.mayHaveLanded = true
        guard case .finished(let report) = try await executor.dispatch(request) else { Issue.record("not finished"); return }
        let made = gitlab.repositories.commits(project: 30)
        #expect(made.count == 2, "no second commit for task 7")
        #expect(report.status == .processed)
        #expect(report.results?["commitId"] == .string(made[0].id), "\(report.results ?? .null)")
        #expect(report.results?["webUrl"]?.stringValue?.hasSuffix("/-/commit/\(made[0].id)") == true)
    }
}
