import Foundation
import Hummingbird
import Synchronization
import TollgateJSON

/// `POST /projects/:id/repository/commits`, the one way every API write becomes a commit, and
/// `GET` of the same path: a branch's commits, newest first.
extension FakeGitLabRepositories {
    func addCommitRoutes(to api: RouterGroup<BasicRequestContext>, base: @escaping @Sendable () -> String) {
        api.post("projects/:project/repository/commits") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            guard let project = project(context) else { return GitLabAnswer.notFound("Project") }
            let params = await RepoParams.of(request)
            do throws(RepoRefusal) {
                let missing = ["branch", "commit_message", "actions"].filter { params.values[$0] == nil || params.values[$0] == .null }
                if !missing.isEmpty { throw .error(missing.map { "\($0) is missing" }.joined(separator: ", ")) }
                let actions = try params.actions()
                let (commit, fullPath) = try write(
                    project: project, branch: params.string("branch") ?? "", startBranch: params.string("start_branch"),
                    message: params.string("commit_message") ?? "", actions: actions)
                let lost = state.withLock { state -> Bool in
                    guard state.lostCommitAnswers > 0 else { return false }
                    state.lostCommitAnswers -= 1
                    return true
                }
                if lost { return GitLabAnswer.badGateway() }
                return GitLabAnswer.json(.created, Self.commitJSON(commit, webURL: "\(base())/\(fullPath)/-/commit/\(commit.id)"))
            } catch {
                return GitLabAnswer.refused(error)
            }
        }
        api.get("projects/:project/repository/commits") { [self] request, context -> Response in
            if let refused = gate(request) { return refused }
            guard let project = project(context) else { return GitLabAnswer.notFound("Project") }
            let query = request.uri.queryParameters
            let since = query.get("since").flatMap { ISO8601DateFormatter().date(from: String($0)) }
            let (items, maxPerPage) = state.withLock { state -> ([JSONValue], Int) in
                guard let repository = state.projects[project] else { return ([], state.maxPerPage) }
                let branch = query.get("ref_name").map { String($0) } ?? repository.defaultBranch
                let path = state.fullPath(of: repository)
                let history = repository.branches[branch]?.history ?? []
                let items = history.reversed().filter { commit in since.map { commit.date >= $0 } ?? true }.map {
                    Self.commitJSON($0, webURL: "\(base())/\(path)/-/commit/\($0.id)")
                }
                return (items, state.maxPerPage)
            }
            return GitLabPaging.offset(items, request: request, base: base(), maxPerPage: maxPerPage)
        }
    }

    /// The id of the project a `:project` parameter names (numeric id or full path).
    func project(_ context: BasicRequestContext) -> Int64? {
        let key = Self.parameter("project", context) ?? ""
        return state.withLock { $0.project(matching: key)?.id }
    }

    /// Applies `actions` to `branch` as one commit, or changes nothing. A missing branch is created
    /// from `startBranch` when that exists. Returns the commit and the project's full path.
    func write(
        project: Int64, branch: String, startBranch: String?, message: String, actions: [FileAction]
    ) throws(RepoRefusal) -> (RepoCommit, String) {
        try state.withLock { state throws(RepoRefusal) -> (RepoCommit, String) in
            guard let repository = state.projects[project] else { throw .message("404 Project Not Found", status: .notFound) }
            var target: RepoBranch
            if let existing = repository.branches[branch] {
                if existing.protected { throw .protectedBranch }
                if let startBranch, startBranch != branch { throw .branchExists(branch) }
                target = existing
            } else if let startBranch, let start = repository.branches[startBranch] {
                target = start
                target.protected = false
            } else {
                throw .notOnBranch
            }
            let change = try ChangeSet.applying(actions, to: target.files, commitId: state.nextCommitId)
            state.projects[project]?.branches[branch] = target
            guard
                let commit = state.record(
                    message, actions: actions.count, additions: change.additions, deletions: change.deletions, project: project,
                    branch: branch, files: change.files)
            else { throw .notOnBranch }
            return (commit, state.fullPath(of: repository))
        }
    }

    static func commitJSON(_ commit: RepoCommit, webURL: String) -> JSONValue {
        let date = JSONValue.string(GitLabAnswer.timestamp(commit.date))
        let title = commit.message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return [
            "id": .string(commit.id), "short_id": .string(String(commit.id.prefix(8))), "title": .string(title),
            "message": .string(commit.message), "author_name": "Administrator", "author_email": "admin@example.com",
            "authored_date": date, "committer_name": "Administrator", "committer_email": "admin@example.com", "committed_date": date,
            "created_at": date, "parent_ids": .array(commit.parentIds.map(JSONValue.string)),
            "stats": [
                "additions": .int(Int64(commit.additions)), "deletions": .int(Int64(commit.deletions)),
                "total": .int(Int64(commit.additions + commit.deletions)),
            ],
            "status": .null, "web_url": .string(webURL), "trailers": [:], "extended_trailers": [:],
        ]
    }
}
