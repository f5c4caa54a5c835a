public import TollgateJSON

/// Durable state of the lifecycle: activities, tasks, stage history, the decision log, the outbox.
///
/// Implementations commit a ``ChangeSet`` atomically and assign decision sequence numbers and
/// hashes. Calls are synchronous and short; the engine makes them from one place at a time.
public protocol LifecycleStore: Sendable {
    /// Writes `changes` in one transaction; returns the committed decisions (with sequence and hash).
    @discardableResult
    func commit(_ changes: ChangeSet) throws -> [DecisionRecord]

    /// Removes a PLANNED activity and its tasks (nothing else references them yet).
    func deleteActivity(id: Int64) throws

    /// The activity (without its descriptor, which ``descriptor(activityId:)`` reads).
    func activity(id: Int64) throws -> Activity?
    /// The descriptor an activity was planned from.
    func descriptor(activityId: Int64) throws -> JSONValue?
    func activities(matching filter: ActivityFilter) throws -> [Activity]
    func task(id: Int64) throws -> LifecycleTask?
    func tasks(activityId: Int64) throws -> [LifecycleTask]
    func tasks(status: TaskStatus) throws -> [LifecycleTask]
    func stageRecords(dataProductId: String, version: String) throws -> [StageRecord]
    func pendingOutbox() throws -> [OutboxIntent]
    /// One outbox intent, as stored now.
    func outboxIntent(id: Int64) throws -> OutboxIntent?
    func outbox(taskId: Int64, kind: OutboxIntent.Kind) throws -> [OutboxIntent]
    func decisions(activityId: Int64) throws -> [DecisionRecord]
    /// Highest ids in use, so new rows can be numbered by the engine.
    func highestIds() throws -> HighestIds
    /// Revisions whose policy source is stored.
    func storedPolicyRevisions() throws -> Set<String>
}

/// Filters for activity searches (all given filters must match).
public struct ActivityFilter: Sendable {
    public var dataProductId: String?
    public var dataProductVersion: String?
    public var stage: String?
    public var status: ActivityStatus?

    public init(dataProductId: String? = nil, dataProductVersion: String? = nil, stage: String? = nil, status: ActivityStatus? = nil) {
        self.dataProductId = dataProductId
        self.dataProductVersion = dataProductVersion
        self.stage = stage
        self.status = status
    }

    public func matches(_ a: Activity) -> Bool {
        (dataProductId == nil || a.dataProductId == dataProductId)
            && (dataProductVersion == nil || a.dataProductVersion == dataProductVersion)
            && (stage == nil || a.stage == stage) && (status == nil || a.status == status)
    }
}

/// Highest ids in use per table.
public struct HighestIds: Sendable, Equatable {
    public var activity: Int64 = 0
    public var task: Int64 = 0
    public var stageRecord: Int64 = 0
    public var outbox: Int64 = 0

    public init(activity: Int64 = 0, task: Int64 = 0, stageRecord: Int64 = 0, outbox: Int64 = 0) {
        self.activity = activity
        self.task = task
        self.stageRecord = stageRecord
        self.outbox = outbox
    }
}
