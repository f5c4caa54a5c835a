import Foundation
import Logging
import PostgresNIO
import TollgateJSON
import TollgateLifecycle

/// The statements of one commit, on the connection of its transaction. The chain head is locked
/// last, so the global serialisation point is held only for the decisions' own statements and the
/// commit itself.
struct PostgresCommit {
    let connection: PostgresConnection
    let logger: Logger

    func write(_ changes: ChangeSet) async throws -> CommittedChanges {
        for (id, version) in changes.expectedVersions.sorted(by: { $0.key < $1.key }) {
            let moved = try await count("UPDATE activities SET row_version = row_version + 1 WHERE id = \(id) AND row_version = \(version) RETURNING id")
            if moved == 0 { throw StoreConflict("activity \(id) changed since it was read (expected version \(version))") }
        }
        for activity in changes.activities { try await write(activity) }
        for task in changes.tasks { try await write(task) }
        for record in changes.stageRecords { try await write(record) }
        for source in changes.policySources {
            try await run(
                """
                INSERT INTO policy_sources (revision, name, file, source) VALUES (\(source.revision), \(source.name), \(source.file), \(source.source))
                ON CONFLICT (revision) DO NOTHING
                """)
        }
        let now = Timestamp.formatMilliseconds(Date())
        for (id, error) in changes.outboxDone {
            let fence = changes.fences[id]
            let done = try await count(
                """
                UPDATE outbox SET done_at = \(now), attempts = attempts + 1, last_error = \(error), lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND (\(fence)::BIGINT IS NULL OR fence = \(fence)) RETURNING id
                """)
            if done == 0 { throw StoreConflict("outbox intent \(id) was leased again; its completion is refused", leaseLost: true) }
        }
        for (id, error, after) in changes.outboxRetry {
            let fence = changes.fences[id]
            let next = after.map(Timestamp.formatMilliseconds)
            let retried = try await count(
                """
                UPDATE outbox SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(next), lease_owner = NULL, lease_until = NULL
                WHERE id = \(id) AND (\(fence)::BIGINT IS NULL OR fence = \(fence)) RETURNING id
                """)
            if retried == 0 { throw StoreConflict("outbox intent \(id) was leased again; its retry is refused", leaseLost: true) }
        }
        var committed = CommittedChanges()
        for var intent in changes.outbox {
            let owner = changes.leaseOwner
            let seconds = changes.leaseSeconds
            let fence: Int64 = owner == nil ? 0 : 1
            let rows = try await connection.query(
                """
                INSERT INTO outbox (kind, task_id, payload, created_at, attempts, lease_owner, lease_until, fence)
                VALUES (\(intent.kind.rawValue), \(intent.taskId), \(intent.payload.serialized()), \(Timestamp.formatMilliseconds(intent.createdAt)),
                    \(intent.attempts), \(owner), CASE WHEN \(owner)::TEXT IS NULL THEN NULL ELSE now() + make_interval(secs => \(seconds)) END, \(fence))
                RETURNING id
                """, logger: logger)
            for try await id in rows.decode(Int64.self) { intent.id = id }
            committed.outbox.append(intent)
        }
        try await insertHistory(changes.history)
        // Last, under the chain head's lock: the decisions, then the transitions that cite them.
        committed.decisions = try await appendDecisions(changes.decisions)
        let decisions = committed.decisions
        try await insertTransitions(changes.transitions) { index in
            index.flatMap { decisions.indices.contains($0) ? decisions[$0].sequence : nil }
        }
        return committed
    }

    /// Appends `decisions` to the chain: locks its head, numbers and hashes each after it, and moves
    /// the head (held until the transaction ends).
    private func appendDecisions(_ decisions: [DecisionRecord]) async throws -> [DecisionRecord] {
        guard !decisions.isEmpty else { return [] }
        // Every round trip from here to the commit holds the chain head, which every replica's
        // appends wait for: the head is created, locked and read in one statement (an upsert that
        // changes nothing locks the row), and moved by the statement that inserts the last decision.
        var sequence: Int64 = 0
        var previous = ""
        let head = try await connection.query(
            """
            INSERT INTO decision_chain_head (only_row, seq, hash) VALUES (TRUE, 0, '')
            ON CONFLICT (only_row) DO UPDATE SET seq = decision_chain_head.seq RETURNING seq, hash
            """, logger: logger)
        for try await (seq, hash) in head.decode((Int64, String).self) {
            sequence = seq
            previous = hash
        }
        var committed: [DecisionRecord] = []
        for (index, var record) in decisions.enumerated() {
            sequence += 1
            let input = DecisionInputParts.encode(record.input)
            if input.isSplit {
                for part in input.parts {
                    try await run("INSERT INTO decision_parts (hash, body) VALUES (\(part.hash), \(part.text)) ON CONFLICT (hash) DO NOTHING")
                }
            }
            let c = DecisionChain.Canonical(record, sequence: sequence, previousHash: previous, storedInput: input)
            let hash = c.hash
            let last = index == decisions.count - 1
            try await run(
                """
                WITH moved AS (UPDATE decision_chain_head SET seq = \(sequence), hash = \(hash) WHERE \(last))
                INSERT INTO decisions (seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id,
                    principal, policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split)
                VALUES (\(sequence), \(c.phase), \(c.verdict), \(c.dataProductId), \(c.dataProductVersion), \(c.stage), \(c.activityId),
                    \(c.taskId), \(c.principal), \(c.policySetRevision), \(c.gatedChange), \(c.createdAt), \(c.input), \(c.outcomes),
                    \(previous), \(hash), \(c.inputIsSplit))
                """)
            record.sequence = sequence
            record.previousHash = previous
            record.hash = hash
            committed.append(record)
            previous = hash
        }
        return committed
    }

    /// One statement for every transition of the commit (empty strings and 0 stand for NULL).
    private func insertTransitions(_ transitions: [StatusTransition], sequence: (Int?) -> Int64?) async throws {
        guard !transitions.isEmpty else { return }
        let entities = transitions.map(\.entity), ids = transitions.map(\.entityId), froms = transitions.map { $0.from ?? "" }
        let tos = transitions.map(\.to), ats = transitions.map { Timestamp.formatMilliseconds($0.at) }
        let sequences = transitions.map { sequence($0.decision) ?? 0 }
        try await run(
            """
            INSERT INTO transitions (entity, entity_id, from_status, to_status, at, decision_seq)
            SELECT e, i, NULLIF(f, ''), t, a, NULLIF(d, 0) FROM UNNEST(\(entities), \(ids), \(froms), \(tos), \(ats), \(sequences)) AS x(e, i, f, t, a, d)
            """)
    }

    /// One statement for every history entry of the commit (an empty string stands for no data).
    private func insertHistory(_ events: [ExecutionEvent]) async throws {
        guard !events.isEmpty else { return }
        let tasks = events.map(\.taskId), ats = events.map { Timestamp.formatMilliseconds($0.at) }, kinds = events.map(\.kind)
        let messages = events.map(\.message), data = events.map { $0.data?.serialized() ?? "" }
        try await run(
            """
            INSERT INTO execution_history (task_id, at, kind, message, data)
            SELECT t, a, k, m, NULLIF(d, '') FROM UNNEST(\(tasks), \(ats), \(kinds), \(messages), \(data)) AS x(t, a, k, m, d)
            """)
    }

    private func write(_ a: Activity) async throws {
        let results = a.results?.serialized()
        let started = a.startedAt.map(Timestamp.formatMilliseconds)
        let finished = a.finishedAt.map(Timestamp.formatMilliseconds)
        guard a.version == 0 else {
            try await run(
                """
                UPDATE activities SET status = \(a.status.rawValue), results = \(results), errors = \(a.errors), started_at = \(started),
                    finished_at = \(finished)
                WHERE id = \(a.id)
                """)
            return
        }
        try await run(
            """
            INSERT INTO activities (id, data_product_id, data_product_version, stage, status, results, errors, created_at, started_at,
                finished_at, principal, descriptor)
            VALUES (\(a.id), \(a.dataProductId), \(a.dataProductVersion), \(a.stage), \(a.status.rawValue), \(results), \(a.errors),
                \(Timestamp.formatMilliseconds(a.createdAt)), \(started), \(finished), \(a.principal), \(a.descriptor?.serialized()))
            """)
    }

    private func write(_ t: LifecycleTask) async throws {
        try await run(
            """
            INSERT INTO tasks (id, activity_id, position, key, name, executor, template, configurations, dispatched_configurations, status,
                results, errors, created_at, started_at, finished_at, timeout_seconds, executor_ref)
            VALUES (\(t.id), \(t.activityId), \(t.position), \(t.key), \(t.name), \(t.executor), \(t.template?.serialized()),
                \(t.configurations?.serialized()), \(t.dispatchedConfigurations?.serialized()), \(t.status.rawValue),
                \(t.results?.serialized()), \(t.errors), \(Timestamp.formatMilliseconds(t.createdAt)),
                \(t.startedAt.map(Timestamp.formatMilliseconds)), \(t.finishedAt.map(Timestamp.formatMilliseconds)), \(t.timeoutSeconds),
                \(t.executorReference))
            ON CONFLICT (id) DO UPDATE SET dispatched_configurations = excluded.dispatched_configurations, status = excluded.status,
                results = excluded.results, errors = excluded.errors, started_at = excluded.started_at, finished_at = excluded.finished_at,
                timeout_seconds = excluded.timeout_seconds, executor_ref = excluded.executor_ref
            """)
    }

    private func write(_ r: StageRecord) async throws {
        let results = r.results?.serialized()
        let finished = r.finishedAt.map(Timestamp.formatMilliseconds)
        guard r.id != 0 else {
            try await run(
                """
                INSERT INTO lifecycles (data_product_id, data_product_version, stage, activity_id, results, started_at, finished_at)
                VALUES (\(r.dataProductId), \(r.dataProductVersion), \(r.stage), \(r.activityId), \(results),
                    \(Timestamp.formatMilliseconds(r.startedAt)), \(finished))
                """)
            return
        }
        try await run("UPDATE lifecycles SET finished_at = \(finished), results = \(results) WHERE id = \(r.id)")
    }

    private func run(_ query: PostgresQuery) async throws {
        _ = try await connection.query(query, logger: logger)
    }

    /// Runs a statement that returns a row per row it touched, and counts them.
    private func count(_ query: PostgresQuery) async throws -> Int {
        var rows = 0
        for try await _ in try await connection.query(query, logger: logger) { rows += 1 }
        return rows
    }
}
