import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite
import TollgateStore
import TollgateTestSupport

/// Pruning old decisions: a checkpoint keeps the rest verifiable, legal holds stop it.
@Suite("Retention")
struct RetentionTests {
    @Test func pruningLeavesAVerifiableChainThatGoesOn() async throws {
        let directory = try TemporaryDirectory()
        let (f, store) = try await SQLiteStoreTests().walk(directory.url("tollgate.db"))
        #expect(try store.decisionCount() == 5)
        let fifth = try #require(try await store.decision(sequence: 5))

        try store.setLegalHold(name: "case-42", reason: "litigation", principal: "audit")
        #expect {
            try store.prune(before: Date().addingTimeInterval(60), principal: "audit")
        } throws: { error in
            error is RetentionError && "\(error)".contains("case-42 (litigation)")
        }
        #expect(try store.decisionCount() == 5, "nothing pruned under a hold")
        let db = try SQLiteConnection(path: directory.url("tollgate.db"))
        #expect(throws: SQLiteError.self) { try db.execute("DELETE FROM decisions WHERE seq = 1") }

        try await store.releaseLegalHold(name: "case-42")
        #expect(try store.prune(before: Date.distantPast, principal: "audit") == nil, "nothing that old")
        let checkpoint = try #require(try store.prune(before: fifth.createdAt.addingTimeInterval(0.001), principal: "audit"))
        #expect(checkpoint.throughSequence == 5)
        #expect(checkpoint.throughHash == fifth.hash)
        #expect(checkpoint.pruned == 5)
        #expect(try store.decisionCount() == 0)
        #expect(try await store.checkpoints().count == 1, "the pruning is itself recorded")
        #expect(throws: SQLiteError.self) { try db.execute("DELETE FROM decision_checkpoints") }
        let afterPruning = try store.verifyLog()
        #expect(afterPruning.isIntact, "\(afterPruning.completeness) \(String(describing: afterPruning.chain))")

        // The log goes on from the checkpoint.
        try await f.report(f.executor.requests[2].taskId, results: ["tested": true])
        #expect(try await store.decision(sequence: 6)?.previousHash == fifth.hash)
        let report = try store.verifyLog()
        #expect(report.isIntact, "\(report.completeness) \(String(describing: report.chain))")
        #expect(report.head?.sequence == 7)

        // A decision after the checkpoint cannot be deleted; one altered shows.
        #expect(throws: SQLiteError.self) { try db.execute("DELETE FROM decisions WHERE seq = 6") }
        try db.execute("PRAGMA foreign_keys = OFF; DROP TRIGGER decisions_are_append_only_delete; DELETE FROM decisions WHERE seq = 6")
        #expect(try store.verifyDecisionChain()?.sequence == 7)
    }
}
