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
}

extension DispatchRequest {
    /// What a log line about this request concerns.
    var logMetadata: Logger.Metadata {
        ["activity": "\(activityId)", "task": "\(taskId)", "executor": "\(executor)"]
    }
}
