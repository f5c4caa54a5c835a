public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// Walks the whole decision log in sequence order: the sequence must be gapless from 1, each
    /// decision must follow the previous one's hash, and each stored hash must match its content.
    /// Returns the first problem, or nil when the log is intact.
    public func verifyDecisionChain() throws -> ChainProblem? {
        try withConnection { db in
            var canonical: [DecisionChain.Canonical] = []
            var hashes: [String] = []
            try db.statement("SELECT \(StoreCoding.decisionColumns) FROM decisions ORDER BY seq").forEachRow { row in
                canonical.append(StoreCoding.canonical(row))
                hashes.append(row.string(15))
            }
            return DecisionChain.firstProblem(in: canonical, storedHashes: hashes)
        }
    }

    /// Number of decisions in the log.
    public func decisionCount() throws -> Int {
        try withConnection { db in Int(try db.statement("SELECT COUNT(*) FROM decisions").first { $0.int64(0) } ?? 0) }
    }

    /// Gated status changes without a decision, and decisions whose gated change was not recorded.
    public func unmatchedGatedChanges() throws -> Int {
        try withConnection { db in
            Int(
                try db.statement(
                    """
                    SELECT COUNT(*) FROM decisions d
                    WHERE d.gated_change NOT LIKE '%stays PLANNED%'
                      AND NOT EXISTS (SELECT 1 FROM transitions t WHERE t.decision_seq = d.seq)
                    """
                ).first { $0.int64(0) } ?? 0)
        }
    }
}
