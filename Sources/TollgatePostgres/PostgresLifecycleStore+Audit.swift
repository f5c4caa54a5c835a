public import Foundation
import PostgresNIO
import TollgateJSON
public import TollgateLifecycle

extension PostgresLifecycleStore {
    public func decisions(matching filter: DecisionFilter) async throws -> [DecisionRecord] {
        try await records(try await stored(filter.query(columns: StoredRows.decisionColumns)))
    }

    public func decision(sequence: Int64) async throws -> DecisionRecord? {
        try await records(try await stored("SELECT \(unescaped: StoredRows.decisionColumns) FROM decisions WHERE seq = \(sequence)")).first
    }

    public func decisions(taskId: Int64) async throws -> [DecisionRecord] {
        try await records(
            try await stored("SELECT \(unescaped: StoredRows.decisionColumns) FROM decisions WHERE task_id = \(taskId) ORDER BY seq"))
    }

    public func storedDecisions(matching filter: DecisionFilter) async throws -> [StoredDecision] {
        let rows = try await stored(filter.query(columns: StoredRows.decisionColumns))
        let parts = try await parts(under: rows.filter(\.0.inputIsSplit).map(\.0.input))
        return try rows.map { canonical, hash in
            StoredDecision(record: canonical, hash: hash, input: try Self.input(canonical, parts: parts).serialized())
        }
    }

    public func chainHead() async throws -> (sequence: Int64, hash: String)? {
        for try await (sequence, hash) in try await client.query("SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1", logger: logger)
            .decode((Int64, String).self)
        {
            return (sequence, hash)
        }
        return nil
    }

    public func decisionHeadSequence() async throws -> Int64 {
        try await chainHead()?.sequence ?? 0
    }

    public func policySources(revisions: Set<String>) async throws -> [PolicySourceRecord] {
        var found: [PolicySourceRecord] = []
        let wanted = Array(revisions)
        for try await (revision, name, file, source) in try await client.query(
            "SELECT revision, name, file, source FROM policy_sources WHERE revision = ANY(\(wanted)) ORDER BY revision", logger: logger
        ).decode((String, String, String, String).self) {
            found.append(PolicySourceRecord(revision: revision, name: name, file: file, source: source))
        }
        return found
    }

    public func history(taskId: Int64) async throws -> [ExecutionEvent] {
        try await rows("SELECT task_id, at, kind, message, data FROM execution_history WHERE task_id = \(taskId) ORDER BY id", table: "execution_history") {
            ExecutionEvent(taskId: try $0.int64("task_id"), at: try $0.time("at"), kind: try $0.text("kind"), message: try $0.text("message"), data: try $0.json("data"))
        }
    }

    public func historyCount(kind: String) async throws -> Int {
        for try await count in try await client.query("SELECT count(*) FROM execution_history WHERE kind = \(kind)", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }

    public func decisionDigests(since: Date, limit: Int) async throws -> [DecisionDigest] {
        var digests: [DecisionDigest] = []
        let query: PostgresQuery =
            "SELECT created_at, verdict, outcomes FROM decisions WHERE created_at >= \(Timestamp.formatMilliseconds(since)) ORDER BY seq DESC LIMIT \(limit)"
        for try await (created, verdict, outcomes) in try await client.query(query, logger: logger).decode((String, String, String).self) {
            if let digest = DecisionDigest(createdAt: created, verdict: verdict, outcomes: outcomes) { digests.append(digest) }
        }
        return digests
    }

    public func taskCounts() async throws -> [TaskStatus: Int] {
        var counts: [TaskStatus: Int] = [:]
        for try await (status, count) in try await client.query("SELECT status, count(*) FROM tasks GROUP BY status", logger: logger)
            .decode((String, Int).self)
        {
            if let status = TaskStatus(rawValue: status) { counts[status, default: 0] += count }
        }
        return counts
    }

    public func recentActivities(limit: Int) async throws -> [Activity] {
        try await rows(
            "SELECT \(unescaped: StoredRows.activityColumns) FROM activities ORDER BY id DESC LIMIT \(limit)", table: "activities", StoredRows.activity)
    }

    public func allTasks() async throws -> [LifecycleTask] {
        try await rows("SELECT \(unescaped: StoredRows.taskColumns) FROM tasks ORDER BY id", table: "tasks", StoredRows.task)
    }

    public func allStageRecords() async throws -> [StageRecord] {
        try await rows("SELECT \(unescaped: StoredRows.stageColumns) FROM lifecycles ORDER BY id", table: "lifecycles", StoredRows.stageRecord)
    }

    // MARK: Reading decisions

    /// The stored texts and hashes a query selects.
    func stored(_ query: PostgresQuery) async throws -> [(DecisionChain.Canonical, hash: String)] {
        try await rows(query, table: "decisions", StoredRows.canonical)
    }

    /// Decisions from their stored texts, split inputs read back from their parts.
    func records(_ stored: [(DecisionChain.Canonical, hash: String)]) async throws -> [DecisionRecord] {
        let parts = try await parts(under: stored.filter(\.0.inputIsSplit).map(\.0.input))
        return try stored.map { canonical, hash in try canonical.record(hash: hash, input: try Self.input(canonical, parts: parts)) }
    }

    /// A decision's input, whole: parsed, or read back from `parts` when it was split.
    static func input(_ canonical: DecisionChain.Canonical, parts: [String: JSONValue]) throws -> JSONValue {
        let stored = try JSONValue.parse(canonical.input, maxDepth: nodeDepth)
        guard canonical.inputIsSplit else { return stored }
        return try DecisionInputParts.decode(stored) { hash in
            guard let node = parts[hash] else { throw DecisionInputParts.MalformedNode(description: "the decision input part \(hash) is missing") }
            return node
        }
    }
}

extension DecisionFilter {
    /// The query selecting what this filter selects, in log order. A policy's conditions (its
    /// name, revision, outcome) all hold on one element of the stored outcomes.
    func query(columns: String) -> PostgresQuery {
        var query = PostgresQuery(unsafeSQL: "SELECT \(columns) FROM decisions WHERE TRUE")
        var binds = PostgresBindings()
        var sql = query.sql
        func condition(_ text: String, _ values: [String?]) {
            var text = text
            for value in values {
                binds.append(value)
                text = text.replacingOccurrences(of: "?", with: "$\(binds.count)", options: [], range: text.range(of: "?"))
            }
            sql += " AND " + text
        }
        func equal(_ column: String, _ value: String?) { if let value { condition("\(column) = ?", [value]) } }
        equal("data_product_id", dataProductId)
        equal("data_product_version", dataProductVersion)
        equal("stage", stage)
        equal("phase", phase)
        equal("principal", principal)
        if let activityId { condition("activity_id = ?::BIGINT", [String(activityId)]) }
        if let taskId { condition("task_id = ?::BIGINT", [String(taskId)]) }
        if let from { condition("created_at >= ?", [Timestamp.formatMilliseconds(from)]) }
        if let to { condition("created_at < ?", [Timestamp.formatMilliseconds(to)]) }
        if let after { condition("seq > ?::BIGINT", [String(after)]) }
        var element: [(String, String)] = []
        if let policy { element.append(("o->>'policy' = ?", policy)) }
        if let outcome {
            if DecisionFilter.verdicts.contains(outcome) && policy == nil {
                condition("verdict = ?", [outcome])
            } else if outcome == "warn" || outcome == "block" {
                element.append(("o->>'effect' = ?", outcome))
            } else {
                element.append(("o->>'outcome' = ?", outcome))
            }
        }
        if let revision {
            if element.isEmpty {
                condition(
                    "(policy_set_revision = ? OR EXISTS (SELECT 1 FROM jsonb_array_elements(outcomes::jsonb) AS o WHERE o->>'revision' = ?))",
                    [revision, revision])
            } else {
                element.append(("o->>'revision' = ?", revision))
            }
        }
        if !element.isEmpty {
            condition(
                "EXISTS (SELECT 1 FROM jsonb_array_elements(outcomes::jsonb) AS o WHERE \(element.map(\.0).joined(separator: " AND ")))",
                element.map(\.1))
        }
        sql += " ORDER BY seq"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return query
    }
}
