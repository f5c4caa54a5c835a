import Foundation
public import TollgateLifecycle
public import TollgatePolicy
public import TollgateStore

/// Evaluates recorded decision inputs again: with the policy revisions that made each decision
/// (replay: does the record hold up?), or with a candidate policy set (shadow: which past verdicts
/// would change?).
public struct DecisionReplay {
    /// One decision evaluated again.
    public struct Comparison: Sendable {
        public var decision: DecisionRecord
        public var verdict: GateVerdict
        /// What differs from the record, in words; empty when nothing does.
        public var differences: [String]

        public var matches: Bool { differences.isEmpty }
    }

    let store: SQLiteLifecycleStore
    private var sets: [String: PolicyEngine] = [:]

    public init(store: SQLiteLifecycleStore) { self.store = store }

    /// Evaluates `decision` with the policy sources it recorded.
    public mutating func replay(_ decision: DecisionRecord) throws -> Comparison {
        let revisions = Set(decision.outcomes.map(\.revision))
        let key = revisions.sorted().joined(separator: ",")
        let engine: PolicyEngine
        if let known = sets[key] {
            engine = known
        } else {
            let sources = try store.policySources(revisions: revisions)
            let missing = revisions.subtracting(sources.map(\.revision))
            guard missing.isEmpty else {
                return Comparison(
                    decision: decision, verdict: decision.verdict,
                    differences: ["the log lacks the source of revision(s) \(missing.sorted().joined(separator: ", ")); cannot replay"])
            }
            engine = PolicyEngine(set: try PolicySet.load(sources: sources.map { PolicySet.Source(path: $0.file, text: $0.source) }))
            sets[key] = engine
        }
        return Self.compare(decision, with: PolicyEngineGate(engine: engine).decide(decision.phase, input: decision.input))
    }

    /// Evaluates `decision`'s input with a candidate policy set.
    public static func shadow(_ decision: DecisionRecord, candidate: PolicyEngine) -> Comparison {
        compare(decision, with: PolicyEngineGate(engine: candidate).decide(decision.phase, input: decision.input), revisions: false)
    }

    static func compare(_ recorded: DecisionRecord, with fresh: GateDecision, revisions: Bool = true) -> Comparison {
        var differences: [String] = []
        if fresh.verdict != recorded.verdict {
            differences.append("verdict \(recorded.verdict.rawValue) -> \(fresh.verdict.rawValue)")
        }
        let before = Dictionary(recorded.outcomes.map { ($0.policy, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(fresh.outcomes.map { ($0.policy, $0) }, uniquingKeysWith: { a, _ in a })
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case (let old?, let new?):
                if old.outcome != new.outcome || old.effect != new.effect {
                    differences.append("\(name): \(old.outcome)/\(old.effect) -> \(new.outcome)/\(new.effect)")
                } else if old.reasons != new.reasons {
                    differences.append("\(name): reasons \(old.reasons) -> \(new.reasons)")
                } else if revisions && old.revision != new.revision {
                    differences.append("\(name): revision \(old.revision) -> \(new.revision)")
                }
            case (let old?, nil): differences.append("\(name): was \(old.outcome)/\(old.effect), not evaluated now")
            case (nil, let new?): differences.append("\(name): new, \(new.outcome)/\(new.effect)")
            case (nil, nil): break
            }
        }
        return Comparison(decision: recorded, verdict: fresh.verdict, differences: differences)
    }
}
