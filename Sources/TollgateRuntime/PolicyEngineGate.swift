public import NIOPosix
public import TollgateJSON
public import TollgateLifecycle
public import TollgatePolicy

/// The lifecycle's policy gate, answered by the embedded Lua policy engine.
///
/// A policy may run until its deadline (a second by default). Evaluations therefore run on the
/// threads of `threads`, not on Swift's cooperative pool, whose few threads (one per core) also
/// serve HTTP: however many evaluations run, requests are still answered.
public struct PolicyEngineGate: PolicyGate {
    public let engine: PolicyEngine
    /// Where evaluations run; `nil` runs them on the caller's thread (command-line tools).
    public let threads: NIOThreadPool?

    public init(engine: PolicyEngine, threads: NIOThreadPool? = nil) {
        self.engine = engine
        self.threads = threads
    }

    public func evaluate(_ phase: GatePhase, input: JSONValue) async -> GateDecision {
        guard let threads else { return decide(phase, input: input) }
        do {
            return try await threads.runIfActive { [self] in decide(phase, input: input) }
        } catch {
            // The pool is shut down, or the task was cancelled before the pool took the work (which
            // then never ran): the decision is still owed, and made here.
            return decide(phase, input: input)
        }
    }

    /// Evaluates on the caller's thread.
    public func decide(_ phase: GatePhase, input: JSONValue) -> GateDecision {
        let policyPhase: PolicyPhase =
            switch phase {
            case .stageTransition: .stageTransition
            case .taskResult: .taskResult
            case .activityResult: .activityResult
            }
        let decision = engine.evaluate(policyPhase, input: PolicyDocument(input))
        let verdict: GateVerdict =
            switch decision.verdict {
            case .pass: .pass
            case .warn: .warn
            case .block: .block
            }
        return GateDecision(
            phase: phase, verdict: verdict, policySetRevision: decision.policySetRevision,
            outcomes: decision.results.map { r in
                GatePolicyOutcome(
                    policy: r.policy, revision: r.revision, file: r.file, blocking: r.blocking, outcome: r.outcome.rawValue,
                    effect: r.effect.rawValue, reasons: r.reasons, details: r.details, errorKind: r.errorKind?.rawValue,
                    durationNanoseconds: r.durationNanoseconds, instructions: r.instructions)
            })
    }

    public func sources(revisions: Set<String>) -> [PolicySourceRecord] {
        engine.policySet.files.filter { revisions.contains($0.revision) }.map {
            PolicySourceRecord(revision: $0.revision, name: $0.name, file: $0.path, source: $0.source)
        }
    }
}
