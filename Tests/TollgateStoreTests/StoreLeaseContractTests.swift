import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle

/// Side effects are claimed, not broadcast: an outbox intent or a duty is leased to one owner at a
/// time, and a completion under a lease that was taken over is refused.
@Suite("Store contract: leases")
struct StoreLeaseContractTests {
    /// Commits one dispatch intent leased to `owner` and returns it as numbered by the store.
    func queueDispatch(_ store: any LifecycleStore, owner: String, leaseSeconds: Double = 60) async throws -> OutboxIntent {
        let planned = try await StoreFixtures.plan(store)
        let task = try await store.tasks(activityId: planned.id)[0]
        var changes = ChangeSet()
        changes.outbox.append(OutboxIntent(id: 0, kind: .dispatchTask, taskId: task.id, payload: ["taskId": .int(task.id)], createdAt: StoreFixtures.now))
        changes.leaseOwner = owner
        changes.leaseSeconds = leaseSeconds
        let committed = try await store.commit(changes)
        let intent = try #require(committed.outbox.first)
        #expect(intent.id > 0)
        #expect(try await store.outboxIntent(id: intent.id)?.payload["taskId"] == .int(task.id))
        return intent
    }

    @Test(arguments: StoreKind.allCases)
    func aLiveLeaseKeepsOthersOutAndItsHolderCompletes(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let intent = try await queueDispatch(store, owner: "replica-a")
            #expect(try await store.claimIntent(id: intent.id, owner: "replica-b", seconds: 60) == nil, "replica-a holds it")
            var done = ChangeSet()
            done.outboxDone.append((intent.id, nil))
            done.fences[intent.id] = 1
            try await store.commit(done)
            #expect(try await store.outboxIntent(id: intent.id)?.doneAt != nil)
            #expect(try await store.pendingOutbox().isEmpty)
            #expect(try await store.claimIntent(id: intent.id, owner: "replica-b", seconds: 60) == nil, "a done intent is not claimed")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredLeaseIsTakenOverAndItsOldHolderCannotComplete(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let intent = try await queueDispatch(store, owner: "replica-a", leaseSeconds: 0.2)
            try await Task.sleep(for: .milliseconds(400))
            let lease = try #require(try await store.claimIntent(id: intent.id, owner: "replica-b", seconds: 60))
            #expect(lease.fence == 2)

            // replica-a wakes up (a pause past its lease) and tries to record its result.
            var stale = ChangeSet()
            stale.outboxDone.append((intent.id, nil))
            stale.fences[intent.id] = 1
            stale.history.append(ExecutionEvent(taskId: intent.taskId ?? 0, at: StoreFixtures.now, kind: "dispatched", message: "by a"))
            await #expect(throws: StoreConflict.self) { try await store.commit(stale) }
            #expect(try await store.outboxIntent(id: intent.id)?.doneAt == nil)

            var retry = ChangeSet()
            retry.outboxRetry.append((intent.id, "unreachable", StoreFixtures.now.addingTimeInterval(5)))
            retry.fences[intent.id] = lease.fence
            try await store.commit(retry)
            let stored = try #require(try await store.outboxIntent(id: intent.id))
            #expect(stored.attempts == 1)
            #expect(stored.lastError == "unreachable")
            #expect(stored.nextAttemptAt == StoreFixtures.now.addingTimeInterval(5))
            // A retry releases the lease: anyone may take the next attempt.
            #expect(try await store.claimIntent(id: intent.id, owner: "replica-c", seconds: 60)?.fence == 3)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func manyClaimantsAtOnceGetOneLease(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let intent = try await queueDispatch(store, owner: "replica-a", leaseSeconds: 0.1)
            try await Task.sleep(for: .milliseconds(300))
            let winners = try await withThrowingTaskGroup(of: Lease?.self) { group in
                for i in 0..<8 { group.addTask { try await store.claimIntent(id: intent.id, owner: "replica-\(i)", seconds: 60) } }
                return try await group.reduce(into: [Lease]()) { if let lease = $1 { $0.append(lease) } }
            }
            #expect(winners.count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aDutyHasOneHolderWhoRenewsItUntilItLapses(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let first = try #require(try await store.claimDuty("watch-tasks", owner: "replica-a", seconds: 60))
            #expect(try await store.claimDuty("watch-tasks", owner: "replica-b", seconds: 60) == nil)
            let renewed = try #require(try await store.claimDuty("watch-tasks", owner: "replica-a", seconds: 60))
            #expect(renewed.fence == first.fence, "renewing keeps the fence")
            #expect(try await store.claimDuty("other-duty", owner: "replica-b", seconds: 60) != nil, "duties are leased apart")

            // A holder that stops renewing loses the duty once its lease lapses.
            let short = try #require(try await store.claimDuty("short-duty", owner: "replica-a", seconds: 0.3))
            try await Task.sleep(for: .milliseconds(800))
            let taken = try #require(try await store.claimDuty("short-duty", owner: "replica-b", seconds: 60))
            #expect(taken.fence > short.fence)
            #expect(try await store.claimDuty("short-duty", owner: "replica-a", seconds: 60) == nil)
        }
    }
}
