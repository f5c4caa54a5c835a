import Foundation
import TollgateJSON
public import TollgateLifecycle

/// Commits a task's file actions to a GitLab repository, all in one commit: a stage can write the
/// configuration a later stage deploys, atomically. The task ends with the commit: its results
/// carry the commit id and web address, and the paths that needed no change.
///
/// Files read to decide an update carry their last commit id into the commit, so a change someone
/// made meanwhile makes GitLab refuse the whole commit rather than lose that change.
public struct GitLabFilesExecutor: TaskExecutor {
    public let name: String
    let settings: GitLabFilesExecutorSettings
    let repository: GitLabRepository

    public init(name: String, settings: GitLabFilesExecutorSettings, http: OutboundHTTP) {
        self.name = name
        self.settings = settings
        repository = GitLabRepository(
            address: settings.address, token: settings.token, http: http, retryAfterCeiling: .seconds(settings.retryAfterCeilingSeconds))
    }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        let definition = request.template
        let project = try GitLabProjectChoice.project(of: request, fallback: settings.project, executor: name)
        let branch = definition?["branch"]?.stringValue ?? settings.branch
        let startBranch = definition?["startBranch"]?.stringValue
        let plan = try GitLabFilePlan(files: request.configurations["files"], at: "configurations.files of task \(request.taskId)")
        let title = request.configurations["message"]?.stringValue ?? definition?["message"]?.stringValue
            ?? "Tollgate: task \(request.taskName ?? request.taskKey) of activity \(request.activityId)"
        let marker = Self.marker(request)
        let message = title + "\n\n" + marker.joined(separator: "\n")
        do throws(GitLabFailure) {
            if request.mayHaveLanded, let made = try await earlierCommit(marker: marker, request: request, project: project, branch: branch) {
                // The commit landed but its answer was lost: it is the task's commit.
                let paths = plan.paths
                return .finished(
                    TaskReport(
                        status: .processed,
                        results: [
                            "project": .string(project), "branch": .string(branch), "files": .array(paths.map(JSONValue.string)),
                            "unchanged": [], "commitId": .string(made.id), "webUrl": made.webURL.map(JSONValue.string) ?? .null,
                        ]))
            }
            let (actions, unchanged) = try await plan.actions(repository: repository, project: project, ref: startBranch ?? branch)
            var results: JSONObject = [
                "project": .string(project), "branch": .string(branch),
                "files": .array(actions.map { .string($0.path) }), "unchanged": .array(unchanged.map(JSONValue.string)),
            ]
            guard !actions.isEmpty else {
                results["commitId"] = .null
                results["webUrl"] = .null
                return .finished(TaskReport(status: .processed, results: .object(results)))
            }
            let commit = try await repository.commit(project: project, branch: branch, message: message, actions: actions, startBranch: startBranch)
            results["commitId"] = .string(commit.id)
            results["webUrl"] = commit.webURL.map(JSONValue.string) ?? .null
            return .finished(TaskReport(status: .processed, results: .object(results)))
        } catch {
            throw error.executorError
        }
    }

    /// The lines that mark a commit as this task's, in its message.
    static func marker(_ request: DispatchRequest) -> [String] {
        ["Tollgate-Task: \(request.taskId)", "Tollgate-Activity: \(request.activityId)"]
    }

    /// A commit of this task already on the branch (made by an attempt whose answer was lost),
    /// found by the marker lines of its message among the commits since shortly before the task
    /// was queued.
    func earlierCommit(marker: [String], request: DispatchRequest, project: String, branch: String) async throws(GitLabFailure) -> GitLabCommit? {
        let since = (request.queuedAt ?? Date()).addingTimeInterval(-300)
        return try await repository.commits(project: project, branch: branch, since: since).first { commit in
            let lines = Set((commit.message ?? "").split(separator: "\n").map(String.init))
            return marker.allSatisfy(lines.contains)
        }
    }

    /// The task ends when it is dispatched; there is nothing to follow.
    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? { nil }
}
