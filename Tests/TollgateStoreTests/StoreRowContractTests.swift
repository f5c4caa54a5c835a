import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle

/// What every store keeps for the engine, whichever it is: rows read back as written, numbering
/// from the store, one writer per activity by row version, and the lifecycle's uniqueness rules.
@Suite("Store contract: rows")
struct StoreRowContractTests {
    @Test(arguments: StoreKind.allCases)
    func rowsReadBackAsWrittenAndVersionsGrowWithEachChange(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let planned = try await StoreFixtures.plan(store, tasks: 2)
            #expect(planned.version == 1)
            #expect(try await store.descriptor(activityId: planned.id)?["info"]?["version"] == "1.0.0")
            var tasks = try await store.tasks(activityId: planned.id)
            #expect(tasks.map(\.key) == ["task1", "task2"])
            #expect(tasks[0].configurations?["params"]?["size"] == "small")
            #expect(tasks[0].timeoutSeconds == 600)

            var running = planned
            running.status = .processing
            running.startedAt = StoreFixtures.now
            tasks[0].status = .processing
            tasks[0].executorReference = "pipeline 42"
            var changes = ChangeSet()
            changes.put(running)
            changes.put(tasks[0])
            changes.history.append(ExecutionEvent(taskId: tasks[0].id, at: StoreFixtures.now, kind: "dispatched", message: "accepted"))
            try await store.commit(changes)

            let read = try #require(try await store.activity(id: planned.id))
            #expect(read.status == .processing)
            #expect(read.version == 2)
            #expect(read.startedAt == StoreFixtures.now)
            #expect(try await store.task(id: tasks[0].id)?.executorReference == "pipeline 42")
            #expect(try await store.tasks(status: .processing).map(\.id) == [tasks[0].id])
            #expect(try await store.activities(matching: ActivityFilter(dataProductId: "urn:product:orders", status: .processing)).map(\.id) == [planned.id])
            #expect(try await store.activities(matching: ActivityFilter(stage: "prod")).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aChangeComputedFromAnOlderVersionIsRefusedAndWritesNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let planned = try await StoreFixtures.plan(store)
            // Two writers read the same version; the first commits.
            var first = planned
            first.status = .processing
            var firstChanges = ChangeSet()
            firstChanges.put(first)
            try await store.commit(firstChanges)

            var second = planned
            second.status = .aborted
            var secondChanges = ChangeSet()
            secondChanges.put(second)
            secondChanges.decisions.append(StoreFixtures.decision(activity: planned.id))
            let task = try await store.tasks(activityId: planned.id)[0]
            secondChanges.history.append(ExecutionEvent(taskId: task.id, at: StoreFixtures.now, kind: "aborted", message: "late"))
            await #expect(throws: StoreConflict.self) { try await store.commit(secondChanges) }

            #expect(try await store.activity(id: planned.id)?.status == .processing)
            #expect(try await store.activity(id: planned.id)?.version == 2)
            #expect(try await store.decisions(activityId: planned.id).isEmpty, "the refused change's decision is not in the log")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func writingTasksWithoutExpectingTheirActivityIsRefused(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let planned = try await StoreFixtures.plan(store)
            var task = try await store.tasks(activityId: planned.id)[0]
            task.status = .processing
            var changes = ChangeSet()
            changes.put(task)
            await #expect(throws: UnguardedWrite.self) { try await store.commit(changes) }
            changes.expect(planned)
            try await store.commit(changes)
            #expect(try await store.task(id: task.id)?.status == .processing)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func oneProcessingActivityPerVersionAndOnePlannedPerStage(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            _ = try await StoreFixtures.plan(store, stage: "dev")
            await #expect(throws: StoreConflict.self) { _ = try await StoreFixtures.plan(store, stage: "dev") }
            let test = try await StoreFixtures.plan(store, stage: "test")
            let prod = try await StoreFixtures.plan(store, stage: "prod")
            _ = try await StoreFixtures.plan(store, version: "2.0.0", stage: "dev")

            var running = test
            running.status = .processing
            var changes = ChangeSet()
            changes.put(running)
            try await store.commit(changes)
            var alsoRunning = prod
            alsoRunning.status = .processing
            var refused = ChangeSet()
            refused.put(alsoRunning)
            await #expect(throws: StoreConflict.self) { try await store.commit(refused) }
            #expect(try await store.activity(id: prod.id)?.status == .planned)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func idsAreNeverHandedOutTwice(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let batches = try await withThrowingTaskGroup(of: NewIds.self) { group in
                for _ in 0..<8 { group.addTask { try await store.newIds(activities: 2, tasks: 5) } }
                return try await group.reduce(into: [NewIds]()) { $0.append($1) }
            }
            let activities = batches.flatMap(\.activities)
            let tasks = batches.flatMap(\.tasks)
            #expect(activities.count == 16 && Set(activities).count == 16)
            #expect(tasks.count == 40 && Set(tasks).count == 40)
            let planned = try await StoreFixtures.plan(store)
            #expect(planned.id > activities.max() ?? 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func onlyAPlannedActivityIsDeleted(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let planned = try await StoreFixtures.plan(store)
            let other = try await StoreFixtures.plan(store, stage: "test")
            var running = other
            running.status = .processing
            var changes = ChangeSet()
            changes.put(running)
            try await store.commit(changes)

            await #expect(throws: StoreConflict.self) { try await store.deleteActivity(id: other.id) }
            #expect(try await store.activity(id: other.id) != nil)
            try await store.deleteActivity(id: planned.id)
            #expect(try await store.activity(id: planned.id) == nil)
            #expect(try await store.tasks(activityId: planned.id).isEmpty)
        }
    }
}
