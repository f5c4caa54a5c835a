import Foundation
import TollgateJSON

extension LifecycleEngine {
    /// Queues the cancellation of a task's run, in the change set that ends the task.
    func queueCancel(_ changes: inout ChangeSet, task: LifecycleTask, reason: String, now: Date) {
        guard task.executor != nil, let dispatch = (try? store.outbox(taskId: task.id, kind: .dispatchTask))?.last else { return }
        var payload = dispatch.payload.objectValue ?? [:]
        payload["reason"] = .string(reason)
        payload["dispatchIntent"] = .int(dispatch.id)
        changes.outbox.append(
            OutboxIntent(id: nextId(\.outbox), kind: .cancelTask, taskId: task.id, payload: .object(payload), createdAt: now))
    }

    /// Asks the task's executor to cancel its run and records the answer in the task's history.
    func cancel(_ stale: OutboxIntent, fresh: Bool = false) async {
        guard inFlight.insert(stale.id).inserted else { return }
        defer { inFlight.remove(stale.id) }
        let now = clock()
        var intent = stale
        if !fresh {
            guard let current = try? store.outboxIntent(id: stale.id), current.doneAt == nil else { return }
            if let next = current.nextAttemptAt, next > now { return }
            intent = current
        }
        var changes = ChangeSet()
        guard let taskId = intent.taskId, var request = DispatchRequest(json: intent.payload), let task = try? store.task(id: taskId)
        else {
            changes.outboxDone.append((intent.id, "unreadable intent"))
            _ = try? commit(changes)
            return
        }
        guard let executor = executors[request.executor] else {
            changes.outboxDone.append((intent.id, "no executor \(request.executor)"))
            changes.history.append(
                ExecutionEvent(taskId: taskId, at: now, kind: "cancel", message: "not cancelled: no executor named '\(request.executor)'"))
            _ = try? commit(changes)
            return
        }
        request.attempt = intent.payload["dispatchIntent"]?.intValue ?? 0
        if let dispatch = try? store.outboxIntent(id: request.attempt) { request.queuedAt = dispatch.createdAt }
        request.reference = task.executorReference
        request.secretHeaders = secretHeaders[request.activityId]?[request.executor] ?? [:]
        let reason = intent.payload["reason"]?.stringValue ?? "the task ended"
        do {
            let outcome = try await executor.cancel(request)
            changes.outboxDone.append((intent.id, nil))
            let message: String
            switch outcome {
            case .cancelled(let what): message = "cancelled (\(reason)): \(what)"
            case .nothingToCancel(let why): message = "nothing to cancel (\(reason)): \(why)"
            case .notSupported(let why): message = "not cancelled (\(reason)): \(why)"
            }
            changes.history.append(ExecutionEvent(taskId: taskId, at: now, kind: "cancel", message: message))
        } catch {
            let attempts = intent.attempts + 1
            if error.retryable && attempts < options.cancelAttempts {
                let delay = min(pow(2, Double(attempts - 1)) * options.dispatchBackoffSeconds, options.dispatchMaxBackoffSeconds)
                changes.outboxRetry.append((intent.id, error.message, now.addingTimeInterval(delay)))
                changes.history.append(
                    ExecutionEvent(
                        taskId: taskId, at: now, kind: "cancel",
                        message: "cancel failed: \(error.message) (attempt \(attempts); next in \(Int(delay.rounded(.up))) s)"))
            } else {
                changes.outboxDone.append((intent.id, error.message))
                changes.history.append(
                    ExecutionEvent(
                        taskId: taskId, at: now, kind: "cancel",
                        message: "cancel failed after \(attempts) attempt(s): \(error.message); the run may still be going"))
            }
        }
        _ = try? commit(changes)
    }
}
