public import Foundation
public import TollgateJSON

/// One gate decision as the decision log stores it.
public struct DecisionRecord: Sendable, Equatable {
    /// Position in the log (gapless, from 1); assigned when committed.
    public var sequence: Int64
    public var phase: GatePhase
    public var verdict: GateVerdict
    public var dataProductId: String
    public var dataProductVersion: String
    public var stage: String
    public var activityId: Int64
    public var taskId: Int64?
    public var principal: String?
    public var policySetRevision: String
    /// The policy input, as evaluated.
    public var input: JSONValue
    public var outcomes: [GatePolicyOutcome]
    /// The state change this decision gated, in words (`activity 3: PLANNED -> PROCESSING`).
    public var gatedChange: String
    public var createdAt: Date
    /// Hash of the previous decision (empty for the first); set by the store.
    public var previousHash: String
    /// SHA-256 over this record and `previousHash`; set by the store.
    public var hash: String

    public init(
        sequence: Int64 = 0, phase: GatePhase, verdict: GateVerdict, dataProductId: String, dataProductVersion: String,
        stage: String, activityId: Int64, taskId: Int64?, principal: String?, policySetRevision: String,
        input: JSONValue, outcomes: [GatePolicyOutcome], gatedChange: String, createdAt: Date,
        previousHash: String = "", hash: String = ""
    ) {
        self.sequence = sequence
        self.phase = phase
        self.verdict = verdict
        self.dataProductId = dataProductId
        self.dataProductVersion = dataProductVersion
        self.stage = stage
        self.activityId = activityId
        self.taskId = taskId
        self.principal = principal
        self.policySetRevision = policySetRevision
        self.input = input
        self.outcomes = outcomes
        self.gatedChange = gatedChange
        self.createdAt = createdAt
        self.previousHash = previousHash
        self.hash = hash
    }
}
