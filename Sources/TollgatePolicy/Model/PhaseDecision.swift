/// The answer of a policy set for one phase and one input.
public struct PhaseDecision: Sendable {
    /// The phase evaluated.
    public var phase: PolicyPhase
    /// The combined verdict.
    public var verdict: PolicyVerdict
    /// Every policy of the phase, in the set's order (skips included).
    public var results: [PolicyResult]
    /// Revision of the policy set used from start to end.
    public var policySetRevision: String

    public init(phase: PolicyPhase, verdict: PolicyVerdict, results: [PolicyResult], policySetRevision: String) {
        self.phase = phase
        self.verdict = verdict
        self.results = results
        self.policySetRevision = policySetRevision
    }

    /// Results that stop the phase.
    public var blocking: [PolicyResult] { results.filter { $0.effect == .block } }
    /// Results recorded as warnings.
    public var warnings: [PolicyResult] { results.filter { $0.effect == .warn } }

    /// Combines per-policy effects: block beats warn beats pass.
    static func verdict(of results: [PolicyResult]) -> PolicyVerdict {
        PolicyVerdict(results.reduce(PolicyEffect.none) { max($0, $1.effect) })
    }
}
