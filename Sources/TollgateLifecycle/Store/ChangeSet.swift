public import Foundation

/// Everything one state change writes, committed together or not at all: the rows it changes, the
/// decision that gated it, the side effects it intends, and its history.
public struct ChangeSet: Sendable {
    public var activities: [Activity] = []
    public var tasks: [LifecycleTask] = []
    public var stageRecords: [StageRecord] = []
    /// Decisions that gated this change, in order (sequence numbers are assigned at commit).
    public var decisions: [DecisionRecord] = []
    public var policySources: [PolicySourceRecord] = []
    public var outbox: [OutboxIntent] = []
    /// Outbox intents carried out (or given up), by id.
    public var outboxDone: [(id: Int64, error: String?)] = []
    /// Outbox intents that failed and will be tried again (not before `after`), by id.
    public var outboxRetry: [(id: Int64, error: String, after: Date?)] = []
    public var transitions: [StatusTransition] = []
    public var history: [ExecutionEvent] = []

    public init() {}

    /// Records `activity` as changed, replacing an earlier copy in this change set.
    public mutating func put(_ activity: Activity) {
        activities.removeAll { $0.id == activity.id }
        activities.append(activity)
    }

    /// Records `task` as changed, replacing an earlier copy in this change set.
    public mutating func put(_ task: LifecycleTask) {
        tasks.removeAll { $0.id == task.id }
        tasks.append(task)
    }

    /// Whether nothing would be written.
    public var isEmpty: Bool {
        activities.isEmpty && tasks.isEmpty && stageRecords.isEmpty && decisions.isEmpty && outbox.isEmpty
            && outboxDone.isEmpty && outboxRetry.isEmpty && history.isEmpty
    }
}
