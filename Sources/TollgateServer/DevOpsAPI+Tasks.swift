import HTTPTypes
import Hummingbird
import TollgateJSON
import TollgateLifecycle
import TollgateStore

extension DevOpsAPI {
    func searchTasks(_ request: Request) async throws -> JSONResponse {
        var status: TaskStatus?
        if let text = query(request, "status") {
            guard let parsed = TaskStatus(rawValue: text) else {
                throw ODMError.unreadableBody(
                    "unknown task status '\(text)' (one of \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            status = parsed
        }
        var tasks: [LifecycleTask]
        if let activity = query(request, "activityId") {
            guard let id = Int64(activity) else { throw ODMError.unreadableBody("activityId must be an integer") }
            tasks = try await store.tasks(activityId: id)
            if let status { tasks = tasks.filter { $0.status == status } }
        } else if let status {
            tasks = try await store.tasks(status: status)
        } else {
            tasks = try await store.allTasks()
        }
        if let executor = query(request, "executor") { tasks = tasks.filter { $0.executor == executor } }
        return JSONResponse(value: .array(tasks.map(ODMResources.task)))
    }

    func readTask(_ context: some RequestContext) async throws -> JSONResponse {
        let id = try id(context)
        let task = try await run { () async throws(LifecycleError) -> LifecycleTask in try await engine.task(id: id) }
        return JSONResponse(value: ODMResources.task(task))
    }

    func taskStatus(_ context: some RequestContext) async throws -> JSONResponse {
        let id = try id(context)
        let task = try await run { () async throws(LifecycleError) -> LifecycleTask in try await engine.task(id: id) }
        return JSONResponse(value: ODMResources.status(task.status.rawValue))
    }

    func taskAction(_ request: Request, _ context: TollgateRequestContext) async throws -> JSONResponse {
        let id = try id(context)
        switch query(request, "action") {
        case "STOP":
            return try await callback(request, context, taskId: id)
        case "ABORT":
            let outcome = try await run { () async throws(LifecycleError) -> ReportOutcome in
                try await engine.report(taskId: id, TaskReport(status: .aborted, errors: "aborted through the API"), principal: caller(context),
                    cancelRun: "task \(id) was aborted")
            }
            guard case .applied(let task) = outcome else { return JSONResponse(value: ODMResources.status("ABORTED")) }
            return JSONResponse(value: ODMResources.status(task.status.rawValue))
        case "START":
            let task = try await run { () async throws(LifecycleError) -> LifecycleTask in
                try await engine.startTask(id: id, principal: caller(context), secretHeaders: Self.secretHeaders(request))
            }
            return JSONResponse(value: ODMResources.status(task.status.rawValue))
        case let other:
            throw ODMError.invalidTaskAction(
                "action must be START, ABORT or STOP (the executor's callback), not \(other.map { "'\($0)'" } ?? "missing")")
        }
    }

    static let traceparent = HTTPField.Name("traceparent")!

    /// The executor's callback: `PATCH /tasks/{id}/status?action=STOP&token=…` with an optional
    /// `{"status": "PROCESSED"|"FAILED", "results": {...}, "errors": "..."}`.
    func callback(_ request: Request, _ context: some RequestContext, taskId: Int64) async throws -> JSONResponse {
        guard let token = query(request, "token") else { throw ODMError.missingCallbackToken }
        guard tokens.isValid(token, taskId: taskId) else { throw ODMError.wrongCallbackToken }
        var request = request
        let body = try await request.jsonBody(context: context)
        let report: TaskReport
        if let body {
            let statusText = body["status"]?.stringValue ?? "PROCESSED"
            guard let status = TaskOutcomeStatus(rawValue: statusText), status != .aborted else {
                throw ODMError.invalidTaskResult("status must be PROCESSED or FAILED, not '\(statusText)'")
            }
            let results = body["results"].flatMap { $0.isNull ? nil : $0 }
            let errors = body["errors"].flatMap { $0.isNull ? nil : ($0.stringValue ?? $0.serialized()) }
            report = TaskReport(status: status, results: results, errors: errors)
        } else {
            report = TaskReport(status: .processed)
        }
        let outcome = try await run { () async throws(LifecycleError) -> ReportOutcome in
            try await engine.callback(
                taskId: taskId, report, confirming: checkedExecutors, joiningDispatchTrace: request.headers[Self.traceparent] == nil)
        }
        switch outcome {
        case .applied(let task), .repeated(let task):
            return JSONResponse(value: ODMResources.status(task.status.rawValue))
        }
    }
}
