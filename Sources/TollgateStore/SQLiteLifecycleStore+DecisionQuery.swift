import Foundation
public import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// The decisions `filter` selects, in log order.
    public func decisions(matching filter: DecisionFilter) throws -> [DecisionRecord] {
        let (clause, binds) = Self.whereClause(filter)
        var sql = "SELECT \(StoreCoding.decisionColumns) FROM decisions \(clause) ORDER BY seq"
        if let limit = filter.limit { sql += " LIMIT \(max(0, limit))" }
        return try withConnection { db in try db.statement(sql).rows(binds) { try decision($0, db) } }
    }

    /// One decision by its sequence number.
    public func decision(sequence: Int64) throws -> DecisionRecord? {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.decisionColumns) FROM decisions WHERE seq = ?").first([sequence]) { try decision($0, db) }
        }
    }

    /// The last decision's position and hash: what an export or a verification covers.
    public func chainHead() throws -> (sequence: Int64, hash: String)? {
        try withConnection { db in try db.statement(Self.chainHeadQuery).first { ($0.int64(0), $0.string(1)) } }
    }

    /// The newest decision's sequence and hash.
    static let chainHeadQuery = "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1"

    static func whereClause(_ f: DecisionFilter) -> (String, [any SQLiteBindable]) {
        var conditions: [String] = []
        var binds: [any SQLiteBindable] = []
        func equal<Value: SQLiteBindable>(_ column: String, _ value: Value?) {
            guard let value else { return }
            conditions.append("\(column) = ?")
            binds.append(value)
        }
        equal("data_product_id", f.dataProductId)
        equal("data_product_version", f.dataProductVersion)
        equal("stage", f.stage)
        equal("activity_id", f.activityId)
        equal("task_id", f.taskId)
        equal("phase", f.phase)
        equal("principal", f.principal)
        if let from = f.from {
            conditions.append("created_at >= ?")
            binds.append(Timestamp.formatMilliseconds(from))
        }
        if let to = f.to {
            conditions.append("created_at < ?")
            binds.append(Timestamp.formatMilliseconds(to))
        }
        if let after = f.after {
            conditions.append("seq > ?")
            binds.append(after)
        }
        // Conditions on one policy outcome: its name, revision, outcome, all on the same element.
        var element: [String] = []
        var elementBinds: [any SQLiteBindable] = []
        if let policy = f.policy {
            element.append("json_extract(o.value, '$.policy') = ?")
            elementBinds.append(policy)
        }
        if let outcome = f.outcome {
            if DecisionFilter.verdicts.contains(outcome) && f.policy == nil {
                conditions.append("verdict = ?")
                binds.append(outcome)
            } else if outcome == "warn" || outcome == "block" {
                element.append("json_extract(o.value, '$.effect') = ?")
                elementBinds.append(outcome)
            } else {
                element.append("json_extract(o.value, '$.outcome') = ?")
                elementBinds.append(outcome)
            }
        }
        if let revision = f.revision {
            if element.isEmpty {
                conditions.append(
                    "(policy_set_revision = ? OR EXISTS (SELECT 1 FROM json_each(decisions.outcomes) AS o WHERE json_extract(o.value, '$.revision') = ?))")
                binds += [revision, revision]
            } else {
                element.append("json_extract(o.value, '$.revision') = ?")
                elementBinds.append(revision)
            }
        }
        if !element.isEmpty {
            conditions.append("EXISTS (SELECT 1 FROM json_each(decisions.outcomes) AS o WHERE \(element.joined(separator: " AND ")))")
            binds += elementBinds
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), binds)
    }
}

extension SQLiteLifecycleStore {
    /// The policy sources recorded under these revisions (the exact text that was evaluated).
    public func policySources(revisions: Set<String>) throws -> [PolicySourceRecord] {
        try withConnection { db in
            let statement = try db.statement("SELECT revision, name, file, source FROM policy_sources WHERE revision = ?")
            var found: [PolicySourceRecord] = []
            for revision in revisions.sorted() {
                if let record = try statement.first([revision], { PolicySourceRecord(revision: $0.string(0), name: $0.string(1), file: $0.string(2), source: $0.string(3)) }) {
                    found.append(record)
                }
            }
            return found
        }
    }
}

extension SQLiteLifecycleStore {
    /// The decisions `filter` selects as stored: their exact text and hash, and their input's
    /// JSON text (read back from its parts when it was split), without decoding the input and
    /// outcomes (for exports).
    public func storedDecisions(matching filter: DecisionFilter) throws -> [StoredDecision] {
        let (clause, binds) = Self.whereClause(filter)
        var sql = "SELECT \(StoreCoding.decisionColumns) FROM decisions \(clause) ORDER BY seq"
        if let limit = filter.limit { sql += " LIMIT \(max(0, limit))" }
        return try withConnection { db in
            try db.statement(sql).rows(binds) { row in
                let canonical = StoreCoding.canonical(row)
                return StoredDecision(record: canonical, hash: row.string(15), input: try inputText(canonical, db))
            }
        }
    }
}

