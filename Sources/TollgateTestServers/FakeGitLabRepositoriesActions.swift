import HTTPTypes
import TollgateJSON

/// GitLab's answer to a request it refuses: a status and a `{"message":…}` (service errors) or
/// `{"error":…}` (parameter validation) body.
struct RepoRefusal: Error, Sendable {
    var status: HTTPResponse.Status
    var body: JSONValue

    static func message(_ text: String, status: HTTPResponse.Status = .badRequest) -> RepoRefusal {
        RepoRefusal(status: status, body: ["message": .string(text)])
    }

    static func error(_ text: String) -> RepoRefusal { RepoRefusal(status: .badRequest, body: ["error": .string(text)]) }

    static let fileExists = message("A file with this name already exists")
    static let fileMissing = message("A file with this name doesn't exist")
    static let directoryExists = message("A directory with this name already exists")
    static let changedSinceEditing = message("You are attempting to update a file that has changed since you started editing it.")
    static let notOnBranch = message("You can only create or edit files when you are on a branch")
    static let protectedBranch = message("403 Forbidden - You are not allowed to push into this branch", status: .forbidden)
    static let traversal = message("Path cannot include directory traversal")
    static let emptyPath = message("You must provide a file path")

    static func branchExists(_ name: String) -> RepoRefusal {
        message("A branch called '\(name)' already exists. Switch to that branch in order to make changes")
    }
}

/// One change of a commit, as the commits API and the files API express it.
enum FileAction: Sendable {
    case create(path: String, content: [UInt8], executable: Bool?)
    case update(path: String, content: [UInt8], lastCommitId: String?, executable: Bool?)
    case delete(path: String, lastCommitId: String?)
    case move(from: String?, to: String, content: [UInt8]?, lastCommitId: String?)
    case chmod(path: String, executable: Bool)
}

/// The files of a branch after a commit's actions, with the commit's line counts.
struct ChangeSet: Sendable {
    var files: [String: RepoFile]
    var additions = 0
    var deletions = 0

    /// Applies `actions` in order, each against the state the previous ones left, stamping every
    /// touched file with `commitId`. The first action that cannot apply refuses the whole commit.
    static func applying(_ actions: [FileAction], to files: [String: RepoFile], commitId: String) throws(RepoRefusal) -> ChangeSet {
        var change = ChangeSet(files: files)
        for action in actions { try change.apply(action, commitId: commitId) }
        return change
    }

    private mutating func apply(_ action: FileAction, commitId: String) throws(RepoRefusal) {
        switch action {
        case .create(let path, let content, let executable):
            try Self.validate(path)
            try requireAbsent(path)
            files[path] = RepoFile(content: content, executable: executable ?? false, lastCommitId: commitId)
            count(old: [], new: content)
        case .update(let path, let content, let lastCommitId, let executable):
            try Self.validate(path)
            let old = try existing(path, lastCommitId: lastCommitId)
            files[path] = RepoFile(content: content, executable: executable ?? old.executable, lastCommitId: commitId)
            count(old: old.content, new: content)
        case .delete(let path, let lastCommitId):
            try Self.validate(path)
            let old = try existing(path, lastCommitId: lastCommitId)
            files[path] = nil
            count(old: old.content, new: [])
        case .move(let from, let to, let content, let lastCommitId):
            guard let from else { throw .fileMissing }
            try Self.validate(from)
            try Self.validate(to)
            let old = try existing(from, lastCommitId: lastCommitId)
            files[from] = nil
            try requireAbsent(to)
            files[to] = RepoFile(content: content ?? old.content, executable: old.executable, lastCommitId: commitId)
            if let content { count(old: old.content, new: content) }
        case .chmod(let path, let executable):
            try Self.validate(path)
            var file = try existing(path, lastCommitId: nil)
            file.executable = executable
            file.lastCommitId = commitId
            files[path] = file
        }
    }

    /// Refuses empty paths and `..` segments, as Gitaly does.
    private static func validate(_ path: String) throws(RepoRefusal) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        if segments.isEmpty { throw .emptyPath }
        if segments.contains("..") { throw .traversal }
    }

    /// The file at `path`, refused when missing (a folder is not a file) or changed since `lastCommitId`.
    private func existing(_ path: String, lastCommitId: String?) throws(RepoRefusal) -> RepoFile {
        guard let file = files[path] else { throw .fileMissing }
        if let lastCommitId, lastCommitId != file.lastCommitId { throw .changedSinceEditing }
        return file
    }

    /// Refuses a path taken by a file or a folder, or lying below a file.
    private func requireAbsent(_ path: String) throws(RepoRefusal) {
        if files[path] != nil { throw .fileExists }
        let prefix = path + "/"
        if files.keys.contains(where: { $0.hasPrefix(prefix) }) { throw .directoryExists }
        var ancestor = path
        while let slash = ancestor.lastIndex(of: "/") {
            ancestor = String(ancestor[..<slash])
            if files[ancestor] != nil { throw .fileExists }
        }
    }

    /// Adds the lines only in `new` and the lines only in `old` to the counts.
    private mutating func count(old: [UInt8], new: [UInt8]) {
        var remaining: [ArraySlice<UInt8>: Int] = [:]
        for line in Self.lines(old) { remaining[line, default: 0] += 1 }
        for line in Self.lines(new) {
            if let left = remaining[line], left > 0 {
                remaining[line] = left - 1
            } else {
                additions += 1
            }
        }
        deletions += remaining.values.reduce(0, +)
    }

    private static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
