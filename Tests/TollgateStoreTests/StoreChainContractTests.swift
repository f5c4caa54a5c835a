import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle

/// One decision chain, whoever appends: gapless, each hash naming the one before, and written
/// with the change it gates.
@Suite("Store contract: decision chain")
struct StoreChainContractTests {
    @Test(arguments: StoreKind.allCases)
    func concurrentWritersAppendOneGaplessChain(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let activities = try await withThrowingTaskGroup(of: Activity.self) { group in
                for i in 0..<6 { group.addTask { try await StoreFixtures.plan(store, version: "1.0.\(i)", tasks: 1) } }
                return try await group.reduce(into: [Activity]()) { $0.append($1) }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for activity in activities {
                    group.addTask {
                        for _ in 0..<5 {
                            var changes = ChangeSet()
                            changes.decisions.append(StoreFixtures.decision(activity: activity.id))
                            changes.transitions.append(
                                StatusTransition(entity: "activity", entityId: activity.id, from: "PLANNED", to: "PLANNED", at: StoreFixtures.now, decision: 0))
                            try await store.commit(changes)
                        }
                    }
                }
                try await group.waitForAll()
            }
            var all: [DecisionRecord] = []
            for activity in activities { all += try await store.decisions(activityId: activity.id) }
            all.sort { $0.sequence < $1.sequence }
            #expect(all.map(\.sequence) == Array(1...30))
            for (previous, next) in zip(all, all.dropFirst()) { #expect(next.previousHash == previous.hash) }
            #expect(all.first?.previousHash == "")
            for record in all {
                let recomputed = DecisionChain.Canonical(record, sequence: record.sequence, previousHash: record.previousHash).hash
                #expect(recomputed == record.hash, "decision \(record.sequence) reads back exactly as hashed")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aLargeInputIsStoredInPartsAndReadBackWhole(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let planned = try await StoreFixtures.plan(store)
            let tasks: [JSONValue] = (0..<200).map { i in ["key": .string("task\(i)"), "results": ["vm": .string("vm-\(i)"), "ip": "10.0.0.1"]] }
            let input: JSONValue = ["event": "TASK_EXECUTION_RESULT", "tasks": .array(tasks)]
            var changes = ChangeSet()
            changes.decisions.append(StoreFixtures.decision(activity: planned.id, input: input))
            let committed = try await store.commit(changes)
            let read = try await store.decisions(activityId: planned.id)
            #expect(read.count == 1)
            #expect(read.first?.input == input)
            #expect(read.first?.hash == committed.decisions.first?.hash)
            #expect(read.first?.outcomes.first?.policy == "stage-order")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func policySourcesAreKeptOncePerRevision(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let source = PolicySourceRecord(revision: "r1", name: "stage-order", file: "policies/stage-order.lua", source: "return {}")
            var changes = ChangeSet()
            changes.policySources = [source]
            try await store.commit(changes)
            try await store.commit(changes)
            #expect(try await store.storedPolicyRevisions() == ["r1"])
        }
    }
}
