import Foundation
import Hummingbird
import Synchronization
import TollgateJSON

/// What a token may ask GitLab about itself and its projects: `GET /personal_access_tokens/self`,
/// `GET /user`, `GET /projects/:id/members/all/:user_id`, `GET /projects/:id/repository/branches/:branch`,
/// `GET /projects/:id/triggers` and `GET /projects/:id/runners`, with GitLab's rules for who sees what.
extension FakeGitLabRepositories {
    func addAccessRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get("personal_access_tokens/self") { [self] request, _ -> Response in
            if let refused = gate(request) { return refused }
            guard let body = access.tokenJSON else {
                return GitLabAnswer.json(.badRequest, ["message": "400 Bad request - This endpoint requires token type to be a personal access token"])
            }
            return GitLabAnswer.json(.ok, body)
        }
        api.get("user") { [self] request, _ -> Response in
            if let refused = gate(request) { return refused }
            return GitLabAnswer.json(.ok, FakeGitLabAccess.userJSON(FakeGitLabAccess.userName, id: FakeGitLabAccess.userId))
        }
        api.get("projects/:project/members/all/:user") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            guard project(context) != nil else { return GitLabAnswer.notFound("Project") }
            guard let body = access.memberJSON(user: context.parameters.get("user", as: Int64.self) ?? 0) else {
                return GitLabAnswer.json(.notFound, ["message": "404 Not found"])
            }
            return GitLabAnswer.json(.ok, body)
        }
        api.get("projects/:project/repository/branches/:branch") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            guard let id = project(context) else { return GitLabAnswer.notFound("Project") }
            let name = Self.parameter("branch", context) ?? ""
            let role = access.role
            guard let body = state.withLock({ state -> JSONValue? in
                guard let project = state.projects[id], let branch = project.branches[name] else { return nil }
                // Protected branches let Maintainers push and merge, unless set otherwise.
                return [
                    "name": .string(name), "protected": .bool(branch.protected), "default": .bool(project.defaultBranch == name),
                    "developers_can_push": false, "developers_can_merge": false, "merged": false,
                    "can_push": .bool(branch.protected ? role >= .maintainer : role >= .developer),
                    "commit": branch.head.map { ["id": .string($0)] } ?? .null,
                ]
            }) else { return GitLabAnswer.notFound("Branch") }
            return GitLabAnswer.json(.ok, body)
        }
        api.get("projects/:project/triggers") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            guard project(context) != nil else { return GitLabAnswer.notFound("Project") }
            guard access.role >= .maintainer else { return GitLabAnswer.json(.forbidden, ["message": "403 Forbidden"]) }
            return GitLabAnswer.json(.ok, access.triggersJSON)
        }
        api.get("projects/:project/runners") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            guard project(context) != nil else { return GitLabAnswer.notFound("Project") }
            guard access.role >= .maintainer else { return GitLabAnswer.json(.forbidden, ["message": "403 Forbidden"]) }
            let query = Dictionary(GitLabQuery.pairs(request.uri.query), uniquingKeysWith: { $1 })
            return GitLabAnswer.json(.ok, access.runnersJSON(tags: query["tag_list"], status: query["status"]))
        }
    }
}

extension FakeGitLabAccess {
    static func userJSON(_ name: String, id: Int64) -> JSONValue {
        ["id": .int(id), "username": .string(name), "name": .string(name), "state": "active", "bot": false]
    }

    /// `/personal_access_tokens/self`, or nil for an OAuth token.
    var tokenJSON: JSONValue? {
        state.withLock { state in
            guard state.kind == .personal else { return nil }
            return [
                "id": 4, "name": "tollgate", "revoked": false, "created_at": "2026-01-05T10:00:00.000Z",
                "scopes": .array(state.scopes.map(JSONValue.string)), "user_id": .int(Self.userId), "active": true,
                "expires_at": state.expiresAt.map(JSONValue.string) ?? .null,
            ]
        }
    }

    func memberJSON(user: Int64) -> JSONValue? {
        state.withLock { state in
            guard user == Self.userId, state.member else { return nil }
            guard case .object(var body) = Self.userJSON(Self.userName, id: Self.userId) else { return nil }
            body["access_level"] = .int(Int64(state.role.rawValue))
            return .object(body)
        }
    }

    /// What a project read adds: the caller's permissions, the CI file and runner setting, and
    /// (to Maintainers only, as GitLab shows them) the pipeline-variable settings.
    var projectJSON: JSONObject {
        state.withLock { state in
            var extra: JSONObject = [
                "permissions": ["project_access": state.member ? ["access_level": .int(Int64(state.role.rawValue)), "notification_level": 3] : .null, "group_access": .null],
                "ci_config_path": state.ciConfigPath.map(JSONValue.string) ?? .null,
                "shared_runners_enabled": .bool(state.sharedRunnersEnabled),
            ]
            if state.role >= .maintainer {
                extra["ci_pipeline_variables_minimum_override_role"] = .string(state.variablesMinimumRole)
                extra["restrict_user_defined_variables"] = .bool(state.variablesMinimumRole != "developer")
            }
            return extra
        }
    }

    /// The project's trigger: the token in full to its owner, its first four characters to others.
    var triggersJSON: JSONValue {
        state.withLock { state in
            let token = state.triggerToken
            let shown = state.triggerOwner == Self.userName ? token : String(token.dropFirst(token.hasPrefix("glptt-") ? 6 : 0).prefix(4))
            return [[
                "id": 10, "description": "tollgate", "token": .string(shown), "created_at": "2026-01-05T10:00:00.000Z",
                "owner": Self.userJSON(state.triggerOwner, id: state.triggerOwner == Self.userName ? Self.userId : 77),
            ]]
        }
    }

    /// The runners the project may use (instance runners only while shared runners are enabled),
    /// filtered as GitLab filters them; like GitLab's list, without their tags.
    func runnersJSON(tags: String?, status: String?) -> JSONValue {
        state.withLock { state in
            let wanted = (tags ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let listed = state.runners.filter { runner in
                (state.sharedRunnersEnabled || !runner.shared) && wanted.allSatisfy(runner.tags.contains)
                    && (status.map { $0 == (runner.online ? "online" : "offline") } ?? true)
            }
            return .array(
                listed.map { runner in
                    [
                        "id": .int(runner.id), "description": .string("runner \(runner.id)"), "active": true, "paused": false,
                        "is_shared": .bool(runner.shared), "runner_type": .string(runner.shared ? "instance_type" : "project_type"),
                        "online": .bool(runner.online), "status": .string(runner.online ? "online" : "offline"),
                    ]
                })
        }
    }
}
