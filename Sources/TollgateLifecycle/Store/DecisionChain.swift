import Crypto
import Foundation
import TollgateJSON

/// The hash chain of the decision log: each decision's hash covers its content and the hash of the
/// decision before it, so editing, deleting or reordering any decision breaks every later link.
public enum DecisionChain {
    /// The stored text forms of a decision, exactly as hashed.
    public struct Canonical: Sendable, Equatable {
        public var sequence: Int64
        public var phase: String
        public var verdict: String
        public var dataProductId: String
        public var dataProductVersion: String
        public var stage: String
        public var activityId: Int64
        public var taskId: Int64?
        public var principal: String?
        public var policySetRevision: String
        public var gatedChange: String
        public var createdAt: String
        /// The input's JSON text, or with ``inputIsSplit`` the root node of its parts
        /// (see ``DecisionInputParts``).
        public var input: String
        public var inputIsSplit: Bool
        public var outcomes: String
        public var previousHash: String

        public init(
            sequence: Int64, phase: String, verdict: String, dataProductId: String, dataProductVersion: String,
            stage: String, activityId: Int64, taskId: Int64?, principal: String?, policySetRevision: String,
            gatedChange: String, createdAt: String, input: String, inputIsSplit: Bool = false, outcomes: String, previousHash: String
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
            self.gatedChange = gatedChange
            self.createdAt = createdAt
            self.input = input
            self.inputIsSplit = inputIsSplit
            self.outcomes = outcomes
            self.previousHash = previousHash
        }

        /// The canonical form of `record` at `sequence` after `previousHash`, its input stored
        /// whole, or as `storedInput` (the root of its parts).
        public init(_ record: DecisionRecord, sequence: Int64, previousHash: String, storedInput: DecisionInputParts.Encoded? = nil) {
            self.init(
                sequence: sequence, phase: record.phase.rawValue, verdict: record.verdict.rawValue,
                dataProductId: record.dataProductId, dataProductVersion: record.dataProductVersion, stage: record.stage,
                activityId: record.activityId, taskId: record.taskId, principal: record.principal,
                policySetRevision: record.policySetRevision, gatedChange: record.gatedChange,
                createdAt: Timestamp.formatMilliseconds(record.createdAt), input: storedInput?.root ?? record.input.serialized(),
                inputIsSplit: storedInput?.isSplit ?? false, outcomes: JSONValue.array(record.outcomes.map(\.jsonValue)).serialized(), previousHash: previousHash)
        }

        /// SHA-256 (hex) over every field, length-prefixed so no two records share a preimage; a
        /// split input is hashed as its root under another version tag, so the two forms never
        /// share a preimage either.
        public var hash: String {
            var hasher = SHA256()
            var prefix: [UInt8] = []
            prefix.reserveCapacity(24)
            func field(_ text: String) {
                var text = text
                text.withUTF8 { bytes in
                    prefix.removeAll(keepingCapacity: true)
                    Self.appendDecimal(bytes.count, to: &prefix)
                    prefix.append(UInt8(ascii: ":"))
                    prefix.withUnsafeBytes { hasher.update(bufferPointer: $0) }
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
                }
            }
            field(inputIsSplit ? "tollgate-decision-v2" : "tollgate-decision-v1")
            field(String(sequence))
            field(phase)
            field(verdict)
            field(dataProductId)
            field(dataProductVersion)
            field(stage)
            field(String(activityId))
            field(taskId.map(String.init) ?? "-")
            field(principal ?? "-")
            field(policySetRevision)
            field(gatedChange)
            field(createdAt)
            field(input)
            field(outcomes)
            field(previousHash)
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            var hex = [UInt8]()
            hex.reserveCapacity(64)
            for byte in hasher.finalize() {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: hex, as: UTF8.self)
        }

        /// The hashed bytes around the two fields a database appending the decision fills in
        /// itself: the version tag's field before the sequence, and every field between the
        /// sequence and the previous hash. `hash` is SHA-256 over `leading`, the sequence's field,
        /// `middle` and the previous hash's field, each field written `<UTF-8 length>:<text>`.
        public var hashedAroundPosition: (leading: [UInt8], middle: [UInt8]) {
            var leading: [UInt8] = []
            Self.appendField(inputIsSplit ? "tollgate-decision-v2" : "tollgate-decision-v1", to: &leading)
            var middle: [UInt8] = []
            for text in [phase, verdict, dataProductId, dataProductVersion, stage, String(activityId), taskId.map(String.init) ?? "-"] {
                Self.appendField(text, to: &middle)
            }
            for text in [principal ?? "-", policySetRevision, gatedChange, createdAt, input, outcomes] { Self.appendField(text, to: &middle) }
            return (leading, middle)
        }

        static func appendField(_ text: String, to bytes: inout [UInt8]) {
            let utf8 = Array(text.utf8)
            appendDecimal(utf8.count, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            bytes += utf8
        }

        static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
            if value >= 10 { appendDecimal(value / 10, to: &bytes) }
            bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
        }
    }

    /// The first problem in a sequence of stored decisions, or nil when the chain is intact.
    public static func firstProblem(in records: some Sequence<Canonical>, storedHashes: some Sequence<String>) -> ChainProblem? {
        var walker = Walker()
        for (record, stored) in zip(records, storedHashes) {
            if let problem = walker.check(record, storedHash: stored) { return problem }
        }
        return nil
    }

    /// Checks stored decisions one at a time, in sequence order, so a log of any length is verified
    /// in constant memory. A log whose oldest part was pruned starts after its checkpoint.
    public struct Walker: Sendable {
        var expectedSequence: Int64
        var previous: String

        /// A walk from the first decision, or from the one after `checkpoint` (the last pruned).
        public init(after checkpoint: (sequence: Int64, hash: String)? = nil) {
            expectedSequence = (checkpoint?.sequence ?? 0) + 1
            previous = checkpoint?.hash ?? ""
        }

        /// The problem `record` shows, if any; after a problem the walk stops being meaningful.
        public mutating func check(_ record: Canonical, storedHash stored: String) -> ChainProblem? {
            if record.sequence != expectedSequence {
                return ChainProblem(
                    sequence: record.sequence,
                    message: record.sequence > expectedSequence
                        ? "decision \(expectedSequence) is missing (the next stored is \(record.sequence))"
                        : "decision \(record.sequence) is out of order (expected \(expectedSequence))")
            }
            if record.previousHash != previous {
                return ChainProblem(
                    sequence: record.sequence, message: "decision \(record.sequence) does not follow the hash of decision \(record.sequence - 1)")
            }
            if record.hash != stored {
                return ChainProblem(sequence: record.sequence, message: "decision \(record.sequence) was altered: its content no longer matches its hash")
            }
            previous = stored
            expectedSequence += 1
            return nil
        }
    }
}

/// Where a decision chain breaks.
public struct ChainProblem: Sendable, Equatable, CustomStringConvertible {
    /// The first bad sequence number.
    public var sequence: Int64
    public var message: String

    public var description: String { message }

    public init(sequence: Int64, message: String) {
        self.sequence = sequence
        self.message = message
    }
}
