import Dispatch
import Foundation
import Synchronization
public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// Walks the whole decision log in sequence order: the sequence must be gapless from 1, each
    /// decision must follow the previous one's hash, and each stored hash must match its content.
    /// Returns the first problem, or nil when the log is intact.
    /// A log whose oldest decisions were pruned starts after its last checkpoint, which must hold
    /// the pruned prefix's last position and hash.
    ///
    /// Large logs are checked in parallel: each core hashes a contiguous range on its own read-only
    /// connection, then the ranges' boundaries are linked in order, so the answer is the same
    /// first problem a single walk would find.
    /// - Parameter parallelAbove: logs longer than this are split across cores.
    /// - Parameter after: a position already verified: only the decisions after it are checked,
    ///   starting from its hash.
    public func verifyDecisionChain(
        after: VerifiedPosition? = nil, parallelAbove: Int64 = 50_000, progress: WorkProgress? = nil
    ) throws -> ChainProblem? {
        let checkpoint = after == nil ? try lastCheckpoint() : nil
        let (bounds, lastPart) = try withReader { db in
            let bounds = try db.statement("SELECT MIN(seq), MAX(seq) FROM decisions WHERE seq > ?").first([after?.sequence ?? 0]) {
                row -> (Int64, Int64)? in
                guard let low = row.optionalInt64(0), let high = row.optionalInt64(1) else { return nil }
                return (low, high)
            } ?? nil
            return (bounds, try db.statement(Self.lastPartQuery).first { $0.int64(0) } ?? 0)
        }
        guard let (low, high) = bounds else { return nil }
        progress?.addTotal(high - low + 1)
        if let problem = try chainProblem(low: low, high: high, after: after, checkpoint: checkpoint, parallelAbove: parallelAbove, progress: progress) {
            return problem
        }
        let firstPart = (after?.partId ?? 0) + 1
        return try inputPartsProblem(parts: firstPart...max(firstPart, lastPart), afterSequence: after?.sequence ?? 0)
    }

    /// The newest decision-input part's id.
    static let lastPartQuery = "SELECT COALESCE(MAX(id), 0) FROM decision_parts"

    private func chainProblem(
        low: Int64, high: Int64, after: VerifiedPosition?, checkpoint: DecisionCheckpoint?, parallelAbove: Int64, progress: WorkProgress?
    ) throws -> ChainProblem? {
        let workers = high - low >= parallelAbove ? max(2, min(ProcessInfo.processInfo.activeProcessorCount, 8)) : 1
        let width = (high - low + 1 + Int64(workers) - 1) / Int64(workers)
        let results = Mutex<[Int: Result<ChainRange, any Error>]>([:])
        let path = self.path
        DispatchQueue.concurrentPerform(iterations: workers) { index in
            let from = low + Int64(index) * width
            let to = min(high, from + width - 1)
            let outcome = Result { try Self.verifyRange(path: path, from: from, to: to, progress: progress) }
            results.withLock { $0[index] = outcome }
        }
        var expected = after.map { (sequence: $0.sequence, hash: $0.hash) }
            ?? (sequence: checkpoint?.throughSequence ?? 0, hash: checkpoint?.throughHash ?? "")
        for index in 0..<workers {
            guard let range = try results.withLock({ $0[index] })?.get(), let first = range.first else { continue }
            if first.sequence != expected.sequence + 1 {
                return ChainProblem(
                    sequence: first.sequence,
                    message: first.sequence > expected.sequence + 1
                        ? "decision \(expected.sequence + 1) is missing (the next stored is \(first.sequence))"
                        : "decision \(first.sequence) is out of order (expected \(expected.sequence + 1))")
            }
            if first.previousHash != expected.hash {
                return ChainProblem(sequence: first.sequence, message: "decision \(first.sequence) does not follow the hash of decision \(first.sequence - 1)")
            }
            if let problem = range.problem { return problem }
            if let last = range.last { expected = last }
        }
        return nil
    }

    /// What one range of the log holds at its ends, and its first inner problem.
    struct ChainRange: Sendable {
        var first: (sequence: Int64, previousHash: String)?
        var last: (sequence: Int64, hash: String)?
        var problem: ChainProblem?
    }

    static func verifyRange(path: String, from: Int64, to: Int64, progress: WorkProgress? = nil) throws -> ChainRange {
        let db = try SQLiteConnection(path: path, options: .init(readOnly: true))
        var range = ChainRange()
        var walker: DecisionChain.Walker?
        var unreported: Int64 = 0
        defer { progress?.add(unreported) }
        try db.statement("SELECT \(StoreCoding.decisionColumns) FROM decisions WHERE seq BETWEEN ? AND ? ORDER BY seq").forEachRow([from, to]) { row in
            guard range.problem == nil else { return }
            let canonical = StoreCoding.canonical(row)
            let stored = row.string(15)
            if walker == nil {
                range.first = (canonical.sequence, canonical.previousHash)
                walker = DecisionChain.Walker(after: (canonical.sequence - 1, canonical.previousHash))
            }
            range.problem = walker?.check(canonical, storedHash: stored)
            range.last = (canonical.sequence, stored)
            unreported += 1
            if unreported == 1_024 {
                progress?.add(unreported)
                unreported = 0
            }
        }
        return range
    }

    /// The sequence of the newest decision (0 for an empty log), read on a connection of its own.
    public func decisionHeadSequence() throws -> Int64 {
        try withReader { db in try db.statement("SELECT COALESCE(MAX(seq), 0) FROM decisions").first { $0.int64(0) } ?? 0 }
    }

    /// Number of decisions in the log.
    public func decisionCount() throws -> Int {
        try withConnection { db in Int(try db.statement("SELECT COUNT(*) FROM decisions").first { $0.int64(0) } ?? 0) }
    }

}

extension SQLiteLifecycleStore {
    /// The decision log checked end to end: the hash chain, the gapless sequence, and completeness
    /// (every decision belongs to a recorded state change, every gated change has its decision).
    ///
    /// Verification reads on connections of its own (WAL readers), never holding the store's
    /// writer, so the service goes on committing while a long log is checked.
    /// - Parameter since: a position an earlier verification reached: only what was added after
    ///   it is checked (decisions after its sequence, state changes after its transition).
    /// - Parameter progress: counts the decisions whose hashes were checked, when given.
    public func verifyLog(since: VerifiedPosition? = nil, maximumProblems: Int = 10, progress: WorkProgress? = nil) throws -> LogVerification {
        // Where the log is now: what this verification covers, and where the next one starts.
        let (head, lastTransition, lastPart) = try withReader { db in
            let head = try db.statement(Self.chainHeadQuery).first { (sequence: $0.int64(0), hash: $0.string(1)) }
            let transition = try db.statement("SELECT COALESCE(MAX(id), 0) FROM transitions").first { $0.int64(0) } ?? 0
            return (head, transition, try db.statement(Self.lastPartQuery).first { $0.int64(0) } ?? 0)
        }
        let chain = try verifyDecisionChain(after: since, progress: progress)
        let afterSequence = since?.sequence ?? 0, afterTransition = since?.transitionId ?? 0
        let throughSequence = head?.sequence ?? afterSequence
        let (count, completeness): (Int, [String]) = try withReader { db in
            let count = Int(
                try db.statement("SELECT COUNT(*) FROM decisions WHERE seq > ? AND seq <= ?").first([afterSequence, throughSequence]) {
                    $0.int64(0)
                } ?? 0)
            var problems: [String] = []
            try db.statement(
                """
                SELECT d.seq, d.gated_change FROM decisions d
                WHERE d.seq > ? AND d.seq <= ? AND d.gated_change NOT LIKE '%stays PLANNED%'
                  AND NOT EXISTS (SELECT 1 FROM transitions t WHERE t.decision_seq = d.seq)
                ORDER BY d.seq LIMIT ?
                """
            ).forEachRow([afterSequence, throughSequence, maximumProblems]) { row in
                problems.append("decision \(row.int64(0)) gated '\(row.string(1))', but no such change was recorded")
            }
            try db.statement(
                """
                SELECT t.entity, t.entity_id, t.from_status, t.to_status, t.decision_seq FROM transitions t
                WHERE t.id > ? AND t.id <= ? AND t.decision_seq IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.seq = t.decision_seq)
                ORDER BY t.id LIMIT ?
                """
            ).forEachRow([afterTransition, lastTransition, maximumProblems]) { row in
                problems.append(
                    "\(row.string(0)) \(row.int64(1)): \(row.optionalString(2) ?? "-") -> \(row.string(3)) was gated by decision \(row.int64(4)), which is missing")
            }
            try db.statement(
                """
                SELECT t.entity, t.entity_id, t.from_status, t.to_status FROM transitions t
                WHERE t.id > ? AND t.id <= ? AND t.decision_seq IS NULL AND (
                    (t.entity = 'activity' AND t.from_status = 'PLANNED' AND t.to_status = 'PROCESSING')
                    OR (t.entity = 'activity' AND t.from_status = 'PROCESSING' AND t.to_status = 'PROCESSED'))
                ORDER BY t.id LIMIT ?
                """
            ).forEachRow([afterTransition, lastTransition, maximumProblems]) { row in
                problems.append(
                    "\(row.string(0)) \(row.int64(1)): \(row.optionalString(2) ?? "-") -> \(row.string(3)) passes a gate, but has no decision")
            }
            return (count, problems)
        }
        let position = head.map { VerifiedPosition(sequence: $0.sequence, hash: $0.hash, transitionId: lastTransition, partId: lastPart) } ?? since
        return LogVerification(decisions: count, head: head, chain: chain, completeness: completeness, position: position)
    }

    /// Runs `body` on a read-only connection of its own (a WAL reader: it sees the last commit and
    /// never waits for, nor holds up, the writer).
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try body(try SQLiteConnection(path: path, options: .init(readOnly: true)))
    }
}
