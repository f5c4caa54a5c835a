public import TollgateJSON
public import TollgateLifecycle
import Synchronization

/// A store that can hold back one activity read until the test lets it go, so that a concurrent
/// writer's commit lands between two reads of one caller: what a loaded machine does at random,
/// made to happen every time. Everything else goes straight to the store it wraps.
public final class ReadHoldingStore: LifecycleStore {
    private struct Hold {
        var armed = false
        var holding = false
        var released = false
    }

    public let wrapped: any LifecycleStore
    private let hold = Mutex(Hold())

    public init(_ wrapped: any LifecycleStore) { self.wrapped = wrapped }

    /// The next activity read waits (before reading) until ``releaseHeldRead()``.
    public func holdNextActivityRead() { hold.withLock { $0 = Hold(armed: true) } }

    /// Whether a read is waiting now.
    public var isHoldingRead: Bool { hold.withLock { $0.holding } }

    /// Lets the held read go on; it reads the store as it is then.
    public func releaseHeldRead() { hold.withLock { $0.released = true } }

    public func activity(id: Int64) async throws -> Activity? {
        let held = hold.withLock { state in
            guard state.armed else { return false }
            state.armed = false
            state.holding = true
            return true
        }
        if held {
            while !hold.withLock({ $0.released }) { try await Task.sleep(for: .milliseconds(5)) }
            hold.withLock { $0.holding = false }
        }
        return try await wrapped.activity(id: id)
    }

    public func commit(_ changes: ChangeSet) async throws -> CommittedChanges { try await wrapped.commit(changes) }
    public func newIds(activities: Int, tasks: Int) async throws -> NewIds { try await wrapped.newIds(activities: activities, tasks: tasks) }
    public func deleteActivity(id: Int64) async throws { try await wrapped.deleteActivity(id: id) }
    public func descriptor(activityId: Int64) async throws -> JSONValue? { try await wrapped.descriptor(activityId: activityId) }
    public func activities(matching filter: ActivityFilter) async throws -> [Activity] { try await wrapped.activities(matching: filter) }
    public func task(id: Int64) async throws -> LifecycleTask? { try await wrapped.task(id: id) }
    public func tasks(activityId: Int64) async throws -> [LifecycleTask] { try await wrapped.tasks(activityId: activityId) }
    public func tasks(status: TaskStatus) async throws -> [LifecycleTask] { try await wrapped.tasks(status: status) }
    public func stageRecords(dataProductId: String, version: String) async throws -> [StageRecord] {
        try await wrapped.stageRecords(dataProductId: dataProductId, version: version)
    }
    public func pendingOutbox() async throws -> [OutboxIntent] { try await wrapped.pendingOutbox() }
    public func outboxIntent(id: Int64) async throws -> OutboxIntent? { try await wrapped.outboxIntent(id: id) }
    public func outbox(taskId: Int64, kind: OutboxIntent.Kind) async throws -> [OutboxIntent] { try await wrapped.outbox(taskId: taskId, kind: kind) }
    public func decisions(activityId: Int64) async throws -> [DecisionRecord] { try await wrapped.decisions(activityId: activityId) }
    public func storedPolicyRevisions() async throws -> Set<String> { try await wrapped.storedPolicyRevisions() }
    public func claimIntent(id: Int64, owner: String, seconds: Double) async throws -> Lease? {
        try await wrapped.claimIntent(id: id, owner: owner, seconds: seconds)
    }
    public func renewIntent(id: Int64, owner: String, lease: Lease, seconds: Double) async throws -> Bool {
        try await wrapped.renewIntent(id: id, owner: owner, lease: lease, seconds: seconds)
    }
    public func claimDuty(_ name: String, owner: String, seconds: Double) async throws -> Lease? {
        try await wrapped.claimDuty(name, owner: owner, seconds: seconds)
    }
}
