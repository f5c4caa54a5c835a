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
        let message = title + "\n\nTollgate-Task: \(request.taskId)\nTollgate-Activity: \(request.activityId)"
        do throws(GitLabFailure) {
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

    /// The task ends when it is dispatched; there is nothing to follow.
    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? { nil }
}
