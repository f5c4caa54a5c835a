import Foundation
import PostgresNIO
import TollgateJSON
import TollgateLifecycle

/// One row read by column name. A value Tollgate does not write (an unknown status, an unreadable
/// time) is an error naming the column, never a default.
struct StoredRow {
    let row: PostgresRandomAccessRow
    let table: String

    init(_ row: PostgresRow, table: String) {
        self.row = row.makeRandomAccess()
        self.table = table
    }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    func text(_ column: String) throws -> String { try row[column].decode(String.self) }
    func optionalText(_ column: String) throws -> String? { try row[column].decode(String?.self) }
    func int64(_ column: String) throws -> Int64 { try row[column].decode(Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try row[column].decode(Int64?.self) }
    func int(_ column: String) throws -> Int { try row[column].decode(Int.self) }
    func optionalInt(_ column: String) throws -> Int? { try row[column].decode(Int?.self) }
    func bool(_ column: String) throws -> Bool { try row[column].decode(Bool.self) }

    func time(_ column: String) throws -> Date {
        let text = try text(column)
        guard let date = Timestamp.parse(text) else { throw Unreadable(description: "\(table).\(column): unreadable time '\(text)'") }
        return date
    }

    func optionalTime(_ column: String) throws -> Date? {
        guard try optionalText(column) != nil else { return nil }
        return try time(column)
    }

    /// A stored JSON text (written by Tollgate's serializer, so nested far deeper than requests may be).
    func json(_ column: String) throws -> JSONValue? {
        guard let text = try optionalText(column), !text.isEmpty else { return nil }
        do {
            return try JSONValue.parse(text, maxDepth: 4096)
        } catch {
            throw Unreadable(description: "\(table).\(column): not JSON (\(error))")
        }
    }

    func value<T: RawRepresentable>(_ column: String, as: T.Type) throws -> T where T.RawValue == String {
        let text = try text(column)
        guard let value = T(rawValue: text) else { throw Unreadable(description: "\(table).\(column): unknown value '\(text)'") }
        return value
    }
}

/// The rows of the lifecycle's tables, read by column name.
enum StoredRows {
    static let activityColumns =
        "id, data_product_id, data_product_version, stage, status, results, errors, created_at, started_at, finished_at, principal, row_version"

    static func activity(_ r: StoredRow) throws -> Activity {
        Activity(
            id: try r.int64("id"), dataProductId: try r.text("data_product_id"), dataProductVersion: try r.text("data_product_version"),
            stage: try r.text("stage"), status: try r.value("status", as: ActivityStatus.self), results: try r.json("results"),
            errors: try r.optionalText("errors"), createdAt: try r.time("created_at"), startedAt: try r.optionalTime("started_at"),
            finishedAt: try r.optionalTime("finished_at"), principal: try r.optionalText("principal"), version: try r.int64("row_version"))
    }

    static let taskColumns = """
        id, activity_id, position, key, name, executor, template, configurations, dispatched_configurations, status,
        results, errors, created_at, started_at, finished_at, timeout_seconds, executor_ref
        """

    static func task(_ r: StoredRow) throws -> LifecycleTask {
        LifecycleTask(
            id: try r.int64("id"), activityId: try r.int64("activity_id"), position: try r.int("position"), key: try r.text("key"),
            name: try r.optionalText("name"), executor: try r.optionalText("executor"), template: try r.json("template"),
            configurations: try r.json("configurations"), dispatchedConfigurations: try r.json("dispatched_configurations"),
            status: try r.value("status", as: TaskStatus.self), results: try r.json("results"), errors: try r.optionalText("errors"),
            createdAt: try r.time("created_at"), startedAt: try r.optionalTime("started_at"), finishedAt: try r.optionalTime("finished_at"),
            timeoutSeconds: try r.optionalInt("timeout_seconds"), executorReference: try r.optionalText("executor_ref"))
    }

    static let stageColumns = "id, data_product_id, data_product_version, stage, activity_id, results, started_at, finished_at"

    static func stageRecord(_ r: StoredRow) throws -> StageRecord {
        StageRecord(
            id: try r.int64("id"), dataProductId: try r.text("data_product_id"), dataProductVersion: try r.text("data_product_version"),
            stage: try r.text("stage"), activityId: try r.int64("activity_id"), results: try r.json("results"),
            startedAt: try r.time("started_at"), finishedAt: try r.optionalTime("finished_at"))
    }

    static let outboxColumns = "id, kind, task_id, payload, created_at, attempts, done_at, last_error, next_attempt_at"

    static func outbox(_ r: StoredRow) throws -> OutboxIntent {
        OutboxIntent(
            id: try r.int64("id"), kind: try r.value("kind", as: OutboxIntent.Kind.self), taskId: try r.optionalInt64("task_id"),
            payload: try r.json("payload") ?? .null, createdAt: try r.time("created_at"), attempts: try r.int("attempts"),
            doneAt: try r.optionalTime("done_at"), lastError: try r.optionalText("last_error"), nextAttemptAt: try r.optionalTime("next_attempt_at"))
    }

    static let decisionColumns = """
        seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id, principal,
        policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split
        """

    /// The stored texts of a decision, exactly as hashed, and its hash.
    static func canonical(_ r: StoredRow) throws -> (DecisionChain.Canonical, hash: String) {
        let canonical = DecisionChain.Canonical(
            sequence: try r.int64("seq"), phase: try r.text("phase"), verdict: try r.text("verdict"),
            dataProductId: try r.text("data_product_id"), dataProductVersion: try r.text("data_product_version"), stage: try r.text("stage"),
            activityId: try r.int64("activity_id"), taskId: try r.optionalInt64("task_id"), principal: try r.optionalText("principal"),
            policySetRevision: try r.text("policy_set_revision"), gatedChange: try r.text("gated_change"), createdAt: try r.text("created_at"),
            input: try r.text("input"), inputIsSplit: try r.bool("input_split"), outcomes: try r.text("outcomes"),
            previousHash: try r.text("previous_hash"))
        return (canonical, try r.text("hash"))
    }
}
