import Foundation
import TollgateJSON

extension LifecycleEngine {
    /// Completes a request read from the outbox with what only the engine knows now: which
    /// dispatch attempt it belongs to, the executor's reference, the secret headers held in memory.
    func prepare(_ request: inout DispatchRequest, dispatch: OutboxIntent?, task: LifecycleTask) {
        if let dispatch {
            request.attempt = dispatch.id
            request.queuedAt = dispatch.createdAt
            // The attempt travels in the callback address too, so a run that cannot be found again
            // by its executor (an Azure Pipelines run started just before a crash) can still tell
            // which attempt it belongs to.
            if let callback = request.callbackRef {
                request.callbackRef = callback + (callback.contains("?") ? "&" : "?") + "attempt=\(dispatch.id)"
            }
        }
        request.reference = task.executorReference
        request.secretHeaders = secretHeaders[request.activityId]?[request.executor] ?? [:]
    }

    /// Queues the cancellation of a task's run, in the change set that ends the task.
    func queueCancel(_ changes: inout ChangeSet, task: LifecycleTask, reason: String, now: Date) async {
        guard task.executor != nil, let dispatch = (try? await store.outbox(taskId: task.id, kind: .dispatchTask))?.last else { return }
        var payload = dispatch.payload.objectValue ?? [:]
        payload["reason"] = .string(reason)
        payload["dispatchIntent"] = .int(dispatch.id)
        changes.outbox.append(
            OutboxIntent(id: 0, kind: .cancelTask, taskId: task.id, payload: .object(payload), createdAt: now))
    }

    /// Asks the task's executor to cancel its run and records the answer in the task's history.
    func cancel(_ stale: OutboxIntent, fresh: Bool = false) async {
        await carryOutOnce(stale, fresh: fresh) { intent, now in
            var changes = ChangeSet()
            guard let taskId = intent.taskId, var request = DispatchRequest(json: intent.payload), let task = try? await store.task(id: taskId)
            else {
                changes.outboxDone.append((intent.id, "unreadable intent"))
                _ = try? await commit(changes)
                return
            }
            guard let executor = executors[request.executor] else {
                changes.outboxDone.append((intent.id, "no executor \(request.executor)"))
                changes.history.append(
                    ExecutionEvent(taskId: taskId, at: now, kind: "cancel", message: "not cancelled: no executor named '\(request.executor)'"))
                _ = try? await commit(changes)
                return
            }
            let dispatch = await outboxIntent(intent.payload["dispatchIntent"]?.intValue)
            prepare(&request, dispatch: dispatch, task: task)
            let reason = intent.payload["reason"]?.stringValue ?? "the task ended"
            do throws(ExecutorError) {
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
                    let wait = retryLater(&changes, intent, reason: error.message, now: now)
                    changes.history.append(
                        ExecutionEvent(taskId: taskId, at: now, kind: "cancel", message: "cancel failed: \(error.message) (\(wait))"))
                } else {
                    changes.outboxDone.append((intent.id, error.message))
                    changes.history.append(
                        ExecutionEvent(
                            taskId: taskId, at: now, kind: "cancel",
                            message: "cancel failed after \(attempts) attempt(s): \(error.message); the run may still be going"))
                }
            }
            _ = try? await commit(changes)
        }
    }
}

extension LifecycleEngine {
    /// Fetches the logs of a task that ended by a callback, once its run has finished, into the
    /// task's history; asks again later while the run goes on, and gives up after the task's
    /// timeout.
    func collectLogs(_ stale: OutboxIntent, fresh: Bool = false) async {
        await carryOutOnce(stale, fresh: fresh) { intent, now in
            var changes = ChangeSet()
            guard let taskId = intent.taskId, var request = DispatchRequest(json: intent.payload), let task = try? await store.task(id: taskId),
                let executor = executors[request.executor]
            else {
                changes.outboxDone.append((intent.id, "unreadable intent or no such executor"))
                _ = try? await commit(changes)
                return
            }
            let dispatch = await outboxIntent(intent.payload["dispatchIntent"]?.intValue)
            prepare(&request, dispatch: dispatch, task: task)
            let deadline = intent.createdAt.addingTimeInterval(Double(request.timeoutSeconds))
            if request.reference == nil, let dispatch, dispatch.doneAt == nil, now <= deadline {
                // The run reported before the executor's answer to its dispatch was recorded.
                retryLater(&changes, intent, reason: "the executor's reference for the run is not recorded yet", now: now, steady: true)
                _ = try? await commit(changes)
                return
            }
            guard request.reference != nil else {
                let why = "the executor's reference for the run was never recorded"
                changes.outboxDone.append((intent.id, why))
                changes.history.append(ExecutionEvent(taskId: taskId, at: now, kind: "log", message: "no logs: \(why)"))
                _ = try? await commit(changes)
                return
            }
            do throws(ExecutorError) {
                guard let logs = try await executor.logs(of: request) else {
                    if now > deadline {
                        changes.outboxDone.append((intent.id, "the run did not finish within the task's timeout"))
                        changes.history.append(
                            ExecutionEvent(taskId: taskId, at: now, kind: "log", message: "no logs: the run was still going \(request.timeoutSeconds) s after the task ended"))
                    } else {
                        retryLater(&changes, intent, reason: "the run is still going", now: now)
                    }
                    _ = try? await commit(changes)
                    return
                }
                changes.outboxDone.append((intent.id, nil))
                for log in logs { changes.history.append(Self.logEvent(log, taskId: taskId, at: now)) }
            } catch {
                if error.retryable && now <= deadline {
                    retryLater(&changes, intent, reason: error.message, now: now)
                } else {
                    changes.outboxDone.append((intent.id, error.message))
                    changes.history.append(ExecutionEvent(taskId: taskId, at: now, kind: "log", message: "no logs: \(error.message)"))
                }
            }
            _ = try? await commit(changes)
        }
    }

    /// The outbox intent `id` names, if it can be read.
    func outboxIntent(_ id: Int64?) async -> OutboxIntent? {
        guard let id else { return nil }
        return try? await store.outboxIntent(id: id)
    }

    /// A job log as a history entry.
    static func logEvent(_ log: TaskLog, taskId: Int64, at now: Date) -> ExecutionEvent {
        let omitted = log.omittedBytes > 0 ? "; the first \(log.omittedBytes) bytes left out" : ""
        return ExecutionEvent(
            taskId: taskId, at: now, kind: "log", message: "\(log.name)" + (log.status.map { " (\($0))" } ?? "") + omitted,
            data: [
                "name": .string(log.name), "status": log.status.map(JSONValue.string) ?? .null, "log": .string(log.text),
                "omittedBytes": .int(Int64(log.omittedBytes)),
            ])
    }
}
