public import TollgateJSON

/// The three gated phases, named as ODM names its events.
public enum GatePhase: String, Sendable, Codable, CaseIterable {
    case stageTransition = "ACTIVITY_STAGE_TRANSITION"
    case taskResult = "TASK_EXECUTION_RESULT"
    case activityResult = "ACTIVITY_EXECUTION_RESULT"
}

/// A phase's combined verdict.
public enum GateVerdict: String, Sendable, Codable {
    case pass, warn, block
}

/// One policy's answer, as the decision log keeps it.
public struct GatePolicyOutcome: Sendable, Equatable {
    public var policy: String
    public var revision: String
    public var file: String
    public var blocking: Bool
    /// `allow`, `deny`, `error` or `skipped`.
    public var outcome: String
    /// `none`, `warn` or `block`.
    public var effect: String
    public var reasons: [String]
    public var details: JSONValue?
    public var errorKind: String?
    public var durationNanoseconds: Int64
    public var instructions: Int64

    public init(
        policy: String, revision: String, file: String, blocking: Bool, outcome: String, effect: String,
        reasons: [String], details: JSONValue? = nil, errorKind: String? = nil, durationNanoseconds: Int64 = 0,
        instructions: Int64 = 0
    ) {
        self.policy = policy
        self.revision = revision
        self.file = file
        self.blocking = blocking
        self.outcome = outcome
        self.effect = effect
        self.reasons = reasons
        self.details = details
        self.errorKind = errorKind
        self.durationNanoseconds = durationNanoseconds
        self.instructions = instructions
    }

    /// The JSON form stored in the decision log.
    public var jsonValue: JSONValue {
        var o = JSONObject()
        o["policy"] = .string(policy)
        o["revision"] = .string(revision)
        o["file"] = .string(file)
        o["blocking"] = .bool(blocking)
        o["outcome"] = .string(outcome)
        o["effect"] = .string(effect)
        o["reasons"] = .array(reasons.map(JSONValue.string))
        if let details { o["details"] = details }
        if let errorKind { o["error"] = .string(errorKind) }
        o["durationNanoseconds"] = .int(durationNanoseconds)
        o["instructions"] = .int(instructions)
        return .object(o)
    }
}

/// A gate's answer for one phase and one input.
public struct GateDecision: Sendable, Equatable {
    public var phase: GatePhase
    public var verdict: GateVerdict
    public var policySetRevision: String
    public var outcomes: [GatePolicyOutcome]

    public init(phase: GatePhase, verdict: GateVerdict, policySetRevision: String, outcomes: [GatePolicyOutcome]) {
        self.phase = phase
        self.verdict = verdict
        self.policySetRevision = policySetRevision
        self.outcomes = outcomes
    }

    /// "policy: reason" for every outcome that blocks.
    public var blockingReasons: [String] {
        outcomes.filter { $0.effect == "block" }.flatMap { o in
            o.reasons.isEmpty ? ["\(o.policy): \(o.outcome)"] : o.reasons.map { "\(o.policy): \($0)" }
        }
    }

    /// "policy: reason" for every warning.
    public var warnings: [String] {
        outcomes.filter { $0.effect == "warn" }.flatMap { o in o.reasons.map { "\(o.policy): \($0)" } }
    }
}

/// The source of a policy revision, kept so any decision can be replayed.
public struct PolicySourceRecord: Sendable, Equatable {
    public var revision: String
    public var name: String
    public var file: String
    public var source: String

    public init(revision: String, name: String, file: String, source: String) {
        self.revision = revision
        self.name = name
        self.file = file
        self.source = source
    }
}

/// Asks policies about a phase. The policy engine implements it; the lifecycle only sees verdicts.
public protocol PolicyGate: Sendable {
    /// Evaluates the phase's policies on `input` (the documented policy input). A gate that runs
    /// code of unknown cost (policies) runs it off the threads of Swift's cooperative pool.
    func evaluate(_ phase: GatePhase, input: JSONValue) async -> GateDecision
    /// The sources of the given revisions (those the gate knows).
    func sources(revisions: Set<String>) -> [PolicySourceRecord]
}

/// A gate with no policies: every phase passes.
public struct OpenGate: PolicyGate {
    public init() {}

    public func evaluate(_ phase: GatePhase, input: JSONValue) async -> GateDecision {
        GateDecision(phase: phase, verdict: .pass, policySetRevision: "none", outcomes: [])
    }

    public func sources(revisions: Set<String>) -> [PolicySourceRecord] { [] }
}
