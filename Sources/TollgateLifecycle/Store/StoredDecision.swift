import Foundation
public import TollgateJSON

extension DecisionChain.Canonical {
    /// A stored decision that cannot be read back: its texts are not what Tollgate writes.
    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The decision these stored texts stand for, with its `hash` and its `input` (whole; a split
    /// input is read back from its parts by the store). Refuses texts Tollgate does not write,
    /// instead of guessing.
    public func record(hash: String, input: JSONValue) throws(Unreadable) -> DecisionRecord {
        guard let phase = GatePhase(rawValue: phase) else { throw Unreadable(description: "decision \(sequence): unknown phase '\(self.phase)'") }
        guard let verdict = GateVerdict(rawValue: verdict) else {
            throw Unreadable(description: "decision \(sequence): unknown verdict '\(self.verdict)'")
        }
        guard let created = Timestamp.parse(createdAt) else {
            throw Unreadable(description: "decision \(sequence): unreadable time '\(createdAt)'")
        }
        guard let stored = try? JSONValue.parse(outcomes), let list = stored.arrayValue else {
            throw Unreadable(description: "decision \(sequence): its outcomes are not a JSON array")
        }
        return DecisionRecord(
            sequence: sequence, phase: phase, verdict: verdict, dataProductId: dataProductId, dataProductVersion: dataProductVersion,
            stage: stage, activityId: activityId, taskId: taskId, principal: principal, policySetRevision: policySetRevision,
            input: input, outcomes: list.map(GatePolicyOutcome.init(stored:)), gatedChange: gatedChange, createdAt: created,
            previousHash: previousHash, hash: hash)
    }
}

extension GatePolicyOutcome {
    /// An outcome as the decision log stores it (``jsonValue``).
    public init(stored o: JSONValue) {
        self.init(
            policy: o["policy"]?.stringValue ?? "", revision: o["revision"]?.stringValue ?? "", file: o["file"]?.stringValue ?? "",
            blocking: o["blocking"]?.boolValue ?? false, outcome: o["outcome"]?.stringValue ?? "", effect: o["effect"]?.stringValue ?? "",
            reasons: o["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? [], details: o["details"], errorKind: o["error"]?.stringValue,
            durationNanoseconds: o["durationNanoseconds"]?.intValue ?? 0, instructions: o["instructions"]?.intValue ?? 0)
    }
}
