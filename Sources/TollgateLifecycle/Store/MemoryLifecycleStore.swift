import Foundation
import Synchronization
public import TollgateJSON

/// A store in memory: for tests and for runs that need no durability. Same semantics as the
/// durable stores (atomic commits, row versions, leases, gapless hash-chained decisions).
public final class MemoryLifecycleStore: LifecycleStore {
    private struct State {
        var activities: [Int64: Activity] = [:]
        var descriptors: [Int64: JSONValue] = [:]
        var tasks: [Int64: LifecycleTask] = [:]
        var stageRecords: [Int64: StageRecord] = [:]
        var decisions: [DecisionRecord] = []
        var sources: [String: PolicySourceRecord] = [:]
        var outbox: [Int64: StoredIntent] = [:]
        var duties: [String: Holder] = [:]
        var transitions: [StatusTransition] = []
        var history: [ExecutionEvent] = []
        var lastActivityId: Int64 = 0
        var lastTaskId: Int64 = 0
        var lastStageRecordId: Int64 = 0
        var lastOutboxId: Int64 = 0
    }

    private struct Holder {
        var owner: String?
        var until: Date?
        var fence: Int64 = 0

        func isHeld(now: Date, byOtherThan owner: String) -> Bool {
            guard let until, let holder = self.owner else { return false }
            return holder != owner && until > now
        }
    }

    private struct StoredIntent {
        var intent: OutboxIntent
        var lease = Holder()
    }

    private let state = Mutex(State())

    public init() {}

    public func commit(_ changes: ChangeSet) throws -> CommittedChanges {
        try changes.checkGuarded()
        return try state.withLock { s in
            var next = s
            try Self.apply(changes, to: &next)
            let committed = Self.append(changes, to: &next)
            s = next
            return committed
        }
    }

    private static func apply(_ changes: ChangeSet, to s: inout State) throws(StoreConflict) {
        for (id, version) in changes.expectedVersions {
            guard var stored = s.activities[id], stored.version == version else {
                throw StoreConflict("activity \(id) changed since it was read (expected version \(version))")
            }
            stored.version += 1
            s.activities[id] = stored
        }
        for var a in changes.activities {
            if let descriptor = a.descriptor { s.descriptors[a.id] = descriptor }
            a.descriptor = nil
            if a.version == 0, s.activities[a.id] != nil { throw StoreConflict("activity \(a.id) exists already") }
            a.version = s.activities[a.id]?.version ?? 1
            s.activities[a.id] = a
        }
        try checkUniqueness(s.activities.values)
        for t in changes.tasks { s.tasks[t.id] = t }
        for var r in changes.stageRecords {
            if r.id == 0 {
                s.lastStageRecordId += 1
                r.id = s.lastStageRecordId
            }
            s.stageRecords[r.id] = r
        }
        let now = Date()
        for (id, error) in changes.outboxDone {
            guard var stored = s.outbox[id] else { continue }
            try checkFence(changes.fences[id], stored)
            stored.intent.doneAt = now
            stored.intent.lastError = error
            stored.intent.attempts += 1
            stored.lease.owner = nil
            stored.lease.until = nil
            s.outbox[id] = stored
        }
        for (id, error, after) in changes.outboxRetry {
            guard var stored = s.outbox[id] else { continue }
            try checkFence(changes.fences[id], stored)
            stored.intent.attempts += 1
            stored.intent.lastError = error
            stored.intent.nextAttemptAt = after
            stored.lease.owner = nil
            stored.lease.until = nil
            s.outbox[id] = stored
        }
        for p in changes.policySources { s.sources[p.revision] = p }
    }

    private static func append(_ changes: ChangeSet, to s: inout State) -> CommittedChanges {
        var committed = CommittedChanges()
        for var o in changes.outbox {
            s.lastOutboxId += 1
            o.id = s.lastOutboxId
            var stored = StoredIntent(intent: o)
            if let owner = changes.leaseOwner {
                stored.lease = Holder(owner: owner, until: Date().addingTimeInterval(changes.leaseSeconds), fence: 1)
            }
            s.outbox[o.id] = stored
            committed.outbox.append(o)
        }
        for var record in changes.decisions {
            let sequence = Int64(s.decisions.count + 1)
            let previous = s.decisions.last?.hash ?? ""
            record.sequence = sequence
            record.previousHash = previous
            record.hash = DecisionChain.Canonical(record, sequence: sequence, previousHash: previous).hash
            s.decisions.append(record)
            committed.decisions.append(record)
        }
        for var t in changes.transitions {
            if let index = t.decision, !committed.decisions.indices.contains(index) { t.decision = nil }
            s.transitions.append(t)
        }
        s.history += changes.history
        return committed
    }

    private static func checkFence(_ fence: Int64?, _ stored: StoredIntent) throws(StoreConflict) {
        if let fence, stored.lease.fence != fence {
            throw StoreConflict("outbox intent \(stored.intent.id) was leased again (fence \(stored.lease.fence), held \(fence))", leaseLost: true)
        }
    }

    /// The rules the durable stores keep with unique indexes: one PLANNED activity per version and
    /// stage, one PROCESSING activity per version.
    private static func checkUniqueness(_ activities: Dictionary<Int64, Activity>.Values) throws(StoreConflict) {
        var planned = Set<[String]>()
        var processing = Set<[String]>()
        for a in activities {
            if a.status == .planned, !planned.insert([a.dataProductId, a.dataProductVersion, a.stage]).inserted {
                throw StoreConflict("another PLANNED activity exists for \(a.dataProductId) \(a.dataProductVersion) \(a.stage)")
            }
            if a.status == .processing, !processing.insert([a.dataProductId, a.dataProductVersion]).inserted {
                throw StoreConflict("another activity of \(a.dataProductId) \(a.dataProductVersion) is PROCESSING")
            }
        }
    }

    public func newIds(activities: Int, tasks: Int) throws -> NewIds {
        state.withLock { s in
            let a = (0..<activities).map { _ in s.lastActivityId += 1; return s.lastActivityId }
            let t = (0..<tasks).map { _ in s.lastTaskId += 1; return s.lastTaskId }
            return NewIds(activities: a, tasks: t)
        }
    }

    public func deleteActivity(id: Int64) throws {
        try state.withLock { s throws(StoreConflict) in
            guard let activity = s.activities[id] else { return }
            guard activity.status == .planned else { throw StoreConflict("activity \(id) is \(activity.status.rawValue), no longer PLANNED") }
            s.activities[id] = nil
            s.tasks = s.tasks.filter { $0.value.activityId != id }
        }
    }

    public func activity(id: Int64) throws -> Activity? { state.withLock { $0.activities[id] } }

    public func descriptor(activityId: Int64) throws -> JSONValue? { state.withLock { $0.descriptors[activityId] } }

    public func activities(matching filter: ActivityFilter) throws -> [Activity] {
        state.withLock { $0.activities.values.filter(filter.matches).sorted { $0.id < $1.id } }
    }

    public func task(id: Int64) throws -> LifecycleTask? { state.withLock { $0.tasks[id] } }

    public func tasks(activityId: Int64) throws -> [LifecycleTask] {
        state.withLock { $0.tasks.values.filter { $0.activityId == activityId }.sorted { $0.position < $1.position } }
    }

    public func tasks(status: TaskStatus) throws -> [LifecycleTask] {
        state.withLock { $0.tasks.values.filter { $0.status == status }.sorted { $0.id < $1.id } }
    }

    public func stageRecords(dataProductId: String, version: String) throws -> [StageRecord] {
        state.withLock { s in
            s.stageRecords.values.filter { $0.dataProductId == dataProductId && $0.dataProductVersion == version }
                .sorted { $0.id < $1.id }
        }
    }

    public func pendingOutbox() throws -> [OutboxIntent] {
        state.withLock { $0.outbox.values.map(\.intent).filter { $0.doneAt == nil }.sorted { $0.id < $1.id } }
    }

    public func outboxIntent(id: Int64) throws -> OutboxIntent? { state.withLock { $0.outbox[id]?.intent } }

    public func outbox(taskId: Int64, kind: OutboxIntent.Kind) throws -> [OutboxIntent] {
        state.withLock { $0.outbox.values.map(\.intent).filter { $0.taskId == taskId && $0.kind == kind }.sorted { $0.id < $1.id } }
    }

    public func decisions(activityId: Int64) throws -> [DecisionRecord] {
        state.withLock { $0.decisions.filter { $0.activityId == activityId } }
    }

    public func storedPolicyRevisions() throws -> Set<String> { state.withLock { Set($0.sources.keys) } }

    public func claimIntent(id: Int64, owner: String, seconds: Double) throws -> Lease? {
        state.withLock { s in
            let now = Date()
            guard var stored = s.outbox[id], stored.intent.doneAt == nil, !stored.lease.isHeld(now: now, byOtherThan: owner) else {
                return nil
            }
            stored.lease = Holder(owner: owner, until: now.addingTimeInterval(seconds), fence: stored.lease.fence + 1)
            s.outbox[id] = stored
            return Lease(fence: stored.lease.fence)
        }
    }

    public func renewIntent(id: Int64, owner: String, lease: Lease, seconds: Double) throws -> Bool {
        state.withLock { s in
            guard var stored = s.outbox[id], stored.lease.owner == owner, stored.lease.fence == lease.fence else { return false }
            stored.lease.until = Date().addingTimeInterval(seconds)
            s.outbox[id] = stored
            return true
        }
    }

    public func claimDuty(_ name: String, owner: String, seconds: Double) throws -> Lease? {
        state.withLock { s in
            let now = Date()
            let current = s.duties[name] ?? Holder()
            guard !current.isHeld(now: now, byOtherThan: owner) else { return nil }
            let fence = current.owner == owner && (current.until ?? .distantPast) > now ? current.fence : current.fence + 1
            s.duties[name] = Holder(owner: owner, until: now.addingTimeInterval(seconds), fence: fence)
            return Lease(fence: fence)
        }
    }

    /// Every decision, in order.
    public var allDecisions: [DecisionRecord] { state.withLock { $0.decisions } }

    /// Every status transition, in order.
    public var allTransitions: [StatusTransition] { state.withLock { $0.transitions } }

    /// A task's execution history.
    public func history(taskId: Int64) -> [ExecutionEvent] { state.withLock { $0.history.filter { $0.taskId == taskId } } }
}
