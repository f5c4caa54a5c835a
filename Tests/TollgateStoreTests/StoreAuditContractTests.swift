import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle

/// What auditors rely on, the same on both databases: verification finds an altered decision and
/// an ungated change, pruning leaves a chain that verifies and goes on, and legal holds stop it.
@Suite("Store contract: audit")
struct StoreAuditContractTests {
    /// Commits `count` activities, each created with the decision that gated it, a minute apart.
    static func gatedActivities(_ store: any AuditStore, count: Int, from first: Int = 0) async throws -> [DecisionRecord] {
        var decisions: [DecisionRecord] = []
        for i in first..<(first + count) {
            let id = try await store.newIds(activities: 1, tasks: 0).activities[0]
            let at = StoreFixtures.now.addingTimeInterval(Double(i) * 60)
            var changes = ChangeSet()
            changes.put(StoreFixtures.activity(id, version: "1.0.\(i)"))
            var decision = StoreFixtures.decision(activity: id)
            decision.createdAt = at
            changes.decisions = [decision]
            changes.transitions = [StatusTransition(entity: "activity", entityId: id, from: nil, to: "PLANNED", at: at, decision: 0)]
            decisions += try await store.commit(changes).decisions
        }
        return decisions
    }

    @Test(arguments: StoreKind.auditing)
    func verificationFindsAnAlteredDecisionAndAnUngatedChange(_ kind: StoreKind) async throws {
        try await kind.withAuditStore { store, sql in
            let decisions = try await Self.gatedActivities(store, count: 5)
            let intact = try await store.verifyLog(since: nil, maximumProblems: 10)
            #expect(intact.isIntact, "\(intact.completeness) \(String(describing: intact.chain))")
            #expect(intact.decisions == 5)
            #expect(intact.head?.sequence == 5 && intact.head?.hash == decisions.last?.hash)

            // A start that passed no gate.
            var ungated = ChangeSet()
            let activity = try #require(try await store.activity(id: decisions[0].activityId))
            var started = activity
            started.status = .processing
            ungated.put(started)
            ungated.transitions = [StatusTransition(entity: "activity", entityId: activity.id, from: "PLANNED", to: "PROCESSING", at: StoreFixtures.now)]
            try await store.commit(ungated)
            let incomplete = try await store.verifyLog(since: nil, maximumProblems: 10)
            #expect(incomplete.chain == nil)
            #expect(incomplete.completeness.count == 1)
            #expect(incomplete.completeness.first?.contains("activity \(activity.id): PLANNED -> PROCESSING passes a gate, but has no decision") == true)

            // Decision 3's verdict changed behind the store's back (the append-only rule lifted first).
            switch kind {
            case .postgres:
                try await sql("ALTER TABLE decisions DISABLE TRIGGER USER")
                try await sql("UPDATE decisions SET verdict = 'block' WHERE seq = 3")
            default:
                try await sql("DROP TRIGGER decisions_are_append_only_update; UPDATE decisions SET verdict = 'block' WHERE seq = 3")
            }
            let altered = try await store.verifyLog(since: nil, maximumProblems: 10)
            #expect(altered.chain?.sequence == 3)
            #expect(altered.chain?.message.contains("altered") == true, "\(String(describing: altered.chain))")
        }
    }

    @Test(arguments: StoreKind.auditing)
    func pruningUnderAHoldIsRefusedAndAfterItTheChainGoesOn(_ kind: StoreKind) async throws {
        try await kind.withAuditStore { store, _ in
            let decisions = try await Self.gatedActivities(store, count: 6)
            try await store.setLegalHold(name: "case-42", reason: "litigation", principal: "audit", at: StoreFixtures.now)
            await #expect {
                try await store.prune(before: StoreFixtures.now.addingTimeInterval(3600), principal: "audit", now: StoreFixtures.now)
            } throws: { error in
                error is RetentionError && "\(error)".contains("case-42 (litigation)")
            }
            #expect(try await store.decisions(matching: DecisionFilter()).count == 6, "nothing pruned under a hold")
            #expect(try await store.legalHolds().map(\.name) == ["case-42"])

            try await store.releaseLegalHold(name: "case-42")
            #expect(try await store.legalHolds().isEmpty)
            #expect(try await store.prune(before: .distantPast, principal: "audit", now: StoreFixtures.now) == nil, "nothing that old")
            let third = decisions[2]
            let checkpoint = try #require(
                try await store.prune(before: third.createdAt.addingTimeInterval(1), principal: "audit", now: StoreFixtures.now))
            #expect(checkpoint.throughSequence == 3 && checkpoint.throughHash == third.hash && checkpoint.pruned == 3)
            #expect(try await store.checkpoints().map(\.throughSequence) == [3], "the pruning is itself recorded")
            #expect(try await store.decisions(matching: DecisionFilter()).map(\.sequence) == [4, 5, 6])
            let afterPruning = try await store.verifyLog(since: nil, maximumProblems: 10)
            #expect(afterPruning.isIntact, "\(afterPruning.completeness) \(String(describing: afterPruning.chain))")

            let next = try await Self.gatedActivities(store, count: 1, from: 6)
            #expect(next.first?.sequence == 7 && next.first?.previousHash == decisions[5].hash)
            let goesOn = try await store.verifyLog(since: nil, maximumProblems: 10)
            #expect(goesOn.isIntact && goesOn.head?.sequence == 7, "\(goesOn.completeness) \(String(describing: goesOn.chain))")
        }
    }
}
