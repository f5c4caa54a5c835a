import TollgateJSON
import TollgateLifecycle
import TollgateSQLite

extension SQLiteLifecycleStore {
    /// The first problem with the stored parts of decision inputs: a part whose text no longer
    /// has the hash it is stored under, or a part a node names that is not stored. It is reported
    /// at the first decision whose input reaches it.
    ///
    /// Checks the parts with ids in `parts` and the roots of the decisions after `afterSequence`,
    /// each part once (not once per decision naming it), so the check is linear in what is stored.
    func inputPartsProblem(parts: ClosedRange<Int64>, afterSequence: Int64) throws -> ChainProblem? {
        try withReader { db in
            let stored = try db.statement("SELECT 1 FROM decision_parts WHERE hash = ?")
            func isStored(_ hash: String) throws -> Bool { try stored.first([hash]) { _ in true } ?? false }
            var bad: [String: String] = [:]
            try db.statement("SELECT hash, body FROM decision_parts WHERE id BETWEEN ? AND ? ORDER BY id").forEachRow([
                parts.lowerBound, parts.upperBound,
            ]) { row in
                guard bad.count < 100 else { return }
                let hash = row.string(0), body = row.string(1)
                guard DecisionInputParts.hash(body) == hash, let node = try? JSONValue.parse(body, maxDepth: Self.nodeDepth) else {
                    bad[hash] = "was altered: its content no longer matches its hash"
                    return
                }
                for reference in DecisionInputParts.references(in: node) where try !isStored(reference) {
                    bad[reference] = "is missing"
                }
            }
            var found: ChainProblem?
            try db.statement("SELECT seq, input FROM decisions WHERE seq > ? AND input_split = 1 ORDER BY seq").forEachRow([afterSequence]) { row in
                guard found == nil else { return }
                let sequence = row.int64(0)
                guard let root = try? JSONValue.parse(row.string(1), maxDepth: Self.nodeDepth) else {
                    found = ChainProblem(sequence: sequence, message: "decision \(sequence)'s input cannot be read")
                    return
                }
                for reference in DecisionInputParts.references(in: root) where try bad[reference] == nil && !isStored(reference) {
                    bad[reference] = "is missing"
                }
            }
            guard !bad.isEmpty else { return found }
            return try firstDecisionReaching(bad, db, before: found?.sequence) ?? found
        }
    }

    /// The first decision (before `limit`) whose input reaches one of the `bad` parts.
    private func firstDecisionReaching(_ bad: [String: String], _ db: SQLiteConnection, before limit: Int64?) throws -> ChainProblem? {
        let body = try db.statement("SELECT body FROM decision_parts WHERE hash = ?")
        var reaches: [String: String?] = [:]
        /// The bad part `hash` reaches, if any.
        func badPart(under hash: String) throws -> String? {
            if bad[hash] != nil { return hash }
            if let known = reaches[hash] { return known }
            reaches[hash] = .some(nil)
            var found: String?
            if let text = try body.first([hash], { $0.string(0) }), let node = try? JSONValue.parse(text, maxDepth: Self.nodeDepth) {
                for reference in DecisionInputParts.references(in: node) {
                    if let part = try badPart(under: reference) {
                        found = part
                        break
                    }
                }
            }
            reaches[hash] = .some(found)
            return found
        }
        var problem: ChainProblem?
        try db.statement("SELECT seq, input FROM decisions WHERE input_split = 1 AND seq < ? ORDER BY seq").forEachRow([limit ?? .max]) { row in
            guard problem == nil, let root = try? JSONValue.parse(row.string(1), maxDepth: Self.nodeDepth) else { return }
            for reference in DecisionInputParts.references(in: root) {
                guard let part = try badPart(under: reference) else { continue }
                let sequence = row.int64(0)
                problem = ChainProblem(sequence: sequence, message: "decision \(sequence)'s input part \(part) \(bad[part] ?? "is damaged")")
                return
            }
        }
        return problem
    }
}
