import Foundation
import Logging
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
        let about: Logger.Metadata = ["activity": "\(task.activityId)", "task": "\(task.id)", "executor": "\(task.executor ?? "")"]
        guard task.executor != nil,
            let dispatches = await readInBackground(
                "the dispatch of task \(task.id) to cancel its run", about: about, { try await store.outbox(taskId: task.id, kind: .dispatchTask) }),
            let dispatch = dispatches.last
        else { return }
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
            guard let taskId = intent.taskId, var request = DispatchRequest(json: intent.payload) else {
                changes.outboxDone.append((intent.id, "unreadable intent"))
                await record(changes, "an unreadable cancel intent", about: ["intent": "\(intent.id)"])
                return
            }
            let about = request.logMetadata
            guard let task = await task(taskId, of: intent, to: "cancel", about: about) else { return }
            guard let executor = executors[request.executor] else {
                changes.outboxDone.append((intent.id, "no executor \(request.executor)"))
                changes.history.append(
                    ExecutionEvent(taskId: taskId, at: now, kind: "cancel", message: "not cancelled: no executor named '\(request.executor)'"))
                await record(changes, "a cancel for an unknown executor", about: about)
                return
            }
            let dispatch = await outboxIntent(intent.payload["dispatchIntent"]?.intValue, about: about)
            prepare(&request, dispatch: dispatch, task: task)
            let reason = intent.payload["reason"]?.stringValue ?? "the task ended"
            do throws(ExecutorError) {
                let outcome = try await inTrace(of: request) { () throws(ExecutorError) in try await executor.cancel(request) }
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
            await record(changes, "the cancel of task \(taskId)'s run", about: about)
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
            guard let taskId = intent.taskId, var request = DispatchRequest(json: intent.payload), let executor = executors[request.executor]
            else {
                changes.outboxDone.append((intent.id, "unreadable intent or no such executor"))
                await record(changes, "an unreadable log collection intent", about: ["intent": "\(intent.id)"])
                return
            }
            let about = request.logMetadata
            // The dispatch before the task: its answer records the reference and ends the dispatch in
            // one commit, so a task read first could miss a reference that the dispatch read after it
            // shows as answered, and the logs would be given up for a reference that exists.
            let dispatch = await outboxIntent(intent.payload["dispatchIntent"]?.intValue, about: about)
            guard let task = await task(taskId, of: intent, to: "collect its logs", about: about) else { return }
            prepare(&request, dispatch: dispatch, task: task)
            let deadline = intent.createdAt.addingTimeInterval(Double(request.timeoutSeconds))
            if request.reference == nil, let dispatch, dispatch.doneAt == nil, now <= deadline {
                // The run reported before the executor's answer to its dispatch was recorded.
                retryLater(&changes, intent, reason: "the executor's reference for the run is not recorded yet", now: now, steady: true)
                await record(changes, "a log collection put off", about: about)
                return
            }
            guard request.reference != nil else {
                let why = "the executor's reference for the run was never recorded"
                changes.outboxDone.append((intent.id, why))
                changes.history.append(ExecutionEvent(taskId: taskId, at: now, kind: "log", message: "no logs: \(why)"))
                await record(changes, "a log collection given up", about: about)
                return
            }
            do throws(ExecutorError) {
                guard let logs = try await inTrace(of: request, { () throws(ExecutorError) in try await executor.logs(of: request) }) else {
                    if now > deadline {
                        changes.outboxDone.append((intent.id, "the run did not finish within the task's timeout"))
                        changes.history.append(
                            ExecutionEvent(taskId: taskId, at: now, kind: "log", message: "no logs: the run was still going \(request.timeoutSeconds) s after the task ended"))
                    } else {
                        retryLater(&changes, intent, reason: "the run is still going", now: now)
                    }
                    await record(changes, "a log collection of a run still going", about: about)
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
            await record(changes, "the logs of task \(taskId)", about: about)
        }
    }

    /// The outbox intent `id` names, if it can be read.
    func outboxIntent(_ id: Int64?, about: Logger.Metadata) async -> OutboxIntent? {
        guard let id else { return nil }
        return await readInBackground("outbox intent \(id)", about: about, { try await store.outboxIntent(id: id) }) ?? nil
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
