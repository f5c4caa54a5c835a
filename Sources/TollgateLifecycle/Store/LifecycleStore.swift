public import TollgateJSON

/// Durable state of the lifecycle: activities, tasks, stage history, the decision log, the outbox.
///
/// Several engines (one per replica) may share one store. The store keeps them consistent:
/// - it numbers new rows (``newIds(activities:tasks:)`` and, for outbox intents and stage records,
///   at commit), so no replica numbers from memory;
/// - a ``ChangeSet`` commits atomically and only if every activity it expects is still at the row
///   version it read (optimistic writes, one writer per activity); otherwise ``StoreConflict``;
/// - outbox intents are carried out under a lease (``claimIntent(id:owner:seconds:)``), and their
///   completion is accepted only with the fencing token of a lease still held;
/// - it appends decisions to one gapless hash chain, whichever engine commits them.
public protocol LifecycleStore: Sendable {
    /// Writes `changes` in one transaction: the committed decisions (with sequence and hash) and
    /// outbox intents (with their ids and leases). Throws ``StoreConflict`` when an expected
    /// activity moved on, an intent's lease was lost, or a uniqueness rule refused a row.
    @discardableResult
    func commit(_ changes: ChangeSet) async throws -> CommittedChanges

    /// Fresh ids for activities and tasks about to be planned (never handed out twice).
    func newIds(activities: Int, tasks: Int) async throws -> NewIds

    /// Removes a PLANNED activity and its tasks (nothing else references them yet). Throws
    /// ``StoreConflict`` when the activity is no longer PLANNED.
    func deleteActivity(id: Int64) async throws

    /// The activity (without its descriptor, which ``descriptor(activityId:)`` reads).
    func activity(id: Int64) async throws -> Activity?
    /// The descriptor an activity was planned from.
    func descriptor(activityId: Int64) async throws -> JSONValue?
    func activities(matching filter: ActivityFilter) async throws -> [Activity]
    func task(id: Int64) async throws -> LifecycleTask?
    func tasks(activityId: Int64) async throws -> [LifecycleTask]
    func tasks(status: TaskStatus) async throws -> [LifecycleTask]
    func stageRecords(dataProductId: String, version: String) async throws -> [StageRecord]
    func pendingOutbox() async throws -> [OutboxIntent]
    /// One outbox intent, as stored now.
    func outboxIntent(id: Int64) async throws -> OutboxIntent?
    func outbox(taskId: Int64, kind: OutboxIntent.Kind) async throws -> [OutboxIntent]
    func decisions(activityId: Int64) async throws -> [DecisionRecord]
    /// Revisions whose policy source is stored.
    func storedPolicyRevisions() async throws -> Set<String>

    /// Leases a pending intent to `owner` for `seconds`, unless it is done or another owner's lease
    /// has not expired. The lease's fence grows with every claim.
    func claimIntent(id: Int64, owner: String, seconds: Double) async throws -> Lease?
    /// Extends `owner`'s lease on an intent by `seconds` if it still holds it under `lease`; false
    /// when another owner took the intent over (checked right before a side effect).
    func renewIntent(id: Int64, owner: String, lease: Lease, seconds: Double) async throws -> Bool
    /// Leases a periodic duty (`name`) to `owner` for `seconds`; the holder renews it by claiming
    /// again before it expires. Nil while another owner holds it.
    func claimDuty(_ name: String, owner: String, seconds: Double) async throws -> Lease?
}

/// The right to carry out one piece of work, until it expires. `fence` grows with every lease of
/// the same work, so the completion of a holder whose lease was taken over is refused.
public struct Lease: Sendable, Equatable {
    public var fence: Int64

    public init(fence: Int64) { self.fence = fence }
}

/// A commit refused because the state it was computed from changed underneath: another writer
/// moved an activity on, took over an intent's lease, or planned the same thing first. Nothing was
/// written; computing the change again from fresh reads resolves it.
public struct StoreConflict: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// Whether an outbox intent's lease was taken over: the work belongs to another owner now, and
    /// computing the change again does not help.
    public var leaseLost: Bool

    public init(_ description: String, leaseLost: Bool = false) {
        self.description = description
        self.leaseLost = leaseLost
    }
}

/// What a commit wrote, numbered by the store.
public struct CommittedChanges: Sendable {
    /// The decisions, with their sequence numbers and hashes.
    public var decisions: [DecisionRecord] = []
    /// The new outbox intents, with their ids; each is leased to the change set's lease owner with fence 1.
    public var outbox: [OutboxIntent] = []

    public init(decisions: [DecisionRecord] = [], outbox: [OutboxIntent] = []) {
        self.decisions = decisions
        self.outbox = outbox
    }
}

/// Ids reserved for new activities and tasks.
public struct NewIds: Sendable, Equatable {
    public var activities: [Int64]
    public var tasks: [Int64]

    public init(activities: [Int64], tasks: [Int64]) {
        self.activities = activities
        self.tasks = tasks
    }
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

/// The store cannot be reached right now (its database is down or failing over). Nothing was
/// written; the same request succeeds once the database is back.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
