public import Foundation
import TollgateJSON
public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// The newest checkpoint, if the log was ever pruned.
    public func lastCheckpoint() throws -> DecisionCheckpoint? {
        try withConnection { db in
            try db.statement(
                "SELECT through_seq, through_hash, pruned, horizon, at, principal FROM decision_checkpoints ORDER BY id DESC LIMIT 1"
            ).first { row in
                DecisionCheckpoint(
                    throughSequence: row.int64(0), throughHash: row.string(1), pruned: Int(row.int64(2)),
                    horizon: StoreCoding.date(row.string(3)) ?? .distantPast, at: StoreCoding.date(row.string(4)) ?? .distantPast,
                    principal: row.optionalString(5))
            }
        }
    }

    /// Every checkpoint, oldest first: the record of every pruning.
    public func checkpoints() throws -> [DecisionCheckpoint] {
        try withConnection { db in
            try db.statement("SELECT through_seq, through_hash, pruned, horizon, at, principal FROM decision_checkpoints ORDER BY id").rows { row in
                DecisionCheckpoint(
                    throughSequence: row.int64(0), throughHash: row.string(1), pruned: Int(row.int64(2)),
                    horizon: StoreCoding.date(row.string(3)) ?? .distantPast, at: StoreCoding.date(row.string(4)) ?? .distantPast,
                    principal: row.optionalString(5))
            }
        }
    }

    /// Sets a legal hold: while any is set, nothing is pruned.
    public func setLegalHold(name: String, reason: String, principal: String?, at: Date = Date()) throws {
        try withConnection { db in
            try db.statement("INSERT INTO legal_holds (name, reason, set_at, principal) VALUES (?, ?, ?, ?)")
                .run([name, reason, Timestamp.formatMilliseconds(at), principal])
        }
    }

    /// Lifts a legal hold.
    public func releaseLegalHold(name: String) throws {
        try withConnection { db in try db.statement("DELETE FROM legal_holds WHERE name = ?").run([name]) }
    }

    /// The legal holds set now, by name with their reasons.
    public func legalHolds() throws -> [(name: String, reason: String)] {
        try withConnection { db in try db.statement("SELECT name, reason FROM legal_holds ORDER BY name").rows { ($0.string(0), $0.string(1)) } }
    }

    /// Removes the decisions made before `horizon`, in one transaction with the checkpoint that
    /// records it (the last pruned position and hash, so the rest still verifies), along with the
    /// status changes they gated and the input parts no remaining decision reaches. Refused while
    /// a legal hold is set. Nil when nothing is that old. `progress` counts the decisions removed.
    public func prune(before horizon: Date, principal: String?, now: Date = Date(), progress: WorkProgress? = nil) throws -> DecisionCheckpoint? {
        let holds = try legalHolds()
        guard holds.isEmpty else {
            throw RetentionError(
                "pruning is refused while legal holds are set: "
                    + holds.map { "\($0.name) (\($0.reason))" }.joined(separator: ", ") + "; release them first")
        }
        return try withConnection { db in
            try db.transaction { () throws -> DecisionCheckpoint? in
                guard
                    let (through, hash) = try db.statement(
                        "SELECT seq, hash FROM decisions WHERE created_at < ? ORDER BY seq DESC LIMIT 1"
                    ).first([Timestamp.formatMilliseconds(horizon)], { ($0.int64(0), $0.string(1)) })
                else { return nil }
                let first = try db.statement("SELECT MIN(seq) FROM decisions").first { $0.int64(0) } ?? through
                let checkpoint = DecisionCheckpoint(
                    throughSequence: through, throughHash: hash, pruned: Int(through - first + 1), horizon: horizon, at: now, principal: principal)
                try db.statement(
                    "INSERT INTO decision_checkpoints (through_seq, through_hash, pruned, horizon, at, principal) VALUES (?, ?, ?, ?, ?, ?)"
                ).run([
                    through, hash, checkpoint.pruned, Timestamp.formatMilliseconds(horizon), Timestamp.formatMilliseconds(now), principal,
                ])
                try db.statement("DELETE FROM transitions WHERE decision_seq <= ?").run([through])
                // In slices, so a long prune can say how far it got (one transaction all the same).
                progress?.addTotal(Int64(checkpoint.pruned))
                let slice = try db.statement("DELETE FROM decisions WHERE seq BETWEEN ? AND ?")
                var from = first
                while from <= through {
                    let to = min(through, from + 9_999)
                    try slice.run([from, to])
                    progress?.add(Int64(db.changes))
                    from = to + 1
                }
                try deleteUnreachableParts(db)
                return checkpoint
            }
        }
    }

    /// Deletes the decision-input parts no remaining decision reaches (marked in a temporary
    /// table, so a log of any size is swept in bounded memory).
    private func deleteUnreachableParts(_ db: SQLiteConnection) throws {
        try db.execute("CREATE TEMP TABLE IF NOT EXISTS reachable_parts (hash TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.reachable_parts")
        let mark = try db.statement("INSERT OR IGNORE INTO temp.reachable_parts (hash) VALUES (?)")
        let body = try db.statement("SELECT body FROM decision_parts WHERE hash = ?")
        func markReachable(from node: JSONValue) throws {
            var pending = DecisionInputParts.references(in: node)
            while let hash = pending.popLast() {
                try mark.run([hash])
                guard db.changes > 0, let text = try body.first([hash], { $0.string(0) }),
                    let part = try? JSONValue.parse(text, maxDepth: Self.nodeDepth)
                else { continue }
                pending += DecisionInputParts.references(in: part)
            }
        }
        var roots: [String] = []
        var after: Int64 = 0
        repeat {
            roots.removeAll(keepingCapacity: true)
            try db.statement("SELECT seq, input FROM decisions WHERE input_split = 1 AND seq > ? ORDER BY seq LIMIT 1000").forEachRow([after]) { row in
                after = row.int64(0)
                roots.append(row.string(1))
            }
            for root in roots { if let node = try? JSONValue.parse(root, maxDepth: Self.nodeDepth) { try markReachable(from: node) } }
        } while !roots.isEmpty
        try db.execute("DELETE FROM decision_parts WHERE hash NOT IN (SELECT hash FROM temp.reachable_parts); DELETE FROM temp.reachable_parts")
    }
}
