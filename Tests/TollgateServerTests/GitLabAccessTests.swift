import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateServer
import TollgateTestServers
import TollgateTestSupport

/// The tokens operators configure, taken as GitLab takes them; refusals that name the token's real role.
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

    /// The fake's project 7 on the repository side too, where GitLab answers who is a member.
    func addRepository(_ rig: Rig, protectedMain: Bool = false) {
        rig.gitlab.repositories.addGroup(id: 3, path: "platform")
        rig.gitlab.repositories.addProject(id: 7, group: 3, path: "app")
        if protectedMain { rig.gitlab.repositories.protect(project: 7, branch: "main") }
    }

    @Test(arguments: [
        (FakeGitLab.Role.reporter, false, "the token's user tollgate-bot is Reporter on platform/app; starting and cancelling pipelines needs at least Developer"),
        (FakeGitLab.Role.developer, true, "push or merge rights there, which the token's user does not have (the token's user tollgate-bot is Developer on platform/app)"),
    ])
    func refusalsNameTheTokensRealRole(role: FakeGitLab.Role, protectedMain: Bool, advice: String) async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        addRepository(rig, protectedMain: protectedMain)
        rig.gitlab.setRole(role)
        do {
            _ = try await rig.executor().dispatch(Self.request())
            Issue.record("accepted")
        } catch {
            #expect(!error.retryable)
            #expect(error.message.localizedCaseInsensitiveContains(advice), "\(error.message)")
            #expect(!error.message.contains("needs at least the Developer role") || role < .developer, "no advice the token already follows")
        }
    }

    @Test func refusedVariablesNameTheRoleTheProjectAsksFor() async throws {
        let rig = Rig()
        try await rig.start()
        defer { rig.stop() }
        addRepository(rig)
        rig.gitlab.setRole(.developer)
        rig.gitlab.access.setPipelineVariablesMinimumRole("maintainer")
        do {
            _ = try await rig.executor().dispatch(Self.request())
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("minimum role to use pipeline variables is above the token's user's role"), "\(error.message)")
            #expect(error.message.contains("tollgate-bot is Developer on platform/app"), "\(error.message)")
        }
    }
}
