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
        // A changed activity moves to its next row version in the statement that writes it.
        let changed = Dictionary(changes.activities.filter { $0.version > 0 }.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for (id, version) in changes.expectedVersions.sorted(by: { $0.key < $1.key }) {
            let moved: Int
            if let activity = changed[id] {
                moved = try await update(activity, expecting: version)
            } else {
                moved = try await count("UPDATE activities SET row_version = row_version + 1 WHERE id = \(id) AND row_version = \(version) RETURNING id")
            }
            if moved == 0 { throw StoreConflict("activity \(id) changed since it was read (expected version \(version))") }
        }
        for activity in changes.activities where changes.expectedVersions[activity.id] == nil || activity.version == 0 {
            try await write(activity)
        }
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
            var bindings = PostgresBindings(texts: [now, error])
            bindings.append(id)
            bindings.append(fence)
            let done = try await execute(PreparedWrites.CompleteIntent.self, bindings)
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
            var bindings = PostgresBindings(texts: [intent.kind.rawValue])
            bindings.append(intent.taskId)
            bindings.append(intent.payload.serialized())
            bindings.append(Timestamp.formatMilliseconds(intent.createdAt))
            bindings.append(Int64(intent.attempts))
            bindings.append(owner)
            bindings.append(seconds)
            bindings.append(fence)
            for try await row in try await connection.execute(Prepared<PreparedWrites.InsertIntent>(bindings), logger: logger) {
                intent.id = try row.decode(Int64.self)
            }
            committed.outbox.append(intent)
        }
        try await insertHistory(changes.history)
        if changes.decisions.isEmpty {
            try await insertTransitions(changes.transitions)
        } else {
            // Last, as they lock the chain head: the decisions, with the transitions that cite them.
            committed.decisions = try await appendDecisions(changes.decisions, transitions: changes.transitions)
        }
        return committed
    }

    /// Appends `decisions` to the chain, each in one statement that moves the chain head (which
    /// locks it until the transaction ends), hashes the decision after the head's hash there, and
    /// inserts it with the parts of its input; the last statement also inserts `transitions`, which
    /// may cite any of them. From the lock to the commit there is then one round trip per decision
    /// besides the commit itself: the head is what every replica's appends wait for.
    private func appendDecisions(_ decisions: [DecisionRecord], transitions: [StatusTransition]) async throws -> [DecisionRecord] {
        guard !decisions.isEmpty else { return [] }
        let inputs = decisions.map { DecisionInputParts.encode($0.input) }
        var committed: [DecisionRecord] = []
        for (index, var record) in decisions.enumerated() {
            let c = DecisionChain.Canonical(record, sequence: 0, previousHash: "", storedInput: inputs[index])
            let (leading, middle) = c.hashedAroundPosition
            var seen = Set<String>()
            let parts = (inputs[index].isSplit ? inputs[index].parts : []).filter { seen.insert($0.hash).inserted }
            // Transitions go with the last decision; one citing it says -1, as its number is not known yet.
            let cited = index == decisions.count - 1 ? transitions : []
            let sequences = cited.map { t -> Int64 in
                guard let i = t.decision, committed.indices.contains(i) || i == index else { return 0 }
                return i == index ? -1 : committed[i].sequence
            }
            var bindings = PostgresBindings(capacity: 24)
            bindings.append(ByteBuffer(bytes: leading))
            bindings.append(ByteBuffer(bytes: middle))
            for text in [c.phase, c.verdict, c.dataProductId, c.dataProductVersion, c.stage] { bindings.append(text) }
            bindings.append(c.activityId)
            bindings.append(c.taskId)
            bindings.append(c.principal)
            for text in [c.policySetRevision, c.gatedChange, c.createdAt, c.input, c.outcomes] { bindings.append(text) }
            bindings.append(c.inputIsSplit)
            bindings.append(cited.map(\.entity))
            bindings.append(cited.map(\.entityId))
            bindings.append(cited.map { $0.from ?? "" })
            bindings.append(cited.map(\.to))
            bindings.append(cited.map { Timestamp.formatMilliseconds($0.at) })
            bindings.append(sequences)
            bindings.append(parts.map(\.hash))
            bindings.append(parts.map(\.text))
            let rows = try await connection.execute(Prepared<PreparedWrites.AppendDecision>(bindings), logger: logger)
            for try await row in rows {
                let (sequence, previous, hash) = try row.decode((Int64, String, String).self)
                record.sequence = sequence
                record.previousHash = previous
                record.hash = hash
            }
            committed.append(record)
        }
        return committed
    }

    /// One statement for every transition of a commit without decisions (an empty string stands for NULL).
    private func insertTransitions(_ transitions: [StatusTransition]) async throws {
        guard !transitions.isEmpty else { return }
        let entities = transitions.map(\.entity), ids = transitions.map(\.entityId), froms = transitions.map { $0.from ?? "" }
        let tos = transitions.map(\.to), ats = transitions.map { Timestamp.formatMilliseconds($0.at) }
        try await run(
            """
            INSERT INTO transitions (entity, entity_id, from_status, to_status, at)
            SELECT e, i, NULLIF(f, ''), t, a FROM UNNEST(\(entities), \(ids), \(froms), \(tos), \(ats)) AS x(e, i, f, t, a)
            """)
    }

    /// One statement for every history entry of the commit (an empty string stands for no data).
    private func insertHistory(_ events: [ExecutionEvent]) async throws {
        guard !events.isEmpty else { return }
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(events.map(\.taskId))
        bindings.append(events.map { Timestamp.formatMilliseconds($0.at) })
        bindings.append(events.map(\.kind))
        bindings.append(events.map(\.message))
        bindings.append(events.map { $0.data?.serialized() ?? "" })
        try await execute(PreparedWrites.InsertHistory.self, bindings)
    }

    /// The update of a read activity, refused (no row returned) unless it is still at `version`.
    /// Updates a read activity unless it moved on from `version`; the rows updated.
    private func update(_ a: Activity, expecting version: Int64) async throws -> Int {
        var bindings = PostgresBindings(texts: [
            a.status.rawValue, a.results?.serialized(), a.errors, a.startedAt.map(Timestamp.formatMilliseconds),
            a.finishedAt.map(Timestamp.formatMilliseconds),
        ])
        bindings.append(a.id)
        bindings.append(version)
        return try await execute(PreparedWrites.UpdateActivityAtVersion.self, bindings)
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
        var bindings = PostgresBindings(a.id)
        for text in [
            a.dataProductId, a.dataProductVersion, a.stage, a.status.rawValue, results, a.errors, Timestamp.formatMilliseconds(a.createdAt),
            started, finished, a.principal, a.descriptor?.serialized(),
        ] { bindings.append(text) }
        try await execute(PreparedWrites.InsertActivity.self, bindings)
    }

    private func write(_ t: LifecycleTask) async throws {
        var bindings = PostgresBindings(capacity: 17)
        bindings.append(t.id)
        bindings.append(t.activityId)
        bindings.append(Int64(t.position))
        for text in [
            t.key, t.name, t.executor, t.template?.serialized(), t.configurations?.serialized(), t.dispatchedConfigurations?.serialized(),
            t.status.rawValue, t.results?.serialized(), t.errors, Timestamp.formatMilliseconds(t.createdAt),
            t.startedAt.map(Timestamp.formatMilliseconds), t.finishedAt.map(Timestamp.formatMilliseconds),
        ] { bindings.append(text) }
        bindings.append(t.timeoutSeconds.map(Int64.init))
        bindings.append(t.executorReference)
        try await execute(PreparedWrites.UpsertTask.self, bindings)
    }

    private func write(_ r: StageRecord) async throws {
        let results = r.results?.serialized()
        let finished = r.finishedAt.map(Timestamp.formatMilliseconds)
        guard r.id != 0 else {
            var bindings = PostgresBindings(texts: [r.dataProductId, r.dataProductVersion, r.stage])
            bindings.append(r.activityId)
            for text in [results, Timestamp.formatMilliseconds(r.startedAt), finished] { bindings.append(text) }
            try await execute(PreparedWrites.InsertStageRecord.self, bindings)
            return
        }
        try await run("UPDATE lifecycles SET finished_at = \(finished), results = \(results) WHERE id = \(r.id)")
    }

    /// Runs a prepared statement; the rows it returned.
    @discardableResult
    private func execute<Statement: PreparedSQL>(_ statement: Statement.Type, _ bindings: PostgresBindings) async throws -> Int {
        var rows = 0
        for try await _ in try await connection.execute(Prepared<Statement>(bindings), logger: logger) { rows += 1 }
        return rows
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
