public import Foundation

/// Which decisions an auditor asks for. Every field narrows the set; nil fields do not.
public struct DecisionFilter: Sendable, Equatable {
    public var dataProductId: String?
    public var dataProductVersion: String?
    public var stage: String?
    public var activityId: Int64?
    public var taskId: Int64?
    /// `ACTIVITY_STAGE_TRANSITION`, `TASK_EXECUTION_RESULT` or `ACTIVITY_EXECUTION_RESULT`.
    public var phase: String?
    /// Decisions in which this policy took part.
    public var policy: String?
    /// A policy revision (of any outcome, or of `policy` when given) or a policy-set revision.
    public var revision: String?
    /// `pass`, `warn` or `block` (the combined verdict), or `allow`, `deny`, `error`, `skipped`
    /// (a policy's outcome, of `policy` when given).
    public var outcome: String?
    /// Who made the request that caused the decision.
    public var principal: String?
    /// From this time on (inclusive).
    public var from: Date?
    /// Before this time (exclusive).
    public var to: Date?
    /// Only decisions after this sequence number (the cursor of the previous page).
    public var after: Int64?
    /// At most this many.
    public var limit: Int?

    public init() {}

    /// The verdicts `outcome` may name; other values name a policy's outcome.
    public static let verdicts: Set<String> = ["pass", "warn", "block"]
    /// The policy outcomes `outcome` may name.
    public static let policyOutcomes: Set<String> = ["allow", "deny", "error", "skipped"]
}
