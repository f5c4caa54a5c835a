import TollgateJSON
import TollgateLifecycle

/// A policy gate that counts verdicts and outcomes on their way through.
struct CountingGate: PolicyGate {
    let gate: any PolicyGate
    let metrics: TollgateMetrics

    func evaluate(_ phase: GatePhase, input: JSONValue) async -> GateDecision {
        let decision = await gate.evaluate(phase, input: input)
        metrics.decision(
            phase: phase.rawValue, verdict: decision.verdict.rawValue,
            outcomes: decision.outcomes.map { ($0.policy, $0.outcome, Int64($0.durationNanoseconds)) })
        return decision
    }

    func sources(revisions: Set<String>) -> [PolicySourceRecord] { gate.sources(revisions: revisions) }
}
