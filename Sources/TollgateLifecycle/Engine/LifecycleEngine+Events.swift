import Foundation
import Logging
import TollgateJSON

extension LifecycleEngine {
    /// Records an event for every notifier, as outbox intents of the same change set.
    func announce(
        _ changes: inout ChangeSet, _ type: LifecycleEventType, entityId: Int64, before: JSONValue?, after: JSONValue, now: Date
    ) {
        guard !options.notifiers.isEmpty else { return }
        // One id for the event, whichever notifier delivers it and however often: receivers drop repeats by it.
        let id = "tollgate-event-" + UUID().uuidString.lowercased()
        for notifier in options.notifiers {
            let event: JSONValue = [
                "id": .string(id), "type": .string(type.rawValue), "entityId": .string(String(entityId)),
                "beforeState": before ?? .null, "afterState": after, "time": .string(Timestamp.formatMilliseconds(now)),
            ]
            changes.outbox.append(
                OutboxIntent(
                    id: 0, kind: .notify, taskId: nil, payload: ["notifier": .string(notifier.name), "event": event],
                    createdAt: now))
        }
    }

    func activityState(_ activity: Activity) -> JSONValue {
        ["activity": ODMShape.activity(activity), "dataProductVersion": ["dataProductId": .string(activity.dataProductId), "version": .string(activity.dataProductVersion)]]
    }

    func taskState(_ task: LifecycleTask) -> JSONValue { ["task": ODMShape.task(task)] }

    func decisionState(_ record: DecisionRecord) -> JSONValue {
        [
            "phase": .string(record.phase.rawValue), "verdict": .string(record.verdict.rawValue),
            "activityId": .int(record.activityId), "taskId": record.taskId.map(JSONValue.int) ?? .null,
            "policySetRevision": .string(record.policySetRevision), "gatedChange": .string(record.gatedChange),
            "outcomes": .array(record.outcomes.map(\.jsonValue)),
        ]
    }

    /// Announces everything a change set did: status changes and decisions.
    func announceChanges(_ changes: inout ChangeSet, before: [Int64: ActivityStatus] = [:], now: Date) {
        guard !options.notifiers.isEmpty else { return }
        for decision in changes.decisions {
            let type: LifecycleEventType =
                switch decision.phase {
                case .stageTransition: .stageTransition
                case .taskResult: .taskResults
                case .activityResult: .activityResults
                }
            announce(&changes, type, entityId: decision.taskId ?? decision.activityId, before: nil, after: decisionState(decision), now: now)
        }
        for transition in changes.transitions {
            if transition.entity == "activity", let activity = changes.activities.first(where: { $0.id == transition.entityId }) {
                let type: LifecycleEventType? =
                    switch transition.to {
                    case "PLANNED": .activityCreated
                    case "PROCESSING": .activityStarted
                    case "PROCESSED", "FAILED", "ABORTED": .activityCompleted
                    default: nil
                    }
                if let type { announce(&changes, type, entityId: activity.id, before: nil, after: activityState(activity), now: now) }
            } else if transition.entity == "task", let task = changes.tasks.first(where: { $0.id == transition.entityId }) {
                let type: LifecycleEventType? =
                    switch transition.to {
                    case "PLANNED": .taskCreated
                    case "PROCESSING": .taskStarted
                    case "PROCESSED", "FAILED", "ABORTED": .taskCompleted
                    default: nil
                    }
                if let type { announce(&changes, type, entityId: task.id, before: nil, after: taskState(task), now: now) }
            }
        }
    }

    /// Delivers one notification intent; a failure is tried again later, with backoff.
    func deliver(_ stale: OutboxIntent, fresh: Bool = false) async {
        await carryOutOnce(stale, fresh: fresh) { intent, now in
            var changes = ChangeSet()
            guard let name = intent.payload["notifier"]?.stringValue, let event = intent.payload["event"],
                let notifier = options.notifiers.first(where: { $0.name == (options.notifierAliases[name] ?? name) })
            else {
                changes.outboxDone.append((intent.id, "no notifier named \(intent.payload["notifier"]?.stringValue ?? "?") is configured"))
                await record(changes, "a notification for an unknown notifier", about: ["intent": "\(intent.id)"])
                return
            }
            var about: Logger.Metadata = ["intent": "\(intent.id)", "notifier": "\(notifier.name)"]
            if let id = event["id"]?.stringValue { about["event"] = "\(id)" }
            do throws(NotifierError) {
                try await notifier.deliver(event)
                changes.outboxDone.append((intent.id, nil))
            } catch {
                let attempts = intent.attempts + 1
                if attempts >= options.maxNotificationAttempts {
                    changes.outboxDone.append((intent.id, "given up after \(attempts) attempts: \(error.message)"))
                } else {
                    let delay = Self.backoff(
                        attempt: attempts, first: options.notificationBackoffSeconds, maximum: options.notificationMaxBackoffSeconds)
                    changes.outboxRetry.append((intent.id, error.message, now.addingTimeInterval(delay)))
                    options.logger.warning(
                        "notification to \(notifier.name) failed: \(error.message); attempt \(attempts), next in \(Int(delay.rounded(.up))) s",
                        metadata: about)
                }
            }
            await record(changes, "a notification's delivery", about: about)
        }
    }
}
