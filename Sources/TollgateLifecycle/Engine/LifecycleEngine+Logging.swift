import CoreMetrics
import Foundation
import Logging

extension LifecycleEngine {
    /// Logs what a committed change set did, each thing once, when it became true: the gate
    /// verdicts, the status changes, the task history it adds (dispatches, callbacks, executor
    /// errors with their next attempt) and the outbox work it gave up or put off.
    ///
    /// `about` is the metadata of what the change concerns when its rows do not say (an outbox
    /// intent's activity and executor).
    func logCommitted(_ changes: ChangeSet, _ committed: CommittedChanges, about: Logger.Metadata) {
        let logger = options.logger
        var activityOfTask: [Int64: Int64] = [:]
        for task in changes.tasks { activityOfTask[task.id] = task.activityId }
        func metadata(task: Int64?, activity: Int64? = nil) -> Logger.Metadata {
            var metadata = about
            if let task {
                metadata["task"] = "\(task)"
                if let activity = activity ?? activityOfTask[task] { metadata["activity"] = "\(activity)" }
            } else if let activity {
                metadata["activity"] = "\(activity)"
            }
            return metadata
        }

        for decision in committed.decisions {
            var metadata = metadata(task: decision.taskId, activity: decision.activityId)
            metadata["decision"] = "\(decision.sequence)"
            metadata["phase"] = "\(decision.phase.rawValue)"
            metadata["verdict"] = "\(decision.verdict.rawValue)"
            metadata["policy_revision"] = "\(decision.policySetRevision)"
            let level: Logger.Level =
                switch decision.verdict {
                case .pass: .debug
                case .warn: .info
                case .block: .notice
                }
            logger.log(level: level, "\(Self.describe(decision))", metadata: metadata)
        }

        for transition in changes.transitions {
            let isTask = transition.entity == "task"
            var metadata = isTask ? metadata(task: transition.entityId) : metadata(task: nil, activity: transition.entityId)
            if let index = transition.decision, committed.decisions.indices.contains(index) {
                metadata["decision"] = "\(committed.decisions[index].sequence)"
            }
            if isTask, let executor = changes.tasks.first(where: { $0.id == transition.entityId })?.executor {
                metadata["executor"] = "\(executor)"
            }
            // A task planned with its activity says nothing its activity's line does not.
            let level: Logger.Level =
                ["FAILED", "ABORTED"].contains(transition.to) ? .notice : (isTask && transition.from == nil ? .debug : .info)
            logger.log(
                level: level, "\(transition.entity) \(transition.entityId): \(transition.from ?? "new") → \(transition.to)", metadata: metadata)
        }

        for event in changes.history where event.kind != "log" {
            let level: Logger.Level =
                switch event.kind {
                case "executor-error", "no-executor", "aborted": .warning
                case "cancel" where event.message.hasPrefix("cancel failed"): .warning
                default: .info
                }
            logger.log(level: level, "task \(event.taskId) \(event.kind): \(event.message)", metadata: metadata(task: event.taskId))
        }

        for retry in changes.outboxRetry {
            var metadata = about
            metadata["intent"] = "\(retry.id)"
            if let after = retry.after { metadata["next_attempt_at"] = "\(Timestamp.format(after))" }
            logger.debug("outbox intent \(retry.id) put off: \(retry.error)", metadata: metadata)
        }
        for done in changes.outboxDone {
            guard let error = done.error else { continue }
            var metadata = about
            metadata["intent"] = "\(done.id)"
            logger.warning("outbox intent \(done.id) given up: \(error)", metadata: metadata)
        }
    }

    /// One line for a decision: its phase, verdict, the change it gated and each policy that
    /// did not allow it, with its reasons.
    static func describe(_ decision: DecisionRecord) -> String {
        var line = "gate \(decision.phase.rawValue) \(decision.verdict.rawValue): \(decision.gatedChange)"
        let objections = decision.outcomes.filter { $0.outcome != "allow" && $0.outcome != "skipped" }
        for outcome in objections {
            let reasons = outcome.reasons.isEmpty ? (outcome.errorKind ?? outcome.outcome) : outcome.reasons.joined(separator: "; ")
            line += " | \(outcome.policy) (\(outcome.blocking ? "blocking" : "non-blocking"), \(outcome.outcome)): \(reasons)"
        }
        return line
    }

    /// Runs background work whose failure has no caller to go to, and logs the failure: what was
    /// being done, what the error was, and what becomes of the work.
    ///
    /// Work on an outbox intent that fails stays pending and is tried again at the next recovery
    /// round; a lost lease means another replica carries it out.
    func logFailure<T>(
        _ what: @autoclosure () -> String, about metadata: Logger.Metadata, _ body: () async throws -> T
    ) async -> T? {
        do {
            return try await body()
        } catch {
            let level: Logger.Level
            let consequence: String
            switch error as? LifecycleError {
            case .leaseLost?:
                level = .notice
                consequence = "another replica took the work over; its outcome here is not recorded"
            case .taskAlreadyFinished?:
                level = .info
                consequence = "the task had already ended; nothing more to record"
            case .conflict?, .unavailable?, .storage?:
                level = .error
                consequence = "nothing was written; the work is tried again at the next recovery round"
            default:
                level = .warning
                consequence = "nothing was written"
            }
            options.logger.log(level: level, "\(what()) failed: \(error); \(consequence)", metadata: metadata)
            return nil
        }
    }
}

extension DispatchRequest {
    /// What a log line about this request concerns.
    var logMetadata: Logger.Metadata {
        ["activity": "\(activityId)", "task": "\(taskId)", "executor": "\(executor)"]
    }
}

extension LifecycleEngine {
    /// Commits the outcome of background work, logging a failure (the work stays pending and is
    /// tried again, or belongs to the replica that took it over).
    @discardableResult
    func record(_ changes: ChangeSet, _ what: @autoclosure () -> String, about metadata: Logger.Metadata) async -> CommittedChanges? {
        await logFailure("recording \(what())", about: metadata) { try await commit(changes, about: metadata) }
    }

    /// Hands a result the engine found itself (a timeout, an executor's status, a dispatch given
    /// up) to the task, logging a refusal.
    func reportInBackground(
        taskId: Int64, _ report: TaskReport, principal: Principal = .system, cancelRun: String? = nil, about metadata: Logger.Metadata
    ) async {
        var metadata = metadata
        metadata["task"] = "\(taskId)"
        _ = await logFailure("reporting \(report.status.rawValue) for task \(taskId)", about: metadata) {
            try await self.report(taskId: taskId, report, principal: principal, cancelRun: cancelRun)
        }
    }

    /// The task an outbox intent is for, read to carry the intent out (`to`: what for). Nil when
    /// the read fails (logged; the intent is tried again later) or the task is not stored (the
    /// intent is given up, and that is recorded).
    func task(_ taskId: Int64, of intent: OutboxIntent, to what: String, about metadata: Logger.Metadata) async -> LifecycleTask? {
        guard let read = await readInBackground("task \(taskId) to \(what)", about: metadata, { try await store.task(id: taskId) }) else { return nil }
        guard let task = read else {
            var changes = ChangeSet()
            changes.outboxDone.append((intent.id, "task \(taskId) is not stored"))
            await record(changes, "the end of an intent whose task \(taskId) is not stored", about: metadata)
            return nil
        }
        return task
    }

    /// A store read of background work, logged when it fails (the work is looked at again at the
    /// next recovery round).
    func readInBackground<T>(_ what: @autoclosure () -> String, about metadata: Logger.Metadata, _ body: () async throws -> T) async -> T? {
        await logFailure("reading \(what())", about: metadata, body)
    }
}

extension LifecycleEngine {
    /// Counts one dispatch attempt of `executor`: `accepted`, `retried` (unreachable, tried again
    /// later), `given-up` (unreachable past its retry limit) or `refused`.
    func countDispatch(executor: String, outcome: String) {
        Counter(label: "tollgate_dispatches_total", dimensions: [("executor", executor), ("outcome", outcome)], factory: options.metrics)
            .increment()
    }
}
