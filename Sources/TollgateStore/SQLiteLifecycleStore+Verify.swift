public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// Walks the whole decision log in sequence order: the sequence must be gapless from 1, each
    /// decision must follow the previous one's hash, and each stored hash must match its content.
    /// Returns the first problem, or nil when the log is intact.
    /// A log whose oldest decisions were pruned starts after its last checkpoint, which must hold
    /// the pruned prefix's last position and hash.
    public func verifyDecisionChain() throws -> ChainProblem? {
        let checkpoint = try lastCheckpoint()
        return try withConnection { db in
            var walker = DecisionChain.Walker(after: checkpoint.map { ($0.throughSequence, $0.throughHash) })
            var problem: ChainProblem?
            try db.statement("SELECT \(StoreCoding.decisionColumns) FROM decisions ORDER BY seq").forEachRow { row in
                guard problem == nil else { return }
                problem = walker.check(StoreCoding.canonical(row), storedHash: row.string(15))
            }
            return problem
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

extension SQLiteLifecycleStore {
    /// The decision log checked end to end: the hash chain, the gapless sequence, and completeness
    /// (every decision belongs to a recorded state change, every gated change has its decision).
    public func verifyLog(maximumProblems: Int = 10) throws -> LogVerification {
        let chain = try verifyDecisionChain()
        let head = try chainHead()
        let count = try decisionCount()
        let completeness: [String] = try withConnection { db in
            var problems: [String] = []
            try db.statement(
                """
                SELECT d.seq, d.gated_change FROM decisions d
                WHERE d.gated_change NOT LIKE '%stays PLANNED%'
                  AND NOT EXISTS (SELECT 1 FROM transitions t WHERE t.decision_seq = d.seq)
                ORDER BY d.seq LIMIT ?
                """
            ).forEachRow([maximumProblems]) { row in
                problems.append("decision \(row.int64(0)) gated '\(row.string(1))', but no such change was recorded")
            }
            try db.statement(
                """
                SELECT t.entity, t.entity_id, t.from_status, t.to_status, t.decision_seq FROM transitions t
                WHERE t.decision_seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.seq = t.decision_seq)
                ORDER BY t.id LIMIT ?
                """
            ).forEachRow([maximumProblems]) { row in
                problems.append(
                    "\(row.string(0)) \(row.int64(1)): \(row.optionalString(2) ?? "-") -> \(row.string(3)) was gated by decision \(row.int64(4)), which is missing")
            }
            try db.statement(
                """
                SELECT t.entity, t.entity_id, t.from_status, t.to_status FROM transitions t
                WHERE t.decision_seq IS NULL AND (
                    (t.entity = 'activity' AND t.from_status = 'PLANNED' AND t.to_status = 'PROCESSING')
                    OR (t.entity = 'activity' AND t.from_status = 'PROCESSING' AND t.to_status = 'PROCESSED'))
                ORDER BY t.id LIMIT ?
                """
            ).forEachRow([maximumProblems]) { row in
                problems.append(
                    "\(row.string(0)) \(row.int64(1)): \(row.optionalString(2) ?? "-") -> \(row.string(3)) passes a gate, but has no decision")
            }
            return problems
        }
        return LogVerification(decisions: count, head: head, chain: chain, completeness: completeness)
    }
}
