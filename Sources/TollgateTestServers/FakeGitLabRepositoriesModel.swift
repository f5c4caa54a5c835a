import Crypto
import Foundation

/// A group of the fake GitLab instance.
struct RepoGroup: Sendable {
    var id: Int64
    /// The full path, `dtaas` or `parent/child`.
    var fullPath: String
    var name: String

    /// The last segment of the full path.
    var path: String { fullPath.split(separator: "/").last.map(String.init) ?? fullPath }
}

/// A file in a branch: its bytes, its mode and the commit that last touched it.
struct RepoFile: Sendable {
    var content: [UInt8]
    var executable: Bool
    var lastCommitId: String

    /// Git's blob id: SHA-1 of `blob <size>\0<content>`.
    var blobId: String { RepoIds.sha1(Array("blob \(content.count)\0".utf8) + content) }
}

/// A commit in a branch's history.
struct RepoCommit: Sendable {
    var id: String
    var message: String
    var actions: Int
    var parentIds: [String]
    var date: Date
    var additions: Int
    var deletions: Int
}

/// A branch: its files by path, its history (oldest first) and whether pushes are refused.
struct RepoBranch: Sendable {
    var files: [String: RepoFile] = [:]
    var history: [RepoCommit] = []
    var protected = false

    /// The id of the newest commit, if the branch has any.
    var head: String? { history.last?.id }

    /// Whether `path` is a folder: some file lies below it.
    func isFolder(_ path: String) -> Bool {
        let prefix = path + "/"
        return files.keys.contains { $0.hasPrefix(prefix) }
    }
}

/// A project: a repository with branches, inside a group.
struct RepoProject: Sendable {
    var id: Int64
    var group: Int64
    var path: String
    var name: String
    var defaultBranch: String
    var branches: [String: RepoBranch]
    /// Order of creation (GitLab lists group projects newest first by default).
    var sequence: Int

    /// The branch a ref names: a branch name, or `HEAD` for the default branch.
    func branchName(for ref: String) -> String? {
        let name = ref == "HEAD" ? defaultBranch : ref
        return branches[name] == nil ? nil : name
    }
}

/// The whole instance: groups, projects, commit numbering and the test's scripting.
struct RepositoriesState: Sendable {
    var groups: [Int64: RepoGroup] = [:]
    var projects: [Int64: RepoProject] = [:]
    var commitCount = 0
    var projectCount = 0
    var throttled = 0
    var maxPerPage = 100
    /// Commits whose answer is lost (a proxy's 502 after GitLab made them).
    var lostCommitAnswers = 0
    var requests: [String] = []

    /// The id the next commit gets.
    var nextCommitId: String { RepoIds.sha1(Array("tollgate-fake-commit-\(commitCount + 1)".utf8)) }

    /// The full path of a group, or a stand-in for a group the test did not add.
    func groupPath(_ id: Int64) -> String { groups[id]?.fullPath ?? "group-\(id)" }

    /// `group/project`.
    func fullPath(of project: RepoProject) -> String { groupPath(project.group) + "/" + project.path }

    /// A group by numeric id or (case-insensitive) full path.
    func group(matching key: String) -> RepoGroup? {
        if let id = Int64(key) { return groups[id] }
        let wanted = key.lowercased()
        return groups.values.first { $0.fullPath.lowercased() == wanted }
    }

    /// A project by numeric id or (case-insensitive) full path.
    func project(matching key: String) -> RepoProject? {
        if let id = Int64(key) { return projects[id] }
        let wanted = key.lowercased()
        return projects.values.first { fullPath(of: $0).lowercased() == wanted }
    }

    /// Appends a commit to a branch whose files are already in their new state.
    mutating func record(
        _ message: String, actions: Int, additions: Int, deletions: Int, project: Int64, branch: String, files: [String: RepoFile]
    ) -> RepoCommit? {
        guard var target = projects[project]?.branches[branch] else { return nil }
        let commit = RepoCommit(
            id: nextCommitId, message: message, actions: actions, parentIds: target.head.map { [$0] } ?? [], date: Date(),
            additions: additions, deletions: deletions)
        commitCount += 1
        target.files = files
        target.history.append(commit)
        projects[project]?.branches[branch] = target
        return commit
    }
}

/// Ids in git's format: 40 lowercase hex digits.
enum RepoIds {
    static func sha1(_ bytes: [UInt8]) -> String {
        Insecure.SHA1.hash(data: bytes).map { hex($0) }.joined()
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { hex($0) }.joined()
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
