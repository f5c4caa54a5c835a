public import AsyncHTTPClient
public import Hummingbird
import Synchronization

/// The repository side of a GitLab instance on loopback, speaking REST v4 as gitlab.md describes
/// it: groups and their projects (offset pages with `X-*` headers and `Link`), repository trees
/// (offset or keyset pages), files read as base64 or raw bytes, files written one commit each,
/// and atomic multi-action commits, with GitLab's status codes and error bodies, protected
/// branches, rate limiting (429 with `Retry-After` and `RateLimit-*`) and token authentication.
///
/// A project starts with its default branch and no commits. Every commit gets a 40-hex id, and
/// every file remembers the last commit that touched it (its `last_commit_id`). Only branch
/// names (and `HEAD`) are refs; commit ids are not.
///
/// It serves on its own port (`start(client:)`) or adds its routes to another fake's router
/// (`addRoutes(to:base:)`), so one address can serve pipelines and repositories.
public final class FakeGitLabRepositories: Sendable {
    /// The token `PRIVATE-TOKEN` or `Authorization: Bearer` must carry.
    public let token: String
    /// Who the token is and what GitLab lets it do (shared with the pipeline side).
    public let access: FakeGitLabAccess
    let state = Mutex(RepositoriesState())
    let server = LoopbackServer()

    public init(token: String = "glpat-good-token", access: FakeGitLabAccess = FakeGitLabAccess()) {
        self.token = token
        self.access = access
    }

    /// Adds the routes under `/api/v4`. `base()` gives `http://127.0.0.1:<port>`, the start of
    /// `Link` URLs and `web_url`s.
    public func addRoutes(to router: Router<BasicRequestContext>, base: @escaping @Sendable () -> String) {
        let api = router.group("api/v4")
        addGroupRoutes(to: api, base: base)
        addTreeRoutes(to: api, base: base)
        addFileRoutes(to: api)
        addCommitRoutes(to: api, base: base)
        addAccessRoutes(to: api)
    }

    // MARK: Standalone use

    /// `http://127.0.0.1:<port>` when started on its own.
    public var address: String { server.address }

    /// Serves the routes on a loopback port of their own.
    public func start(client: HTTPClient) async throws {
        let router = Router()
        let server = server
        addRoutes(to: router, base: { server.address })
        try await server.start(router, client: client)
    }

    public func stop() { server.stop() }

    // MARK: Scripting

    /// Adds a group. `path` is its full path; a group whose full path is the part before the last
    /// `/` becomes its parent.
    public func addGroup(id: Int64, path: String, name: String? = nil) {
        state.withLock { $0.groups[id] = RepoGroup(id: id, fullPath: path, name: name ?? path.split(separator: "/").last.map(String.init) ?? path) }
    }

    /// Adds a project in a group, with its default branch (empty, no commits yet).
    public func addProject(id: Int64, group: Int64, path: String, name: String? = nil, defaultBranch: String = "main") {
        state.withLock { state in
            state.projectCount += 1
            state.projects[id] = RepoProject(
                id: id, group: group, path: path, name: name ?? path, defaultBranch: defaultBranch,
                branches: [defaultBranch: RepoBranch()], sequence: state.projectCount)
        }
    }

    /// Adds a branch with the files and history of `from` (empty if `from` does not exist).
    public func addBranch(project: Int64, branch: String, from: String = "main", protected: Bool = false) {
        state.withLock { state in
            guard state.projects[project] != nil else { return }
            var copy = state.projects[project]?.branches[from] ?? RepoBranch()
            copy.protected = protected
            state.projects[project]?.branches[branch] = copy
        }
    }

    /// Whether a branch is protected.
    func isProtected(project: Int64, branch: String) -> Bool {
        state.withLock { $0.projects[project]?.branches[branch]?.protected ?? false }
    }

    /// Makes pushes to a branch answer 403 (scripted writes still go through).
    public func protect(project: Int64, branch: String) {
        state.withLock { $0.projects[project]?.branches[branch]?.protected = true }
    }

    /// Writes a file directly, as its own commit (`Add <path>` or `Update <path>`), creating the
    /// branch if it is missing and ignoring protection.
    public func setFile(project: Int64, branch: String = "main", path: String, content: [UInt8], executable: Bool = false) {
        state.withLock { state in
            guard state.projects[project] != nil else { return }
            if state.projects[project]?.branches[branch] == nil { state.projects[project]?.branches[branch] = RepoBranch() }
            let files = state.projects[project]?.branches[branch]?.files ?? [:]
            let exists = files[path] != nil
            let action: FileAction =
                exists
                ? .update(path: path, content: content, lastCommitId: nil, executable: executable)
                : .create(path: path, content: content, executable: executable)
            guard let change = try? ChangeSet.applying([action], to: files, commitId: state.nextCommitId) else { return }
            _ = state.record(
                "\(exists ? "Update" : "Add") \(path)", actions: 1, additions: change.additions, deletions: change.deletions,
                project: project, branch: branch, files: change.files)
        }
    }

    /// The files of a branch: path to bytes.
    public func files(project: Int64, branch: String = "main") -> [String: [UInt8]] {
        state.withLock { $0.projects[project]?.branches[branch]?.files.mapValues(\.content) ?? [:] }
    }

    /// The commits of a branch, oldest first, with the number of actions each made.
    public func commits(project: Int64, branch: String = "main") -> [(id: String, message: String, actions: Int)] {
        state.withLock { ($0.projects[project]?.branches[branch]?.history ?? []).map { ($0.id, $0.message, $0.actions) } }
    }

    /// The id of the last commit that touched a file.
    public func lastCommitId(project: Int64, branch: String = "main", path: String) -> String? {
        state.withLock { $0.projects[project]?.branches[branch]?.files[path]?.lastCommitId }
    }

    /// The next `count` requests answer 429 `Retry later` with `Retry-After: 1` and `RateLimit-*` headers.
    public func throttle(_ count: Int) { state.withLock { $0.throttled = count } }

    /// The next `count` commits are made, but their answer is a proxy's 502.
    public func loseCommitAnswers(_ count: Int) { state.withLock { $0.lostCommitAnswers = count } }

    /// The largest page served (100 on real instances).
    public func maxPerPage(_ count: Int) { state.withLock { $0.maxPerPage = max(1, count) } }

    /// Requests received, as `METHOD path?query` (still percent-encoded).
    public var requests: [String] { state.withLock { $0.requests } }
}
