import Foundation
import Logging
import ServiceContextModule
import Tracing
import TollgateJSON

/// What became of a task report.
public enum ReportOutcome: Sendable, Equatable {
    /// The report was applied; the task is now in this status.
    case applied(LifecycleTask)
    /// The same report had already been applied; nothing changed.
    case repeated(LifecycleTask)
}

extension LifecycleEngine {
    /// Applies a task's result (the ODM callback, a synchronous executor answer, or reconciliation).
    ///
    /// The task-result policies judge the result before anything moves on: a block fails the task
    /// (its errors carry the reasons) and so the activity. A report for a finished task changes
    /// nothing: an exact repeat of the accepted one answers as before, anything else is refused.
    /// - Parameter cancelRun: when set, the task's run is cancelled on its executor if this report
    ///   ends the task without success (the text is the reason recorded).
    @discardableResult
    public func report(
        taskId: Int64, _ report: TaskReport, principal: Principal, cancelRun: String? = nil
    ) async throws(LifecycleError) -> ReportOutcome {
        try await serialized { () async throws(LifecycleError) in
            try await apply(report, to: taskId, principal: principal, cancelRun: cancelRun)
        }
    }

    /// Applies an executor's callback for `taskId`, recorded as made by `executor:<name>` (the
    /// task's executor). When that executor is in `confirming`, it is asked for the task's status
    /// first, and its answer overrides the callback's (`checkAfterCallback`).
    ///
    /// `joiningDispatchTrace`: the callback carried no trace context of its own (ODM executor
    /// adapters send none), so, while traces are on, it is handled in a span of the activity's
    /// trace, continuing the context its dispatch was queued in.
    @discardableResult
    public func callback(
        taskId: Int64, _ report: TaskReport, confirming: Set<String> = [], joiningDispatchTrace: Bool
    ) async throws(LifecycleError) -> ReportOutcome {
        // Nothing is traced (no tracer, or none configured): no span to make, no read to pay for.
        guard joiningDispatchTrace, !TraceContext.current().isEmpty,
            let dispatch = try await read({ try await store.outbox(taskId: taskId, kind: .dispatchTask) }).last,
            let queued = DispatchRequest(json: dispatch.payload), !queued.traceContext.isEmpty
        else { return try await callback(taskId: taskId, report, confirming: confirming) }
        let span = startSpan("callback task \(taskId)", context: TraceContext.continuing(queued.traceContext), ofKind: .consumer)
        defer { span.end() }
        span.attributes["tollgate.task"] = taskId
        span.attributes["tollgate.activity"] = queued.activityId
        return try await TraceContext.run(in: span.context) { () throws(LifecycleError) in
            try await callback(taskId: taskId, report, confirming: confirming)
        }
    }

    /// Applies an executor's callback for `taskId` in the current trace (see
    /// ``callback(taskId:_:confirming:joiningDispatchTrace:)``).
    @discardableResult
    public func callback(taskId: Int64, _ report: TaskReport, confirming: Set<String> = []) async throws(LifecycleError) -> ReportOutcome {
        let task = try await task(id: taskId)
        let principal = Principal(name: "executor:\(task.executor ?? "unknown")", roles: ["executor"])
        var report = report
        if let executor = task.executor, confirming.contains(executor),
            let word = await reconcile(task, about: ["activity": "\(task.activityId)", "task": "\(taskId)", "executor": "\(executor)"])
        {
            report.status = word.status
            if word.status != .processed { report.errors = report.errors ?? word.errors }
        }
        let confirmed = report
        return try await serialized { () async throws(LifecycleError) in
            try await apply(confirmed, to: taskId, principal: principal, cancelRun: nil)
        }
    }

    private func apply(
        _ report: TaskReport, to taskId: Int64, principal: Principal, cancelRun: String?
    ) async throws(LifecycleError) -> ReportOutcome {
        // The activity (whose version guards the commit) is read before the task that is written:
        // a copy read earlier could miss a concurrent writer's change that the version check would
        // then let this commit undo.
        var activity = try await activity(id: task(id: taskId).activityId)
        var tasks = try await tasks(activityId: activity.id)
        guard let index = tasks.firstIndex(where: { $0.id == taskId }) else { throw .taskNotFound(taskId) }
        var task = tasks[index]
        if task.status.isFinished {
            if task.status == report.status.taskStatus && task.results == report.results && (report.status != .failed || task.errors == report.errors) {
                return .repeated(task)
            }
            throw .taskAlreadyFinished(taskId: taskId, status: task.status)
        }
        guard task.status == .processing else {
            throw .invalidTaskAction("task \(taskId) is \(task.status.rawValue); only a PROCESSING task can report a result")
        }
        guard activity.status == .processing else {
            throw .invalidTaskAction("activity \(activity.id) is \(activity.status.rawValue); its tasks take no more results")
        }
        let descriptor = try await descriptor(of: activity)
        let now = clock()
        var (decision, record) = try await decide(
            .taskResult, activity: activity, tasks: tasks, descriptor: descriptor, principal: principal, now: now,
            task: task, report: report)
        var changes = ChangeSet()
        changes.expect(activity)
        changes.history.append(
            ExecutionEvent(
                taskId: taskId, at: now, kind: "result",
                message: "\(report.status.rawValue) reported by \(principal.name)",
                data: ["results": report.results ?? .null, "errors": report.errors.map(JSONValue.string) ?? .null]))
        for log in report.logs { changes.history.append(Self.logEvent(log, taskId: taskId, at: now)) }
        switch (report.status, decision.verdict) {
        case (.processed, .pass), (.processed, .warn):
            task.status = .processed
            task.results = report.results
            task.errors = nil
            task.finishedAt = now
            tasks[index] = task
            record.gatedChange = "task \(taskId): PROCESSING -> PROCESSED"
            changes.decisions.append(record)
            changes.put(task)
            changes.transitions.append(
                StatusTransition(entity: "task", entityId: taskId, from: "PROCESSING", to: "PROCESSED", at: now, decision: changes.decisions.count - 1))
            try await advance(&changes, activity: &activity, tasks: &tasks, descriptor: descriptor, principal: principal, now: now)
        case (.processed, .block):
            tasks[index].results = report.results
            record.gatedChange = "task \(taskId): PROCESSING -> FAILED (result blocked)"
            changes.decisions.append(record)
            await fail(
                &changes, activity: &activity, tasks: &tasks, index: index,
                errors: "result blocked by policy: " + decision.blockingReasons.joined(separator: "; "), now: now, gated: true)
        case (.failed, _), (.aborted, _):
            let status: TaskStatus = report.status == .aborted ? .aborted : .failed
            tasks[index].results = report.results
            record.gatedChange = "task \(taskId): PROCESSING -> \(status.rawValue)"
            changes.decisions.append(record)
            await fail(
                &changes, activity: &activity, tasks: &tasks, index: index,
                errors: report.errors ?? "the executor reported \(report.status.rawValue) without errors", now: now,
                status: status, gated: true)
            if let cancelRun { await queueCancel(&changes, task: task, reason: cancelRun, now: now) }
        }
        // Also when the executor's reference is not recorded yet (a callback that outran the dispatch's
        // answer): the collection waits for it.
        if report.logs.isEmpty, let name = task.executor, executors[name]?.collectsLogs == true,
            let dispatch = try await read({ try await store.outbox(taskId: taskId, kind: .dispatchTask) }).last
        {
            var payload = dispatch.payload.objectValue ?? [:]
            payload["dispatchIntent"] = .int(dispatch.id)
            changes.outbox.append(
                OutboxIntent(id: 0, kind: .collectLogs, taskId: taskId, payload: .object(payload), createdAt: now))
        }
        let committed = try await commit(changes)
        await carryOut(committed.outbox)
        return .applied(try await self.task(id: taskId))
    }
}
