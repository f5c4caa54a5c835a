public import TollgateJSON

/// One policy's answer in a phase evaluation.
public struct PolicyResult: Sendable {
    /// Why an evaluation ended in `error`.
    public enum ErrorKind: String, Sendable, Codable {
        /// The policy raised an error.
        case runtime
        /// The instruction budget ran out.
        case instructionBudget = "instruction-budget"
        /// The memory limit was reached.
        case memoryLimit = "memory-limit"
        /// The wall-clock deadline passed.
        case deadline
        /// `evaluate` returned something that is not a decision.
        case badResult = "bad-result"
        /// The policy file is broken and was not evaluated.
        case brokenPolicy = "broken-policy"
    }

    /// The policy's name.
    public var policy: String
    /// SHA-256 of the policy source.
    public var revision: String
    /// The policy file.
    public var file: String
    /// Whether the policy is blocking.
    public var blocking: Bool
    /// The outcome.
    public var outcome: PolicyOutcome
    /// How the outcome counts toward the verdict.
    public var effect: PolicyEffect
    /// Reasons given with a deny, the error message for an error, the skip reason for a skip.
    public var reasons: [String]
    /// Structured details the policy attached.
    public var details: JSONValue?
    /// Set when the outcome is `error`.
    public var errorKind: ErrorKind?
    /// Wall time of the evaluation in nanoseconds.
    public var durationNanoseconds: Int64
    /// Lua VM instructions executed, counted in steps of 100, with the C work of library functions counted in.
    public var instructions: Int64
    /// Peak bytes the evaluation allocated.
    public var memoryBytes: Int

    public init(
        policy: String, revision: String, file: String, blocking: Bool, outcome: PolicyOutcome,
        effect: PolicyEffect, reasons: [String] = [], details: JSONValue? = nil, errorKind: ErrorKind? = nil,
        durationNanoseconds: Int64 = 0, instructions: Int64 = 0, memoryBytes: Int = 0
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
        self.memoryBytes = memoryBytes
    }
}
