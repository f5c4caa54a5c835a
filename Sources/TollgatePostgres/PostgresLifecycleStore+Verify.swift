public import Foundation
import PostgresNIO
import TollgateJSON
public import TollgateLifecycle

extension PostgresLifecycleStore {
    /// The decision log checked end to end with the rules of every store (`DecisionChain.Walker`):
    /// the chain and its gapless sequence from the last checkpoint (or from `since`), every input
    /// part intact and present, and completeness (every decision belongs to a recorded state
    /// change, every gated change has its decision).
    public func verifyLog(since: VerifiedPosition?, maximumProblems: Int) async throws -> LogVerification {
        let logger = logger
        // A long log takes long to walk: only reaching the database is bounded here.
        return try await BoundedClient(pool: pool, limit: .seconds(24 * 3600), deadlines: deadlines).withConnection { connection in
            var lastTransition: Int64 = 0, lastPart: Int64 = 0
            for try await (transition, part) in try await connection.query(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM transitions), (SELECT COALESCE(MAX(id), 0) FROM decision_parts)", logger: logger
            ).decode((Int64, Int64).self) {
                (lastTransition, lastPart) = (transition, part)
            }
            let walk = try await PostgresLogCheck(connection: connection, logger: logger).run(after: since.map { ($0.sequence, $0.hash) })
            let afterSequence = since?.sequence ?? 0, afterTransition = since?.transitionId ?? 0
            var problems: [String] = []
            for try await (sequence, gated) in try await connection.query(
                """
                SELECT d.seq, d.gated_change FROM decisions d
                WHERE d.seq > \(afterSequence) AND d.seq <= \(walk.head) AND d.gated_change NOT LIKE '%stays PLANNED%'
                  AND NOT EXISTS (SELECT 1 FROM transitions t WHERE t.decision_seq = d.seq)
                ORDER BY d.seq LIMIT \(maximumProblems)
                """, logger: logger
            ).decode((Int64, String).self) {
                problems.append("decision \(sequence) gated '\(gated)', but no such change was recorded")
            }
            for try await (entity, id, from, to) in try await connection.query(
                """
                SELECT t.entity, t.entity_id, t.from_status, t.to_status FROM transitions t
                WHERE t.id > \(afterTransition) AND t.id <= \(lastTransition) AND t.decision_seq IS NULL AND (
                    (t.entity = 'activity' AND t.from_status = 'PLANNED' AND t.to_status = 'PROCESSING')
                    OR (t.entity = 'activity' AND t.from_status = 'PROCESSING' AND t.to_status = 'PROCESSED'))
                ORDER BY t.id LIMIT \(maximumProblems)
                """, logger: logger
            ).decode((String, Int64, String?, String).self) {
                problems.append("\(entity) \(id): \(from ?? "-") -> \(to) passes a gate, but has no decision")
            }
            // (A gated change naming a decision that is missing cannot be stored here: the
            // transitions' foreign key to the decisions refuses it.)
            // The walk starts at `since` (or the last checkpoint), so its head is where the log is now.
            let head: (sequence: Int64, hash: String)? = walk.head > 0 ? (walk.head, walk.headHash) : nil
            let position = head.map { VerifiedPosition(sequence: $0.sequence, hash: $0.hash, transitionId: lastTransition, partId: lastPart) } ?? since
            return LogVerification(
                decisions: walk.decisions, head: head, chain: walk.problem, completeness: Array(problems.prefix(maximumProblems)), position: position)
        }
    }

    // MARK: Retention

    public func checkpoints() async throws -> [DecisionCheckpoint] {
        try await rows(
            "SELECT through_seq, through_hash, pruned, horizon, at, principal FROM decision_checkpoints ORDER BY id", table: "decision_checkpoints"
        ) {
            DecisionCheckpoint(
                throughSequence: try $0.int64("through_seq"), throughHash: try $0.text("through_hash"), pruned: try $0.int("pruned"),
                horizon: try $0.time("horizon"), at: try $0.time("at"), principal: try $0.optionalText("principal"))
        }
    }

    public func setLegalHold(name: String, reason: String, principal: String?, at: Date) async throws {
        _ = try await client.query(
            """
            INSERT INTO legal_holds (name, reason, set_at, principal) VALUES (\(name), \(reason), \(Timestamp.formatMilliseconds(at)), \(principal))
            ON CONFLICT (name) DO UPDATE SET reason = excluded.reason, set_at = excluded.set_at, principal = excluded.principal
            """, logger: logger)
    }

    public func releaseLegalHold(name: String) async throws {
        _ = try await client.query("DELETE FROM legal_holds WHERE name = \(name)", logger: logger)
    }

    public func legalHolds() async throws -> [(name: String, reason: String)] {
        var holds: [(name: String, reason: String)] = []
        for try await (name, reason) in try await client.query("SELECT name, reason FROM legal_holds ORDER BY name", logger: logger)
            .decode((String, String).self)
        {
            holds.append((name, reason))
        }
        return holds
    }

    /// Removes the decisions made before `horizon`, in one transaction with the checkpoint that
    /// records the last pruned position and hash, the status changes they gated, and the input
    /// parts no remaining decision reaches. Refused while a legal hold is set.
    public func prune(before horizon: Date, principal: String?, now: Date) async throws -> DecisionCheckpoint? {
        let holds = try await legalHolds()
        guard holds.isEmpty else {
            throw RetentionError(
                "pruning is refused while legal holds are set: " + holds.map { "\($0.name) (\($0.reason))" }.joined(separator: ", ")
                    + "; release them first")
        }
        let logger = logger
        return try await transaction { connection -> DecisionCheckpoint? in
            var through: (Int64, String)?
            for try await row in try await connection.query(
                "SELECT seq, hash FROM decisions WHERE created_at < \(Timestamp.formatMilliseconds(horizon)) ORDER BY seq DESC LIMIT 1",
                logger: logger
            ).decode((Int64, String).self) {
                through = row
            }
            guard let (sequence, hash) = through else { return nil }
            var first = sequence
            for try await low in try await connection.query("SELECT MIN(seq) FROM decisions", logger: logger).decode(Int64.self) { first = low }
            let checkpoint = DecisionCheckpoint(
                throughSequence: sequence, throughHash: hash, pruned: Int(sequence - first + 1), horizon: horizon, at: now, principal: principal)
            _ = try await connection.query(
                """
                INSERT INTO decision_checkpoints (through_seq, through_hash, pruned, horizon, at, principal)
                VALUES (\(sequence), \(hash), \(checkpoint.pruned), \(Timestamp.formatMilliseconds(horizon)), \(Timestamp.formatMilliseconds(now)), \(principal))
                """, logger: logger)
            _ = try await connection.query("DELETE FROM transitions WHERE decision_seq <= \(sequence)", logger: logger)
            _ = try await connection.query("DELETE FROM decisions WHERE seq <= \(sequence)", logger: logger)
            try await Self.deleteUnreachableParts(connection, logger: logger)
            return checkpoint
        }
    }

    /// Deletes the decision-input parts no remaining decision reaches.
    static func deleteUnreachableParts(_ connection: PostgresConnection, logger: Logger) async throws {
        var bodies: [String: String] = [:]
        for try await (hash, body) in try await connection.query("SELECT hash, body FROM decision_parts", logger: logger).decode((String, String).self) {
            bodies[hash] = body
        }
        var reachable = Set<String>()
        var pending: [String] = []
        for try await root in try await connection.query("SELECT input FROM decisions WHERE input_split", logger: logger).decode(String.self) {
            if let node = try? JSONValue.parse(root, maxDepth: nodeDepth) { pending += DecisionInputParts.references(in: node) }
        }
        while let hash = pending.popLast() {
            guard reachable.insert(hash).inserted, let body = bodies[hash], let node = try? JSONValue.parse(body, maxDepth: nodeDepth) else { continue }
            pending += DecisionInputParts.references(in: node)
        }
        let unreachable = bodies.keys.filter { !reachable.contains($0) }
        guard !unreachable.isEmpty else { return }
        _ = try await connection.query("DELETE FROM decision_parts WHERE hash = ANY(\(unreachable))", logger: logger)
    }
}
