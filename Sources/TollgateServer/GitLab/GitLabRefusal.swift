import Foundation

/// GitLab's refusals explained: what GitLab said, and what to do about it, worded for the token's
/// real role when GitLab told it.
enum GitLabRefusal {
    static let protectedRef = "You do not have sufficient permission to run a pipeline on"
    static let variablesNotAllowed = "Insufficient permissions to set pipeline variables"

    /// Whether a refusal is about what the token's user may do (worth asking its role).
    static func isAboutAccess(status: Int, body: String) -> Bool {
        status == 403 && !body.contains("insufficient_scope") && !body.contains("not allowed to push")
            || status == 400 && (body.contains(protectedRef) || body.contains(variablesNotAllowed))
    }

    /// The project a `/projects/:id/…` path names, decoded.
    static func project(inPath path: String) -> String? {
        let parts = path.split(separator: "?")[0].split(separator: "/")
        guard parts.count >= 2, parts[0] == "projects" else { return nil }
        return String(parts[1]).removingPercentEncoding
    }

    static func explain(status: Int, body: String, what: String, path: String = "", access: GitLabAccess? = nil) -> String {
        let said = GitLabAPI.message(body)
        let quoted = said.map { " GitLab said: \($0)." } ?? ""
        switch status {
        case 401:
            return "GitLab refused the token when \(what) (401).\(quoted) Check executors.<name>.token: it may be wrong, expired or revoked."
        case 403 where said?.contains("not allowed to push") == true:
            return "GitLab refused \(what): the branch is protected.\(quoted) Use a branch the token's user may push to, or open a merge request."
        case 403 where said?.contains("insufficient_scope") == true:
            return "the GitLab token lacks the scope needed for \(what) (403).\(quoted) Give it the api scope."
        case 403:
            return "GitLab did not allow \(what) (403).\(quoted) " + forbiddenAdvice(path: path, access: access)
        case 404:
            return "GitLab found nothing when \(what) (404).\(quoted) Check the project (id or full path) and that the token can see it"
                + "; with a trigger token, check the token itself."
        case 400 where said?.contains("Reference not found") == true:
            return "GitLab could not find the ref when \(what).\(quoted) Check the branch or tag (executors.<name>.ref or the task's ref)."
        case 400 where said?.contains(protectedRef) == true:
            let who = access.map { " (\($0.sentence))" } ?? ""
            return "GitLab refused \(what): the ref is protected, and running a pipeline on it needs push or merge rights there,"
                + " which the token's user does not have\(who).\(quoted) Allow that role to push or merge in Settings > Repository >"
                + " Protected branches, use a token of a user who may, or run on another ref."
        case 400 where said?.contains(variablesNotAllowed) == true:
            let who = access.map { " (\($0.sentence))" } ?? ""
            return "GitLab refused the pipeline variables when \(what): the project's minimum role to use pipeline variables is above"
                + " the token's user's role\(who).\(quoted) Lower it to that role (Settings > CI/CD > Variables: minimum role to use"
                + " pipeline variables; projects created on GitLab.com since 17.7 allow no one), or use a token of a user who has it."
        case 400 where said?.contains("already exists") == true:
            return "GitLab refused \(what): the file already exists.\(quoted) Update it instead, or delete it first."
        case 400 where said?.contains("changed since you started editing") == true:
            return "GitLab refused \(what): the file was changed by someone else since it was read.\(quoted) Read it again and retry."
        case 400 where said?.contains("doesn't exist") == true:
            return "GitLab refused \(what): there is no such file.\(quoted) (A folder is deleted file by file, in one commit.)"
        case 400 where said?.contains("rules configuration prevented any jobs") == true:
            return "the pipeline would run no job when \(what).\(quoted) The CI rules select no job for these variables and ref."
        default:
            return "GitLab answered \(status) when \(what).\(quoted)"
        }
    }

    /// What to do about a 403, by what was asked and the role the token's user has.
    static func forbiddenAdvice(path: String, access: GitLabAccess?) -> String {
        let needs: (role: GitLabRole, for: String) =
            if path.contains("/variables") { (.maintainer, "reading the variables of pipelines someone else ran") }
            else if path.contains("/triggers") || path.contains("/runners") { (.maintainer, "reading the project's triggers and runners") }
            else if path.hasSuffix("/cancel") || path.contains("/pipeline") { (.developer, "starting and cancelling pipelines") }
            else { (.developer, "this") }
        guard let access else {
            return "Check the token's role on the project: \(needs.for) needs at least \(needs.role)."
        }
        guard let role = access.role else {
            return "\(capitalized(access.sentence)); \(needs.for) needs at least \(needs.role): add it to the project with that role."
        }
        if role < needs.role {
            return "\(capitalized(access.sentence)); \(needs.for) needs at least \(needs.role)."
        }
        return "\(capitalized(access.sentence)), which is enough for \(needs.for) by GitLab's defaults; a setting of the project"
            + " or of the instance restricts it further: ask the project's Maintainers which one."
    }

    static func capitalized(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}
