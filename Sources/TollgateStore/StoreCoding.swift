import Foundation
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite

/// Column encodings shared by the store's reads and writes.
enum StoreCoding {
    static func time(_ date: Date?) -> String? { date.map(Timestamp.formatMilliseconds) }

    static func date(_ text: String?) -> Date? { text.flatMap(Timestamp.parse) }

    static func json(_ value: JSONValue?) -> String? { value.map { $0.serialized() } }

    /// Reads a stored JSON column. Everything stored was written by Tollgate's serializer, so the
    /// nesting limit is far above anything a request may bring (the parser needs no stack for it).
    static func json(_ text: String?) -> JSONValue? {
        guard let text, !text.isEmpty else { return nil }
        return try? JSONValue.parse(text, maxDepth: readDepth)
    }

    static let readDepth = 4096

    static let activityColumns =
        "id, data_product_id, data_product_version, stage, status, results, errors, created_at, started_at, finished_at, principal"

    /// The columns ``activity(_:)`` reads: the written ones and the row version.
    static let activitySelection = activityColumns + ", row_version"

    static func activity(_ row: SQLiteRow) -> Activity {
        Activity(
            id: row.int64(0), dataProductId: row.string(1), dataProductVersion: row.string(2), stage: row.string(3),
            status: ActivityStatus(rawValue: row.string(4)) ?? .failed, results: json(row.optionalString(5)),
            errors: row.optionalString(6), createdAt: date(row.string(7)) ?? .distantPast, startedAt: date(row.optionalString(8)),
            finishedAt: date(row.optionalString(9)), principal: row.optionalString(10), version: row.int64(11))
    }

    static let taskColumns = """
        id, activity_id, position, key, name, executor, template, configurations, dispatched_configurations, status,
        results, errors, created_at, started_at, finished_at, timeout_seconds, executor_ref
        """

    static func task(_ row: SQLiteRow) -> LifecycleTask {
        LifecycleTask(
            id: row.int64(0), activityId: row.int64(1), position: Int(row.int64(2)), key: row.string(3),
            name: row.optionalString(4), executor: row.optionalString(5), template: json(row.optionalString(6)),
            configurations: json(row.optionalString(7)), dispatchedConfigurations: json(row.optionalString(8)),
            status: TaskStatus(rawValue: row.string(9)) ?? .failed, results: json(row.optionalString(10)),
            errors: row.optionalString(11), createdAt: date(row.string(12)) ?? .distantPast,
            startedAt: date(row.optionalString(13)), finishedAt: date(row.optionalString(14)),
            timeoutSeconds: row.optionalInt64(15).map(Int.init), executorReference: row.optionalString(16))
    }

    static let stageColumns = "id, data_product_id, data_product_version, stage, activity_id, results, started_at, finished_at"

    static func stageRecord(_ row: SQLiteRow) -> StageRecord {
        StageRecord(
            id: row.int64(0), dataProductId: row.string(1), dataProductVersion: row.string(2), stage: row.string(3),
            activityId: row.int64(4), results: json(row.optionalString(5)), startedAt: date(row.string(6)) ?? .distantPast,
            finishedAt: date(row.optionalString(7)))
    }

    static let outboxColumns = "id, kind, task_id, payload, created_at, attempts, done_at, last_error, next_attempt_at"

    static func outbox(_ row: SQLiteRow) -> OutboxIntent {
        OutboxIntent(
            id: row.int64(0), kind: OutboxIntent.Kind(rawValue: row.string(1)) ?? .notify, taskId: row.optionalInt64(2),
            payload: json(row.string(3)) ?? .null, createdAt: date(row.string(4)) ?? .distantPast,
            attempts: Int(row.int64(5)), doneAt: date(row.optionalString(6)), lastError: row.optionalString(7),
            nextAttemptAt: date(row.optionalString(8)))
    }

    static let decisionColumns = """
        seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id, principal,
        policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split
        """

    /// The stored text of a decision, exactly as hashed.
    static func canonical(_ row: SQLiteRow) -> DecisionChain.Canonical {
        DecisionChain.Canonical(
            sequence: row.int64(0), phase: row.string(1), verdict: row.string(2), dataProductId: row.string(3),
            dataProductVersion: row.string(4), stage: row.string(5), activityId: row.int64(6), taskId: row.optionalInt64(7),
            principal: row.optionalString(8), policySetRevision: row.string(9), gatedChange: row.string(10),
            createdAt: row.string(11), input: row.string(12), inputIsSplit: row.int64(16) != 0, outcomes: row.string(13),
            previousHash: row.string(14))
    }

    /// A decision as stored; a split input (`input_split`) is left as `.null` for the caller to
    /// read from its parts.
    static func decision(_ row: SQLiteRow) -> DecisionRecord {
        let stored: [JSONValue] = json(row.string(13))?.arrayValue ?? []
        let outcomes = stored.map(outcome)
        return DecisionRecord(
            sequence: row.int64(0), phase: GatePhase(rawValue: row.string(1)) ?? .stageTransition,
            verdict: GateVerdict(rawValue: row.string(2)) ?? .block, dataProductId: row.string(3),
            dataProductVersion: row.string(4), stage: row.string(5), activityId: row.int64(6), taskId: row.optionalInt64(7),
            principal: row.optionalString(8), policySetRevision: row.string(9), input: row.int64(16) != 0 ? .null : json(row.string(12)) ?? .null,
            outcomes: outcomes, gatedChange: row.string(10), createdAt: date(row.string(11)) ?? .distantPast,
            previousHash: row.string(14), hash: row.string(15))
    }

    static func outcome(_ o: JSONValue) -> GatePolicyOutcome { GatePolicyOutcome(stored: o) }
}
