import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The tokens operators configure, taken as GitLab takes them.
extension GitLabExecutorTests {
    @Test func anOAuthTokenWorksLikeAPersonalAccessToken() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        rig.gitlab.access.useOAuthToken()
        let executor = rig.executor()
        let request = try await started(executor, Self.request())
        #expect(request.reference == "7:500")
        rig.gitlab.setJobs(ofChildOf: 500, ["create": "success", "execute": "success", "clean": "success"])
        #expect(try await waitForReport(executor, request).status == .processed)
        let repository = GitLabRepository(address: rig.gitlab.address, token: rig.gitlab.token, http: OutboundHTTP(client: rig.client))
        rig.gitlab.repositories.addGroup(id: 3, path: "platform")
        rig.gitlab.repositories.addProject(id: 7, group: 3, path: "app")
        #expect(try await repository.project("platform/app").id == 7, "repository reads take it too")
    }

    @Test func aParameterGitLabCannotTakeAsAVariableIsNamedBeforeAnythingStarts() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        var request = Self.request()
        request.configurations = ["params": ["vm-size": "large"], "context": [:]]
        do {
            _ = try await rig.executor().dispatch(request)
            Issue.record("accepted")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.contains("'vm-size'") && error.message.contains("letters, digits and _"), "\(error.message)")
        }
        #expect(rig.gitlab.createdPipelines.isEmpty)
    }
}
