import Foundation
import TollgateJSON

extension GitLabSetupCheck {
    /// The token's kind, scopes and expiry; answers the token's user, or nil when GitLab refuses it.
    func checkToken(_ findings: inout [Finding]) async -> (id: Int64, name: String)? {
        do {
            let token = try await api.get("/personal_access_tokens/self", what: "reading the token")
            let scopes = token["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let name = token["name"]?.stringValue ?? "?"
            let expires = token["expires_at"]?.stringValue
            var message = "an access token (\(name)) with scopes \(scopes.joined(separator: ", "))" + (expires.map { ", expiring \($0)" } ?? ", not expiring")
            if token["active"]?.boolValue == false || token["revoked"]?.boolValue == true {
                findings.append(Finding(level: .problem, topic: "token", message: message + "; it is revoked or expired", fix: "create a new one"))
                return nil
            }
            if !scopes.contains("api") {
                findings.append(
                    Finding(
                        level: .problem, topic: "token", message: message + "; without the api scope GitLab refuses to start pipelines or commit",
                        fix: "create a token with the api scope"))
            } else if let expires, let day = Self.day(expires), day.timeIntervalSinceNow < 14 * 86_400 {
                message += "; it expires within two weeks"
                findings.append(Finding(level: .warning, topic: "token", message: message, fix: "rotate it before then"))
            } else {
                findings.append(Finding(level: .ok, topic: "token", message: message))
            }
        } catch where error.status == 400 && error.message.contains("personal access token") {
            findings.append(
                Finding(
                    level: .warning, topic: "token",
                    message: "an OAuth access token (Tollgate sends it as a bearer, as GitLab requires); GitLab does not say its scopes,"
                        + " and OAuth tokens expire (two hours by default) without Tollgate refreshing them",
                    fix: "use a personal, project or group access token with the api scope"))
        } catch where error.status == 401 {
            findings.append(
                Finding(
                    level: .problem, topic: "token", message: "GitLab refuses the token (401): it is wrong, expired or revoked",
                    fix: "set executors.<name>.token to a valid personal, project or group access token with the api scope"))
            return nil
        } catch where error.status == 404 {
            findings.append(Finding(level: .warning, topic: "token", message: "this GitLab (before 15.5) does not describe tokens; scopes and expiry not checked"))
        } catch {
            findings.append(Finding(level: .problem, topic: "GitLab", message: error.message, fix: "check executors.<name>.address and the network"))
            return nil
        }
        do {
            return try await api.currentUser()
        } catch {
            findings.append(Finding(level: .problem, topic: "token", message: error.message))
            return nil
        }
    }

    /// The project, and the user's role on it.
    func checkProject(_ project: String, user: (id: Int64, name: String), _ findings: inout [Finding]) async -> ProjectState? {
        let json: JSONValue
        do {
            json = try await api.get("/projects/\(GitLabAPI.project(project))", what: "reading project \(project)")
        } catch {
            findings.append(
                Finding(
                    level: .problem, topic: "project",
                    message: error.status == 404 ? "\(project) does not exist or \(user.name) cannot see it" : error.message,
                    fix: "check executors.<name>.project (id or full path) and that \(user.name) is a member"))
            return nil
        }
        let access: GitLabAccess
        do {
            access = try await api.access(on: project, user: user)
        } catch {
            findings.append(Finding(level: .problem, topic: "role", message: error.message))
            return nil
        }
        let needed: GitLabRole = .developer
        let doing = target.runsPipelines ? "start pipelines" : "commit files"
        switch access.role {
        case nil:
            findings.append(
                Finding(level: .problem, topic: "role", message: "\(access.sentence)", fix: "add \(user.name) to \(project) as \(needed) or above"))
        case let role? where role < needed:
            findings.append(
                Finding(
                    level: .problem, topic: "role", message: "\(access.sentence): it cannot \(doing)",
                    fix: "give \(user.name) the \(needed) role on \(project) (or above)"))
        case let role?:
            findings.append(Finding(level: .ok, topic: "role", message: "\(user.name) is \(role) on \(project)"))
        }
        return ProjectState(
            project: project, access: access, ref: target.ref ?? json["default_branch"]?.stringValue ?? "main",
            ciConfigPath: json["ci_config_path"]?.stringValue, sharedRunnersEnabled: json["shared_runners_enabled"]?.boolValue,
            variablesMinimumRole: json["ci_pipeline_variables_minimum_override_role"]?.stringValue,
            restrictsVariables: json["restrict_user_defined_variables"]?.boolValue)
    }

    /// That the ref exists, and that the user may run pipelines on it (push or merge rights on a
    /// protected branch) or commit to it.
    func checkRef(_ state: ProjectState, _ findings: inout [Finding]) async {
        let path = "/projects/\(GitLabAPI.project(state.project))/repository"
        let branch: JSONValue
        do {
            branch = try await api.get("\(path)/branches/\(URLEncoding.segment(state.ref))", what: "reading branch \(state.ref)")
        } catch where error.status == 404 {
            if target.runsPipelines, (try? await api.get("\(path)/tags/\(URLEncoding.segment(state.ref))", what: "reading tag \(state.ref)")) != nil {
                findings.append(Finding(level: .ok, topic: "ref", message: "\(state.ref) is a tag"))
                return
            }
            findings.append(
                Finding(
                    level: .problem, topic: "ref", message: "\(state.project) has no branch\(target.runsPipelines ? " or tag" : "") \(state.ref)",
                    fix: "set executors.<name>.\(target.runsPipelines ? "ref" : "branch") to one that exists"))
            return
        } catch {
            findings.append(Finding(level: .warning, topic: "ref", message: error.message))
            return
        }
        let canPush = branch["can_push"]?.boolValue ?? false
        let canMerge = branch["developers_can_merge"]?.boolValue == true && (state.access.role ?? .guest) >= .developer
        guard branch["protected"]?.boolValue == true else {
            findings.append(Finding(level: .ok, topic: "ref", message: "\(state.ref) is not protected"))
            return
        }
        if canPush || target.runsPipelines && canMerge {
            findings.append(Finding(level: .ok, topic: "ref", message: "\(state.ref) is protected; \(state.access.user) may \(canPush ? "push" : "merge") there"))
            return
        }
        let what = target.runsPipelines ? "runs pipelines on it only for users who may push or merge there" : "refuses commits to it"
        findings.append(
            Finding(
                level: .problem, topic: "ref", message: "\(state.ref) is protected and GitLab \(what); \(state.access.user) may not",
                fix: "allow \(state.access.role.map { "\($0)s" } ?? "its role") to \(target.runsPipelines ? "push or merge" : "push")"
                    + " in Settings > Repository > Protected branches, use a token of a user who may, or another \(target.runsPipelines ? "ref" : "branch")"))
    }

    static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.date(from: text)
    }
}
