public import Foundation
import TollgateJSON

/// What the auditor's charts need of a decision: when it was made, its verdict and each policy's
/// answer (without the input).
public struct DecisionDigest: Sendable, Equatable {
    public var createdAt: Date
    public var verdict: GateVerdict
    public var outcomes: [GatePolicyOutcome]

    public init(createdAt: Date, verdict: GateVerdict, outcomes: [GatePolicyOutcome]) {
        self.createdAt = createdAt
        self.verdict = verdict
        self.outcomes = outcomes
    }

    /// A digest from the stored columns (`created_at`, `verdict`, `outcomes`); nil when they do
    /// not read as a decision's.
    public init?(createdAt: String, verdict: String, outcomes: String) {
        guard let created = Timestamp.parse(createdAt), let verdict = GateVerdict(rawValue: verdict),
            let list = (try? JSONValue.parse(outcomes))?.arrayValue
        else { return nil }
        self.init(createdAt: created, verdict: verdict, outcomes: list.map(GatePolicyOutcome.init(stored:)))
    }
}
