import Logging
import PostgresNIO
import TollgateJSON
import TollgateLifecycle

/// The decision log in PostgreSQL checked end to end with the same chain rules as SQLite's
/// (`DecisionChain`): gapless from the last checkpoint, each decision following the previous
/// one's hash, each stored hash matching its content, and every input part intact and present.
struct PostgresLogCheck {
    let connection: PostgresConnection
    let logger: Logger

    struct Outcome {
        var decisions: Int
        var head: Int64
        var headHash: String
        /// The first break of the chain or of an input part; the walk stops there.
        var problem: ChainProblem?
    }

    /// Decisions read at a time.
    static let batch = 5_000

    /// Walks the log from its last checkpoint, or from `after` (a position verified before).
    func run(after: (sequence: Int64, hash: String)? = nil) async throws -> Outcome {
        var checkpoint = after
        if checkpoint == nil {
            for try await (sequence, hash) in try await connection.query(
                "SELECT through_seq, through_hash FROM decision_checkpoints ORDER BY id DESC LIMIT 1", logger: logger
            ).decode((Int64, String).self) {
                checkpoint = (sequence, hash)
            }
        }
        let parts = try await checkParts()
        var walker = DecisionChain.Walker(after: checkpoint)
        var outcome = Outcome(decisions: 0, head: checkpoint?.sequence ?? 0, headHash: checkpoint?.hash ?? "")
        while true {
            let rows = try await connection.query(
                """
                SELECT seq, phase, verdict, data_product_id, data_product_version, stage, activity_id, task_id, principal,
                    policy_set_revision, gated_change, created_at, input, outcomes, previous_hash, hash, input_split
                FROM decisions WHERE seq > \(outcome.head) ORDER BY seq LIMIT \(Self.batch)
                """, logger: logger)
            var read = 0
            for try await row in rows {
                let cells = row.makeRandomAccess()
                let canonical = DecisionChain.Canonical(
                    sequence: try cells[0].decode(Int64.self), phase: try cells[1].decode(String.self), verdict: try cells[2].decode(String.self),
                    dataProductId: try cells[3].decode(String.self), dataProductVersion: try cells[4].decode(String.self),
                    stage: try cells[5].decode(String.self), activityId: try cells[6].decode(Int64.self), taskId: try cells[7].decode(Int64?.self),
                    principal: try cells[8].decode(String?.self), policySetRevision: try cells[9].decode(String.self),
                    gatedChange: try cells[10].decode(String.self), createdAt: try cells[11].decode(String.self), input: try cells[12].decode(String.self),
                    inputIsSplit: try cells[16].decode(Bool.self), outcomes: try cells[13].decode(String.self),
                    previousHash: try cells[14].decode(String.self))
                let stored = try cells[15].decode(String.self)
                if let problem = walker.check(canonical, storedHash: stored) ?? Self.partProblem(canonical, parts) {
                    outcome.problem = problem
                    return outcome
                }
                outcome.head = canonical.sequence
                outcome.headHash = stored
                outcome.decisions += 1
                read += 1
            }
            if read < Self.batch { break }
        }
        return outcome
    }

    /// Every stored part, by hash: whether its text still has that hash and every part it names
    /// is stored (a damaged part's parents are damaged too).
    func checkParts() async throws -> [String: Bool] {
        var bodies: [String: String] = [:]
        for try await (hash, body) in try await connection.query("SELECT hash, body FROM decision_parts", logger: logger).decode((String, String).self) {
            bodies[hash] = body
        }
        var sound: [String: Bool] = [:]
        func isSound(_ hash: String) -> Bool {
            if let known = sound[hash] { return known }
            sound[hash] = false
            guard let body = bodies[hash], DecisionInputParts.hash(body) == hash,
                let node = try? JSONValue.parse(body, maxDepth: PostgresLifecycleStore.nodeDepth)
            else { return false }
            let result = DecisionInputParts.references(in: node).allSatisfy(isSound)
            sound[hash] = result
            return result
        }
        for hash in bodies.keys { _ = isSound(hash) }
        return sound
    }

    /// The first damaged or missing part `canonical`'s input reaches.
    static func partProblem(_ canonical: DecisionChain.Canonical, _ parts: [String: Bool]) -> ChainProblem? {
        guard canonical.inputIsSplit else { return nil }
        guard let root = try? JSONValue.parse(canonical.input, maxDepth: PostgresLifecycleStore.nodeDepth) else {
            return ChainProblem(sequence: canonical.sequence, message: "decision \(canonical.sequence)'s input cannot be read")
        }
        for reference in DecisionInputParts.references(in: root) where parts[reference] != true {
            let what = parts[reference] == false ? "was altered: its content no longer matches its hash" : "is missing"
            return ChainProblem(sequence: canonical.sequence, message: "decision \(canonical.sequence)'s input part \(reference) \(what)")
        }
        return nil
    }

    static func failure(_ problem: ChainProblem) -> PostgresDatabase.Failure {
        PostgresDatabase.Failure(description: "the copied decision log does not verify at decision \(problem.sequence): \(problem.message); nothing was copied")
    }
}
