import Foundation
import PostgresNIO
public import TollgateJSON
public import TollgateLifecycle

extension PostgresLifecycleStore {
    public func newIds(activities: Int, tasks: Int) async throws -> NewIds {
        var activityIds: [Int64] = []
        var taskIds: [Int64] = []
        var bindings = PostgresBindings(Int64(activities))
        bindings.append(Int64(tasks))
        for try await row in try await client.execute(Prepared<PreparedWrites.NewIds>(bindings), logger: logger) {
            let (kind, id) = try row.decode((String, Int64).self)
            if kind == "activity" { activityIds.append(id) } else { taskIds.append(id) }
        }
        return NewIds(activities: activityIds.sorted(), tasks: taskIds.sorted())
    }

    public func deleteActivity(id: Int64) async throws {
        let logger = logger
        try await transaction { connection in
            var status: String?
            for try await value in try await connection.query("SELECT status FROM activities WHERE id = \(id) FOR UPDATE", logger: logger)
                .decode(String.self)
            {
                status = value
            }
            guard let status else { return }
            guard status == ActivityStatus.planned.rawValue else { throw StoreConflict("activity \(id) is \(status), no longer PLANNED") }
            _ = try await connection.query("DELETE FROM tasks WHERE activity_id = \(id)", logger: logger)
            _ = try await connection.query("DELETE FROM activities WHERE id = \(id)", logger: logger)
        }
    }

    public func activity(id: Int64) async throws -> Activity? {
        try await rows(PreparedReads.ActivityById.self, PostgresBindings(id), table: "activities", StoredRows.activity).first
    }

    public func descriptor(activityId: Int64) async throws -> JSONValue? {
        try await rows("SELECT descriptor FROM activities WHERE id = \(activityId)", table: "activities") { try $0.json("descriptor") }.first
            ?? nil
    }

    public func activities(matching filter: ActivityFilter) async throws -> [Activity] {
        let bindings = PostgresBindings(texts: [filter.dataProductId, filter.dataProductVersion, filter.stage, filter.status?.rawValue])
        return try await rows(PreparedReads.ActivitiesMatching.self, bindings, table: "activities", StoredRows.activity)
    }

    public func task(id: Int64) async throws -> LifecycleTask? {
        try await rows(PreparedReads.TaskById.self, PostgresBindings(id), table: "tasks", StoredRows.task).first
    }

    public func tasks(activityId: Int64) async throws -> [LifecycleTask] {
        try await rows(PreparedReads.TasksOfActivity.self, PostgresBindings(activityId), table: "tasks", StoredRows.task)
    }

    public func tasks(status: TaskStatus) async throws -> [LifecycleTask] {
        try await rows(
            "SELECT \(unescaped: StoredRows.taskColumns) FROM tasks WHERE status = \(status.rawValue) ORDER BY id", table: "tasks", StoredRows.task)
    }

    public func stageRecords(dataProductId: String, version: String) async throws -> [StageRecord] {
        try await rows(
            PreparedReads.StageRecordsOfVersion.self, PostgresBindings(texts: [dataProductId, version]), table: "lifecycles", StoredRows.stageRecord)
    }

    public func pendingOutbox() async throws -> [OutboxIntent] {
        try await rows("SELECT \(unescaped: StoredRows.outboxColumns) FROM outbox WHERE done_at IS NULL ORDER BY id", table: "outbox", StoredRows.outbox)
    }

    public func outboxIntent(id: Int64) async throws -> OutboxIntent? {
        try await rows("SELECT \(unescaped: StoredRows.outboxColumns) FROM outbox WHERE id = \(id)", table: "outbox", StoredRows.outbox).first
    }

    public func outbox(taskId: Int64, kind: OutboxIntent.Kind) async throws -> [OutboxIntent] {
        try await rows(
            "SELECT \(unescaped: StoredRows.outboxColumns) FROM outbox WHERE task_id = \(taskId) AND kind = \(kind.rawValue) ORDER BY id",
            table: "outbox", StoredRows.outbox)
    }

    /// Every outbox intent of one kind, oldest first, done or not (for operators inspecting what
    /// the replicas carried out).
    public func intents(kind: OutboxIntent.Kind) async throws -> [OutboxIntent] {
        try await rows(
            "SELECT \(unescaped: StoredRows.outboxColumns) FROM outbox WHERE kind = \(kind.rawValue) ORDER BY id", table: "outbox", StoredRows.outbox)
    }

    public func decisions(activityId: Int64) async throws -> [DecisionRecord] {
        let stored = try await rows(
            "SELECT \(unescaped: StoredRows.decisionColumns) FROM decisions WHERE activity_id = \(activityId) ORDER BY seq", table: "decisions",
            StoredRows.canonical)
        let parts = try await parts(under: stored.filter(\.0.inputIsSplit).map(\.0.input))
        return try stored.map { canonical, hash in
            let input =
                canonical.inputIsSplit
                ? try DecisionInputParts.decode(try JSONValue.parse(canonical.input, maxDepth: Self.nodeDepth)) { hash in
                    guard let node = parts[hash] else {
                        throw DecisionInputParts.MalformedNode(description: "the decision input part \(hash) is missing")
                    }
                    return node
                }
                : try JSONValue.parse(canonical.input, maxDepth: Self.nodeDepth)
            return try canonical.record(hash: hash, input: input)
        }
    }

    /// How deep a stored node may nest: a node wraps each level of the value it stands for in two.
    static let nodeDepth = 3 * JSONValue.defaultMaxDepth

    /// Every part the root nodes `roots` refer to, directly or through other parts, by hash.
    func parts(under roots: [String]) async throws -> [String: JSONValue] {
        var found: [String: JSONValue] = [:]
        var wanted = Set(try roots.flatMap { DecisionInputParts.references(in: try JSONValue.parse($0, maxDepth: Self.nodeDepth)) })
        while !wanted.isEmpty {
            let hashes = Array(wanted)
            wanted = []
            for try await (hash, body) in try await client.query("SELECT hash, body FROM decision_parts WHERE hash = ANY(\(hashes))", logger: logger)
                .decode((String, String).self)
            {
                let node = try JSONValue.parse(body, maxDepth: Self.nodeDepth)
                found[hash] = node
                for reference in DecisionInputParts.references(in: node) where found[reference] == nil { wanted.insert(reference) }
            }
            if hashes.allSatisfy({ found[$0] == nil }) { break }
        }
        return found
    }

    public func storedPolicyRevisions() async throws -> Set<String> {
        var revisions: Set<String> = []
        for try await revision in try await client.query("SELECT revision FROM policy_sources", logger: logger).decode(String.self) {
            revisions.insert(revision)
        }
        return revisions
    }

    public func claimIntent(id: Int64, owner: String, seconds: Double) async throws -> Lease? {
        let query: PostgresQuery = """
            UPDATE outbox SET lease_owner = \(owner), lease_until = now() + make_interval(secs => \(seconds)), fence = fence + 1
            WHERE id = \(id) AND done_at IS NULL AND (lease_owner IS NULL OR lease_owner = \(owner) OR lease_until <= now())
            RETURNING fence
            """
        for try await fence in try await client.query(query, logger: logger).decode(Int64.self) { return Lease(fence: fence) }
        return nil
    }

    public func renewIntent(id: Int64, owner: String, lease: Lease, seconds: Double) async throws -> Bool {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(seconds)
        bindings.append(id)
        bindings.append(owner)
        bindings.append(lease.fence)
        for try await _ in try await client.execute(Prepared<PreparedWrites.RenewIntent>(bindings), logger: logger) { return true }
        return false
    }

    public func claimDuty(_ name: String, owner: String, seconds: Double) async throws -> Lease? {
        let query: PostgresQuery = """
            INSERT INTO duty_leases (name, owner, lease_until, fence) VALUES (\(name), \(owner), now() + make_interval(secs => \(seconds)), 1)
            ON CONFLICT (name) DO UPDATE SET
                fence = CASE WHEN duty_leases.owner = excluded.owner AND duty_leases.lease_until > now() THEN duty_leases.fence
                             ELSE duty_leases.fence + 1 END,
                owner = excluded.owner, lease_until = excluded.lease_until
            WHERE duty_leases.owner = excluded.owner OR duty_leases.lease_until <= now()
            RETURNING fence
            """
        for try await fence in try await client.query(query, logger: logger).decode(Int64.self) { return Lease(fence: fence) }
        return nil
    }
}

extension PostgresLifecycleStore {
    /// Records `revision` as the policy set every replica should judge with.
    public func publishPolicySet(revision: String) async throws {
        _ = try await client.query(
            """
            INSERT INTO policy_set (only_row, revision, published_at) VALUES (TRUE, \(revision), now())
            ON CONFLICT (only_row) DO UPDATE SET revision = excluded.revision, published_at = excluded.published_at
            """, logger: logger)
    }

    /// The policy set revision last published, if any.
    public func publishedPolicySet() async throws -> String? {
        for try await revision in try await client.query("SELECT revision FROM policy_set", logger: logger).decode(String.self) {
            return revision
        }
        return nil
    }
}
