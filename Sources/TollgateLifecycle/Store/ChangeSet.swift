public import Foundation

/// Everything one state change writes, committed together or not at all: the rows it changes, the
/// decision that gated it, the side effects it intends, and its history.
public struct ChangeSet: Sendable {
    public var activities: [Activity] = []
    public var tasks: [LifecycleTask] = []
    /// Stage records; new ones carry id 0 and are numbered at commit.
    public var stageRecords: [StageRecord] = []
    /// Decisions that gated this change, in order (sequence numbers are assigned at commit).
    public var decisions: [DecisionRecord] = []
    public var policySources: [PolicySourceRecord] = []
    /// New outbox intents (numbered at commit, and leased to ``leaseOwner`` when one is set).
    public var outbox: [OutboxIntent] = []
    /// Outbox intents carried out (or given up), by id.
    public var outboxDone: [(id: Int64, error: String?)] = []
    /// Outbox intents that failed and will be tried again (not before `after`), by id.
    public var outboxRetry: [(id: Int64, error: String, after: Date?)] = []
    /// The fence of the lease under which each completed or retried intent was carried out: the
    /// completion is refused when the intent has been leased again since.
    public var fences: [Int64: Int64] = [:]
    /// The row version each changed activity was read at (`activity id → version`): the commit is
    /// refused when one has moved on. Every activity whose tasks or stage records change is here.
    public var expectedVersions: [Int64: Int64] = [:]
    /// Who carries out the new outbox intents, and for how long they are leased to it.
    public var leaseOwner: String?
    public var leaseSeconds = 60.0
    public var transitions: [StatusTransition] = []
    public var history: [ExecutionEvent] = []

    public init() {}

    /// Records `activity` as changed, replacing an earlier copy in this change set; the commit
    /// expects the stored activity at the version `activity` was read at.
    public mutating func put(_ activity: Activity) {
        activities.removeAll { $0.id == activity.id }
        activities.append(activity)
        expect(activity)
    }

    /// Records `task` as changed, replacing an earlier copy in this change set.
    public mutating func put(_ task: LifecycleTask) {
        tasks.removeAll { $0.id == task.id }
        tasks.append(task)
    }

    /// Makes the commit conditional on `activity` being still at the version it was read at.
    public mutating func expect(_ activity: Activity) {
        if activity.version > 0 { expectedVersions[activity.id] = activity.version }
    }

    /// Whether nothing would be written.
    public var isEmpty: Bool {
        activities.isEmpty && tasks.isEmpty && stageRecords.isEmpty && decisions.isEmpty && outbox.isEmpty
            && outboxDone.isEmpty && outboxRetry.isEmpty && history.isEmpty
    }

    /// Refuses a change set that writes tasks of an activity it neither creates nor expects at a
    /// version, or stage records of a version none of whose activities it does: such a write could
    /// undo a concurrent writer's change. (Stage records belong to the version, which has one
    /// PROCESSING activity at a time: the one that writes them.)
    public func checkGuarded() throws(UnguardedWrite) {
        let created = Set(activities.filter { $0.version == 0 }.map(\.id))
        let guarded = created.union(expectedVersions.keys)
        for task in tasks where !guarded.contains(task.activityId) {
            throw UnguardedWrite(description: "task \(task.id) is written without expecting a version of activity \(task.activityId)")
        }
        let versions = Set(activities.filter { guarded.contains($0.id) }.map { [$0.dataProductId, $0.dataProductVersion] })
        for record in stageRecords where !versions.contains([record.dataProductId, record.dataProductVersion]) {
            throw UnguardedWrite(
                description: "a stage record of \(record.dataProductId) \(record.dataProductVersion) is written without expecting a version of its activity")
        }
    }
}

/// A change set that would write rows without the version check that keeps concurrent writers
/// apart (a defect in the caller, refused before anything is written).
public struct UnguardedWrite: Error, Sendable, CustomStringConvertible {
    public var description: String
}
