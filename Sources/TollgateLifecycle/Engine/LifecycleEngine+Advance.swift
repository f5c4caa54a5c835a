import Foundation
import TollgateJSON

extension LifecycleEngine {
    /// Moves a PROCESSING activity on: dispatches its next task, or, when none is left, asks the
    /// activity-result gate and finishes it. Tasks without an executor succeed on the spot.
    func advance(
        _ changes: inout ChangeSet, activity: inout Activity, tasks: inout [LifecycleTask],
        descriptor: DataProductDescriptor, principal: Principal, now: Date
    ) async throws(LifecycleError) {
        changes.expect(activity)
        tasks.sort { $0.position < $1.position }
        while let index = tasks.firstIndex(where: { $0.status == .planned }) {
            var task = tasks[index]
            guard let executorName = task.executor else {
                task.status = .processed
                task.startedAt = now
                task.finishedAt = now
                tasks[index] = task
                changes.put(task)
                changes.transitions.append(
                    StatusTransition(entity: "task", entityId: task.id, from: "PLANNED", to: "PROCESSED", at: now, decision: nil))
                changes.history.append(ExecutionEvent(taskId: task.id, at: now, kind: "no-executor", message: "the task names no executor; nothing to run"))
                continue
            }
            let context = try await context(for: activity, tasks: tasks, descriptor: descriptor)
            var configurations: JSONObject
            do {
                let resolved = try PlaceholderResolver(context: context.jsonValue, lifecycle: descriptor.lifecycle, mode: options.placeholderMode)
                    .resolve(task.configurations ?? .object([:]))
                configurations = resolved.objectValue ?? [:]
            } catch {
                await fail(&changes, activity: &activity, tasks: &tasks, index: index, errors: "\(error)", now: now)
                return
            }
            configurations["context"] = context.jsonValue
            guard executors[executorName] != nil else {
                let known = executors.names.joined(separator: ", ")
                await fail(
                    &changes, activity: &activity, tasks: &tasks, index: index,
                    errors: "no executor named '\(executorName)' is configured (configured: \(known.isEmpty ? "none" : known))",
                    now: now)
                return
            }
            task.status = .processing
            task.startedAt = now
            task.dispatchedConfigurations = .object(configurations)
            task.timeoutSeconds = task.timeoutSeconds ?? options.defaultTaskTimeoutSeconds
            tasks[index] = task
            changes.put(task)
            changes.transitions.append(
                StatusTransition(entity: "task", entityId: task.id, from: "PLANNED", to: "PROCESSING", at: now, decision: nil))
            var request = DispatchRequest(
                taskId: task.id, activityId: activity.id, taskKey: task.key, taskName: task.displayName, executor: executorName,
                template: task.definition, configurations: .object(configurations),
                callbackRef: options.callbackRef(task.id), timeoutSeconds: task.timeoutSeconds ?? options.defaultTaskTimeoutSeconds)
            // The dispatch, carried out later and perhaps by another replica, continues this change's trace.
            request.traceContext = TraceContext.current()
            changes.outbox.append(
                OutboxIntent(id: 0, kind: .dispatchTask, taskId: task.id, payload: request.jsonValue, createdAt: now))
            return
        }
        try await finish(&changes, activity: &activity, tasks: tasks, descriptor: descriptor, principal: principal, now: now)
    }

    /// Every task succeeded: the activity-result gate decides whether the stage is promoted.
    func finish(
        _ changes: inout ChangeSet, activity: inout Activity, tasks: [LifecycleTask], descriptor: DataProductDescriptor,
        principal: Principal, now: Date
    ) async throws(LifecycleError) {
        var (decision, record) = try await decide(
            .activityResult, activity: activity, tasks: tasks, descriptor: descriptor, principal: principal, now: now)
        activity.finishedAt = now
        if decision.verdict == .block {
            activity.status = .failed
            activity.errors = "promotion to \(activity.stage) blocked by policy: " + decision.blockingReasons.joined(separator: "; ")
            record.gatedChange = "activity \(activity.id): PROCESSING -> FAILED (stage not promoted)"
            changes.decisions.append(record)
            changes.put(activity)
            changes.transitions.append(
                StatusTransition(entity: "activity", entityId: activity.id, from: "PROCESSING", to: "FAILED", at: now, decision: changes.decisions.count - 1))
            return
        }
        activity.status = .processed
        activity.results = Self.results(of: tasks).map(JSONValue.object)
        record.gatedChange = "activity \(activity.id): PROCESSING -> PROCESSED; \(activity.dataProductVersion) enters \(activity.stage)"
        changes.decisions.append(record)
        changes.put(activity)
        changes.transitions.append(
            StatusTransition(entity: "activity", entityId: activity.id, from: "PROCESSING", to: "PROCESSED", at: now, decision: changes.decisions.count - 1))
        for var record in try await stageHistory(of: activity) where record.finishedAt == nil {
            record.finishedAt = now
            changes.stageRecords.append(record)
        }
        changes.stageRecords.append(
            StageRecord(
                id: 0, dataProductId: activity.dataProductId, dataProductVersion: activity.dataProductVersion,
                stage: activity.stage, activityId: activity.id, results: activity.results, startedAt: now))
    }

    /// Ends task `index` with `status` (FAILED or ABORTED) and `errors`, ends the activity the same
    /// way and aborts the tasks after it.
    func fail(
        _ changes: inout ChangeSet, activity: inout Activity, tasks: inout [LifecycleTask], index: Int, errors: String,
        now: Date, status: TaskStatus = .failed, gated: Bool = false
    ) async {
        var task = tasks[index]
        let from = task.status
        task.status = status
        task.errors = errors
        task.startedAt = task.startedAt ?? now
        task.finishedAt = now
        tasks[index] = task
        changes.put(task)
        changes.transitions.append(
            StatusTransition(entity: "task", entityId: task.id, from: from.rawValue, to: status.rawValue, at: now, decision: gated ? changes.decisions.count - 1 : nil))
        let activityFrom = activity.status
        // As in ODM: the activity FAILED when a task failed, ABORTED when one was aborted and none failed.
        activity.status = status == .aborted ? .aborted : .failed
        activity.finishedAt = now
        activity.errors = JSONValue.object([String(task.id): .string(errors)]).serialized()
        changes.put(activity)
        changes.transitions.append(
            StatusTransition(
                entity: "activity", entityId: activity.id, from: activityFrom.rawValue, to: activity.status.rawValue, at: now,
                decision: gated ? changes.decisions.count - 1 : nil))
        let reason = status == .aborted ? "task \(task.id) of activity \(activity.id) was aborted" : "an earlier task of activity \(activity.id) failed"
        await abortUnfinished(&changes, tasks: &tasks, now: now, reason: reason)
    }
}

extension DispatchRequest {
    /// The JSON form kept in the outbox.
    var jsonValue: JSONValue {
        var json: JSONObject = [
            "taskId": .int(taskId), "activityId": .int(activityId), "taskKey": .string(taskKey),
            "taskName": taskName.map(JSONValue.string) ?? .null, "executor": .string(executor), "template": template ?? .null,
            "configurations": configurations, "callbackRef": callbackRef.map(JSONValue.string) ?? .null,
            "timeoutSeconds": .int(Int64(timeoutSeconds)),
        ]
        if !traceContext.isEmpty { json["trace"] = .object(JSONObject(traceContext.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })) }
        return .object(json)
    }

    init?(json: JSONValue) {
        guard let taskId = json["taskId"]?.intValue, let activityId = json["activityId"]?.intValue,
            let key = json["taskKey"]?.stringValue, let executor = json["executor"]?.stringValue
        else { return nil }
        self.init(
            taskId: taskId, activityId: activityId, taskKey: key, taskName: json["taskName"]?.stringValue, executor: executor,
            template: json["template"].flatMap { $0.isNull ? nil : $0 }, configurations: json["configurations"] ?? .object([:]),
            callbackRef: json["callbackRef"]?.stringValue, timeoutSeconds: Int(json["timeoutSeconds"]?.intValue ?? 3600))
        for (key, value) in json["trace"]?.objectValue ?? [:] {
            if let text = value.stringValue { traceContext[key] = text }
        }
    }
}
