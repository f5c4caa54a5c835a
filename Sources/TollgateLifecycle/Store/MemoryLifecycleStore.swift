import Foundation
import Synchronization
public import TollgateJSON

/// A store in memory: for tests and for runs that need no durability. Same semantics as the
/// SQLite store (atomic commits, gapless hash-chained decisions).
public final class MemoryLifecycleStore: LifecycleStore {
    private struct State {
        var activities: [Int64: Activity] = [:]
        var descriptors: [Int64: JSONValue] = [:]
        var tasks: [Int64: LifecycleTask] = [:]
        var stageRecords: [Int64: StageRecord] = [:]
        var decisions: [DecisionRecord] = []
        var sources: [String: PolicySourceRecord] = [:]
        var outbox: [Int64: OutboxIntent] = [:]
        var transitions: [StatusTransition] = []
        var history: [ExecutionEvent] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func commit(_ changes: ChangeSet) throws -> [DecisionRecord] {
        state.withLock { s in
            for var a in changes.activities {
                if let descriptor = a.descriptor { s.descriptors[a.id] = descriptor }
                a.descriptor = nil
                s.activities[a.id] = a
            }
            for t in changes.tasks { s.tasks[t.id] = t }
            for r in changes.stageRecords { s.stageRecords[r.id] = r }
            for o in changes.outbox { s.outbox[o.id] = o }
            for (id, error) in changes.outboxDone {
                guard var intent = s.outbox[id] else { continue }
                intent.doneAt = Date()
                intent.lastError = error
                intent.attempts += 1
                s.outbox[id] = intent
            }
            for (id, error, after) in changes.outboxRetry {
                guard var intent = s.outbox[id] else { continue }
                intent.attempts += 1
                intent.lastError = error
                intent.nextAttemptAt = after
                s.outbox[id] = intent
            }
            for p in changes.policySources { s.sources[p.revision] = p }
            s.transitions += changes.transitions
            s.history += changes.history
            var committed: [DecisionRecord] = []
            for var record in changes.decisions {
                let sequence = Int64(s.decisions.count + 1)
                let previous = s.decisions.last?.hash ?? ""
                record.sequence = sequence
                record.previousHash = previous
                record.hash = DecisionChain.Canonical(record, sequence: sequence, previousHash: previous).hash
                s.decisions.append(record)
                committed.append(record)
            }
            return committed
        }
    }

    public func deleteActivity(id: Int64) throws {
        state.withLock { s in
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
        state.withLock { $0.outbox.values.filter { $0.doneAt == nil }.sorted { $0.id < $1.id } }
    }

    public func outboxIntent(id: Int64) throws -> OutboxIntent? { state.withLock { $0.outbox[id] } }

    public func outbox(taskId: Int64, kind: OutboxIntent.Kind) throws -> [OutboxIntent] {
        state.withLock { $0.outbox.values.filter { $0.taskId == taskId && $0.kind == kind }.sorted { $0.id < $1.id } }
    }

    public func decisions(activityId: Int64) throws -> [DecisionRecord] {
        state.withLock { $0.decisions.filter { $0.activityId == activityId } }
    }

    public func highestIds() throws -> HighestIds {
        state.withLock { s in
            HighestIds(
                activity: s.activities.keys.max() ?? 0, task: s.tasks.keys.max() ?? 0,
                stageRecord: s.stageRecords.keys.max() ?? 0, outbox: s.outbox.keys.max() ?? 0)
        }
    }

    public func storedPolicyRevisions() throws -> Set<String> { state.withLock { Set($0.sources.keys) } }

    /// Every decision, in order.
    public var allDecisions: [DecisionRecord] { state.withLock { $0.decisions } }

    /// Every status transition, in order.
    public var allTransitions: [StatusTransition] { state.withLock { $0.transitions } }

    /// A task's execution history.
    public func history(taskId: Int64) -> [ExecutionEvent] { state.withLock { $0.history.filter { $0.taskId == taskId } } }
}
