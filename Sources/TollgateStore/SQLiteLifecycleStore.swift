import Foundation
import Synchronization
public import TollgateLifecycle
public import TollgateJSON
import TollgateSQLite

/// The lifecycle's durable store: one SQLite file in WAL mode.
///
/// Every ``ChangeSet`` is one `BEGIN IMMEDIATE … COMMIT` transaction, so a state change and the
/// decisions that gated it are written together or not at all. With `synchronous = NORMAL` (the
/// default) a commit survives the process being killed at any instant — the WAL is written before
/// the commit returns — and a power cut can lose only the last commits, never corrupt or reorder
/// them; `synchronous = FULL` makes each commit survive power loss too, at a lower commit rate.
///
/// The connection is used by one caller at a time (the lock below); the engine is its only writer.
public final class SQLiteLifecycleStore: LifecycleStore {
    private let connection: Mutex<SQLiteConnection>
    /// Decision-input parts read lately (see ``DecisionInputParts``).
    let partCache = Mutex(DecisionPartCache())
    /// The database file.
    public let path: String

    /// Opens (creating and migrating when needed) the store at `path`.
    public init(path: String, synchronous: String = "NORMAL") throws {
        let db = try SQLiteConnection(path: path, options: .init(synchronous: synchronous))
        try StoreSchema.migrate(db)
        self.connection = Mutex(db)
        self.path = path
    }

    func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { db in try body(db) }
    }

    // MARK: Commit

    public func commit(_ changes: ChangeSet) throws -> [DecisionRecord] {
        try withConnection { db in
            try db.transaction {
                for activity in changes.activities { try write(activity, db) }
                for task in changes.tasks { try write(task, db) }
                for record in changes.stageRecords { try write(record, db) }
                for source in changes.policySources {
                    try db.statement("INSERT OR IGNORE INTO policy_sources (revision, name, file, source) VALUES (?, ?, ?, ?)")
                        .run([source.revision, source.name, source.file, source.source])
                }
                let committed = try appendDecisions(changes.decisions, db)
                for intent in changes.outbox {
                    try db.statement(
                        "INSERT INTO outbox (id, kind, task_id, payload, created_at, attempts) VALUES (?, ?, ?, ?, ?, ?)"
                    ).run([
                        intent.id, intent.kind.rawValue, intent.taskId, intent.payload.serialized(),
                        StoreCoding.time(intent.createdAt), intent.attempts,
                    ])
                }
                let now = StoreCoding.time(Date())
                for (id, error) in changes.outboxDone {
                    try db.statement("UPDATE outbox SET done_at = ?, attempts = attempts + 1, last_error = ? WHERE id = ?")
                        .run([now, error, id])
                }
                for (id, error, after) in changes.outboxRetry {
                    try db.statement("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?")
                        .run([error, StoreCoding.time(after), id])
                }
                for t in changes.transitions {
                    try db.statement(
                        "INSERT INTO transitions (entity, entity_id, from_status, to_status, at, decision_seq) VALUES (?, ?, ?, ?, ?, ?)"
                    ).run([
                        t.entity, t.entityId, t.from, t.to, StoreCoding.time(t.at),
                        t.decision.flatMap { committed.indices.contains($0) ? committed[$0].sequence : nil },
                    ])
                }
                for event in changes.history {
                    try db.statement("INSERT INTO execution_history (task_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)")
                        .run([event.taskId, StoreCoding.time(event.at), event.kind, event.message, StoreCoding.json(event.data)])
                }
                return committed
            }
        }
    }

    private func appendDecisions(_ decisions: [DecisionRecord], _ db: SQLiteConnection) throws -> [DecisionRecord] {
        guard !decisions.isEmpty else { return [] }
        // The last decision, or when every decision was pruned, the checkpoint that recorded the last one.
        var (sequence, previous) =
            try db.statement("SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").first { ($0.int64(0), $0.string(1)) }
            ?? db.statement("SELECT through_seq, through_hash FROM decision_checkpoints ORDER BY id DESC LIMIT 1").first { ($0.int64(0), $0.string(1)) }
            ?? (0, "")
        var committed: [DecisionRecord] = []
        let insert = try db.statement(
            """
            INSERT INTO decisions (seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id,
                principal, policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for var record in decisions {
            sequence += 1
            let input = DecisionInputParts.encode(record.input)
            try writeParts(input, db)
            let canonical = DecisionChain.Canonical(record, sequence: sequence, previousHash: previous, storedInput: input)
            let hash = canonical.hash
            try insert.run([
                sequence, canonical.phase, canonical.verdict, canonical.dataProductId, canonical.dataProductVersion,
                canonical.stage, canonical.activityId, canonical.taskId, canonical.principal, canonical.policySetRevision,
                canonical.gatedChange, canonical.createdAt, canonical.input, canonical.outcomes, previous, hash,
                canonical.inputIsSplit ? 1 : 0,
            ])
            record.sequence = sequence
            record.previousHash = previous
            record.hash = hash
            committed.append(record)
            previous = hash
        }
        return committed
    }

    private func write(_ a: Activity, _ db: SQLiteConnection) throws {
        try db.statement(
            """
            INSERT INTO activities (\(StoreCoding.activityColumns), descriptor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, results = excluded.results, errors = excluded.errors,
                started_at = excluded.started_at, finished_at = excluded.finished_at
            """
        ).run([
            a.id, a.dataProductId, a.dataProductVersion, a.stage, a.status.rawValue, StoreCoding.json(a.results), a.errors,
            StoreCoding.time(a.createdAt), StoreCoding.time(a.startedAt), StoreCoding.time(a.finishedAt), a.principal,
            StoreCoding.json(a.descriptor),
        ])
    }

    private func write(_ t: LifecycleTask, _ db: SQLiteConnection) throws {
        try db.statement(
            """
            INSERT INTO tasks (\(StoreCoding.taskColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET dispatched_configurations = excluded.dispatched_configurations,
                status = excluded.status, results = excluded.results, errors = excluded.errors,
                started_at = excluded.started_at, finished_at = excluded.finished_at, timeout_seconds = excluded.timeout_seconds,
                executor_ref = excluded.executor_ref
            """
        ).run([
            t.id, t.activityId, t.position, t.key, t.name, t.executor, StoreCoding.json(t.template),
            StoreCoding.json(t.configurations), StoreCoding.json(t.dispatchedConfigurations), t.status.rawValue,
            StoreCoding.json(t.results), t.errors, StoreCoding.time(t.createdAt), StoreCoding.time(t.startedAt),
            StoreCoding.time(t.finishedAt), t.timeoutSeconds, t.executorReference,
        ])
    }

    private func write(_ r: StageRecord, _ db: SQLiteConnection) throws {
        try db.statement(
            """
            INSERT INTO lifecycles (\(StoreCoding.stageColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, results = excluded.results
            """
        ).run([
            r.id, r.dataProductId, r.dataProductVersion, r.stage, r.activityId, StoreCoding.json(r.results),
            StoreCoding.time(r.startedAt), StoreCoding.time(r.finishedAt),
        ])
    }

    // MARK: Reads

    public func deleteActivity(id: Int64) throws {
        try withConnection { db in
            try db.transaction {
                try db.statement("DELETE FROM tasks WHERE activity_id = ?").run([id])
                try db.statement("DELETE FROM activities WHERE id = ? AND status = 'PLANNED'").run([id])
            }
        }
    }

    public func activity(id: Int64) throws -> Activity? {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.activityColumns) FROM activities WHERE id = ?").first([id], StoreCoding.activity)
        }
    }

    public func descriptor(activityId: Int64) throws -> JSONValue? {
        try withConnection { db in
            try db.statement("SELECT descriptor FROM activities WHERE id = ?").first([activityId]) { StoreCoding.json($0.optionalString(0)) }
                ?? nil
        }
    }

    public func activities(matching filter: ActivityFilter) throws -> [Activity] {
        var clauses: [String] = []
        var values: [any SQLiteBindable] = []
        if let v = filter.dataProductId { clauses.append("data_product_id = ?"); values.append(v) }
        if let v = filter.dataProductVersion { clauses.append("data_product_version = ?"); values.append(v) }
        if let v = filter.stage { clauses.append("stage = ?"); values.append(v) }
        if let v = filter.status { clauses.append("status = ?"); values.append(v.rawValue) }
        let condition = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try withConnection { db in
            try db.statement("SELECT \(StoreCoding.activityColumns) FROM activities\(condition) ORDER BY id").rows(values, StoreCoding.activity)
        }
    }

    public func task(id: Int64) throws -> LifecycleTask? {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.taskColumns) FROM tasks WHERE id = ?").first([id], StoreCoding.task)
        }
    }

    public func tasks(activityId: Int64) throws -> [LifecycleTask] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.taskColumns) FROM tasks WHERE activity_id = ? ORDER BY position").rows([activityId], StoreCoding.task)
        }
    }

    public func tasks(status: TaskStatus) throws -> [LifecycleTask] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.taskColumns) FROM tasks WHERE status = ? ORDER BY id").rows([status.rawValue], StoreCoding.task)
        }
    }

    public func stageRecords(dataProductId: String, version: String) throws -> [StageRecord] {
        try withConnection { db in
            try db.statement(
                "SELECT \(StoreCoding.stageColumns) FROM lifecycles WHERE data_product_id = ? AND data_product_version = ? ORDER BY id"
            ).rows([dataProductId, version], StoreCoding.stageRecord)
        }
    }

    public func pendingOutbox() throws -> [OutboxIntent] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.outboxColumns) FROM outbox WHERE done_at IS NULL ORDER BY id").rows([], StoreCoding.outbox)
        }
    }

    public func outboxIntent(id: Int64) throws -> OutboxIntent? {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.outboxColumns) FROM outbox WHERE id = ?").first([id], StoreCoding.outbox)
        }
    }

    public func outbox(taskId: Int64, kind: OutboxIntent.Kind) throws -> [OutboxIntent] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.outboxColumns) FROM outbox WHERE task_id = ? AND kind = ? ORDER BY id")
                .rows([taskId, kind.rawValue], StoreCoding.outbox)
        }
    }

    public func decisions(activityId: Int64) throws -> [DecisionRecord] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.decisionColumns) FROM decisions WHERE activity_id = ? ORDER BY seq")
                .rows([activityId]) { try decision($0, db) }
        }
    }

    /// The decisions that gated one task's results, in log order.
    public func decisions(taskId: Int64) throws -> [DecisionRecord] {
        try withConnection { db in
            try db.statement("SELECT \(StoreCoding.decisionColumns) FROM decisions WHERE task_id = ? ORDER BY seq")
                .rows([taskId]) { try decision($0, db) }
        }
    }

    public func highestIds() throws -> HighestIds {
        try withConnection { db in
            func max(_ table: String) throws -> Int64 {
                try db.statement("SELECT COALESCE(MAX(id), 0) FROM \(table)").first { $0.int64(0) } ?? 0
            }
            return HighestIds(
                activity: try max("activities"), task: try max("tasks"), stageRecord: try max("lifecycles"),
                outbox: try max("outbox"))
        }
    }

    public func storedPolicyRevisions() throws -> Set<String> {
        try withConnection { db in Set(try db.statement("SELECT revision FROM policy_sources").rows { $0.string(0) }) }
    }
}
