import TollgateJSON
import TollgateLifecycle

/// The GitLab project a task works on: its template definition's `project` (a full path, or a
/// numeric id), else the executor's default.
enum GitLabProjectChoice {
    static func project(of request: DispatchRequest, fallback: String?, executor: String) throws(ExecutorError) -> String {
        let named = request.template?["project"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) }
        guard let project = named ?? fallback else {
            throw ExecutorError(
                retryable: false,
                message: "no GitLab project for task \(request.taskId): set project in the task's template definition or executors.\(executor).project")
        }
        return project
    }
}
