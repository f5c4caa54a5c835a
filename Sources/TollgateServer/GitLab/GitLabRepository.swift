import Foundation
import TollgateJSON

/// A GitLab instance's groups, projects and repositories: discovery, trees, files, and commits
/// of several files at once (all or nothing).
///
/// Every list is read to its end by following `Link: rel="next"` (offset or keyset pages); file
/// content is base64 decoded to bytes, then read as UTF-8; writes are never retried blindly.
public struct GitLabRepository: Sendable {
    let api: GitLabAPI

    /// `address` is the instance (`https://gitlab.example.com`); the token needs the `api` scope
    /// to write, `read_api` or `read_repository` to read. A throttled read waits out GitLab's
    /// `Retry-After`, up to `retryAfterCeiling` in all.
    public init(address: String, token: String, http: OutboundHTTP, retryAfterCeiling: Duration = .seconds(300)) {
        var http = http
        http.maxRetryAfter = retryAfterCeiling
        api = GitLabAPI(address: address, token: token, http: http)
    }

    init(api: GitLabAPI) { self.api = api }

    static func encoded(_ path: String) -> String { GitLabAPI.project(path) }

    /// The projects of a group (id or full path), subgroups included.
    public func projects(inGroup group: String) async throws(GitLabFailure) -> [GitLabProject] {
        try await api.list(
            "/groups/\(Self.encoded(group))/projects?per_page=100&include_subgroups=true&order_by=id&sort=asc",
            what: "listing the projects of group \(group)"
        ).compactMap(GitLabProject.init)
    }

    /// One project (id or full path).
    public func project(_ project: String) async throws(GitLabFailure) -> GitLabProject {
        let json = try await api.get("/projects/\(Self.encoded(project))", what: "reading project \(project)")
        guard let found = GitLabProject(json) else {
            throw GitLabFailure(retryable: false, status: 200, message: "GitLab's answer for project \(project) is not a project")
        }
        return found
    }

    /// The entries under `path` (the root when empty), every page, keyset-paginated.
    public func tree(project: String, path: String = "", ref: String, recursive: Bool = false) async throws(GitLabFailure) -> [GitLabTreeEntry] {
        var query: [(String, String)] = [("ref", ref), ("recursive", recursive ? "true" : "false"), ("per_page", "100"), ("pagination", "keyset")]
        if !path.isEmpty { query.insert(("path", path), at: 0) }
        let entries = try await api.list(
            "/projects/\(Self.encoded(project))/repository/tree?\(GitLabAPI.query(query))",
            what: "listing \(path.isEmpty ? "the root" : path) of \(project) at \(ref)")
        return entries.compactMap { entry in
            guard let path = entry["path"]?.stringValue else { return nil }
            return GitLabTreeEntry(path: path, name: entry["name"]?.stringValue ?? path, isFolder: entry["type"]?.stringValue == "tree")
        }
    }

    /// Deletes one file (one commit).
    public func deleteFile(project: String, branch: String, path: String, lastCommitId: String? = nil, message: String) async throws(GitLabFailure) {
        var body: JSONObject = ["branch": .string(branch), "commit_message": .string(message)]
        if let lastCommitId { body["last_commit_id"] = .string(lastCommitId) }
        try await api.delete(
            "/projects/\(Self.encoded(project))/repository/files/\(Self.encoded(path))", body: .object(body),
            what: "deleting \(path) in \(project) on \(branch)")
    }

    /// Applies every action in one commit: all of them, or (on any failure) none.
    public func commit(
        project: String, branch: String, message: String, actions: [GitLabCommitAction], startBranch: String? = nil
    ) async throws(GitLabFailure) -> GitLabCommit {
        var body: JSONObject = ["branch": .string(branch), "commit_message": .string(message), "actions": .array(actions.map(\.json))]
        if let startBranch { body["start_branch"] = .string(startBranch) }
        let json = try await api.post(
            "/projects/\(Self.encoded(project))/repository/commits", body: .object(body),
            what: "committing \(actions.count) change(s) to \(project) on \(branch)")
        guard let id = json["id"]?.stringValue else {
            throw GitLabFailure(retryable: false, status: 201, message: "GitLab made the commit but its answer had no id")
        }
        return GitLabCommit(id: id, webURL: json["web_url"]?.stringValue, title: json["title"]?.stringValue)
    }

    /// The id of the newest commit at `ref` (a branch or tag), or nil when the repository is empty.
    func head(project: String, ref: String) async throws(GitLabFailure) -> String? {
        let query = GitLabAPI.query([("ref_name", ref), ("per_page", "1")])
        do {
            let newest = try await api.get("/projects/\(Self.encoded(project))/repository/commits?\(query)", what: "reading the head of \(project) at \(ref)")
            return newest.arrayValue?.first?["id"]?.stringValue
        } catch where error.status == 404 {
            return nil
        }
    }

    /// The commits of `branch` made since `since`, newest first (every page).
    func commits(project: String, branch: String, since: Date) async throws(GitLabFailure) -> [GitLabCommit] {
        let query = GitLabAPI.query([("ref_name", branch), ("since", ISO8601DateFormatter().string(from: since)), ("per_page", "100")])
        return try await api.list("/projects/\(Self.encoded(project))/repository/commits?\(query)", what: "listing the commits of \(project) on \(branch)")
            .compactMap(GitLabCommit.init)
    }

    /// Deletes a folder: one commit with one delete per file under it. Nil when it holds no file.
    public func deleteFolder(project: String, branch: String, path: String, message: String) async throws(GitLabFailure) -> GitLabCommit? {
        let files = try await tree(project: project, path: path, ref: branch, recursive: true).filter { !$0.isFolder }
        guard !files.isEmpty else { return nil }
        return try await commit(project: project, branch: branch, message: message, actions: files.map { .delete(path: $0.path) })
    }
}
