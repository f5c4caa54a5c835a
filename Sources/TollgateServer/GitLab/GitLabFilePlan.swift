import Foundation
public import TollgateJSON
public import TollgateLifecycle

/// File actions (a `gitlab-files` task's `files`, or `tollgate gitlab commit --actions`), and the
/// commit actions they come to once the branch's current files are known.
///
/// Actions: `create`, `update`, `upsert` (create, or update when different), `delete`,
/// `deleteFolder` (every file under the path), `move` (`previousPath` to `path`), `chmod`
/// (`executable`), and `appendOnce` (add `content` to the file unless it already holds `marker`,
/// by default the content's first line; the file is created when missing). `content` is text, or
/// base64 with `encoding: base64`.
public struct GitLabFilePlan: Sendable {
    struct Step: Sendable {
        var action: String
        var path: String
        var content: [UInt8]?
        var previousPath: String?
        var executable: Bool?
        var marker: String?
    }

    var steps: [Step]

    /// The paths the actions name, in order, each once.
    var paths: [String] {
        var seen: Set<String> = []
        return steps.map(\.path).filter { seen.insert($0).inserted }
    }

    /// Reads a list of file actions; `at` names the list in errors.
    public init(files: JSONValue?, at: String = "files") throws(ExecutorError) {
        guard let list = files?.arrayValue, !list.isEmpty else {
            throw ExecutorError(retryable: false, message: "\(at) must be a non-empty list of file actions")
        }
        var steps: [Step] = []
        for (index, item) in list.enumerated() {
            let at = "\(at)[\(index)]"
            guard let action = item["action"]?.stringValue else { throw ExecutorError(retryable: false, message: "\(at): action is missing") }
            guard ["create", "update", "upsert", "delete", "deleteFolder", "move", "chmod", "appendOnce"].contains(action) else {
                throw ExecutorError(
                    retryable: false,
                    message: "\(at): unknown action '\(action)' (create, update, upsert, delete, deleteFolder, move, chmod, appendOnce)")
            }
            guard let path = item["path"]?.stringValue, !path.isEmpty else { throw ExecutorError(retryable: false, message: "\(at): path is missing") }
            var content: [UInt8]?
            if let text = item["content"]?.stringValue {
                if item["encoding"]?.stringValue == "base64" {
                    guard let data = Data(base64Encoded: text) else { throw ExecutorError(retryable: false, message: "\(at): content is not valid base64") }
                    content = Array(data)
                } else {
                    content = Array(text.utf8)
                }
            }
            if ["create", "update", "upsert", "appendOnce"].contains(action), content == nil {
                throw ExecutorError(retryable: false, message: "\(at): \(action) needs content")
            }
            let previous = item["previousPath"]?.stringValue
            if action == "move", previous == nil { throw ExecutorError(retryable: false, message: "\(at): move needs previousPath") }
            let executable = item["executable"]?.boolValue
            if action == "chmod", executable == nil { throw ExecutorError(retryable: false, message: "\(at): chmod needs executable (true or false)") }
            steps.append(
                Step(action: action, path: path, content: content, previousPath: previous, executable: executable, marker: item["marker"]?.stringValue))
        }
        self.steps = steps
    }

    /// The commit actions, reading the current files where a step depends on them; the steps that
    /// change nothing are named in `unchanged`.
    public func actions(
        repository: GitLabRepository, project: String, ref: String
    ) async throws(GitLabFailure) -> (actions: [GitLabCommitAction], unchanged: [String]) {
        var actions: [GitLabCommitAction] = []
        var unchanged: [String] = []
        for step in steps {
            switch step.action {
            case "create": actions.append(.create(path: step.path, content: step.content ?? []))
            case "delete": actions.append(.delete(path: step.path))
            case "move": actions.append(.move(from: step.previousPath ?? "", to: step.path, content: step.content))
            case "chmod": actions.append(.chmod(path: step.path, executable: step.executable ?? false))
            case "deleteFolder":
                let files = try await repository.tree(project: project, path: step.path, ref: ref, recursive: true).filter { !$0.isFolder }
                if files.isEmpty { unchanged.append(step.path) }
                actions += files.map { .delete(path: $0.path) }
            case "update", "upsert":
                // Compared by SHA-256, so that a large file is not read back.
                let content = step.content ?? []
                guard let current = try await repository.fileInfo(project: project, path: step.path, ref: ref) else {
                    guard step.action == "upsert" else {
                        throw GitLabFailure(
                            retryable: false, status: 400, message: "cannot update \(step.path): there is no such file on \(ref) (use upsert to create it)")
                    }
                    actions.append(.create(path: step.path, content: content))
                    continue
                }
                let same: Bool
                if let hash = current.contentSHA256 {
                    same = hash == (try? GitLabContent.bytes(content).sha256())
                } else {
                    same = try await repository.file(project: project, path: step.path, ref: ref)?.bytes == content
                }
                if same {
                    unchanged.append(step.path)
                } else {
                    actions.append(.update(path: step.path, content: content, lastCommitId: current.lastCommitId))
                }
            default:  // appendOnce
                let content = step.content ?? []
                guard let file = try await repository.file(project: project, path: step.path, ref: ref) else {
                    actions.append(.create(path: step.path, content: content))
                    continue
                }
                let marker = step.marker ?? String(decoding: content, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
                if file.text.contains(marker) {
                    unchanged.append(step.path)
                } else {
                    let separator: [UInt8] = file.bytes.last == UInt8(ascii: "\n") || file.bytes.isEmpty ? [] : [UInt8(ascii: "\n")]
                    actions.append(.update(path: step.path, content: file.bytes + separator + content, lastCommitId: file.lastCommitId))
                }
            }
        }
        return (actions, unchanged)
    }

    /// Applies the actions in one commit; nil when nothing needs to change.
    public func commit(
        repository: GitLabRepository, project: String, branch: String, message: String, startBranch: String? = nil
    ) async throws(GitLabFailure) -> GitLabCommit? {
        let (actions, _) = try await actions(repository: repository, project: project, ref: startBranch ?? branch)
        guard !actions.isEmpty else { return nil }
        return try await repository.commit(project: project, branch: branch, message: message, actions: actions, startBranch: startBranch)
    }
}
