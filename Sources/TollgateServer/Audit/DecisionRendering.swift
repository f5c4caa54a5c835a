import Foundation
public import TollgateJSON
public import TollgateLifecycle

/// The forms a decision takes for auditors: JSON, a CSV row, and a readable account.
public enum DecisionRendering {
    /// The whole decision as JSON: what was decided, about what, by which revision, why, for whom.
    public static func json(_ d: DecisionRecord) -> JSONValue {
        var o = JSONObject()
        o["sequence"] = .int(d.sequence)
        o["phase"] = .string(d.phase.rawValue)
        o["verdict"] = .string(d.verdict.rawValue)
        o["dataProductId"] = .string(d.dataProductId)
        o["dataProductVersion"] = .string(d.dataProductVersion)
        o["stage"] = .string(d.stage)
        o["activityId"] = .int(d.activityId)
        o["taskId"] = d.taskId.map(JSONValue.int) ?? .null
        o["principal"] = d.principal.map(JSONValue.string) ?? .null
        o["policySetRevision"] = .string(d.policySetRevision)
        o["gatedChange"] = .string(d.gatedChange)
        o["createdAt"] = .string(Timestamp.formatMilliseconds(d.createdAt))
        o["outcomes"] = .array(d.outcomes.map(\.jsonValue))
        o["input"] = d.input
        o["previousHash"] = .string(d.previousHash)
        o["hash"] = .string(d.hash)
        return .object(o)
    }

    /// One NDJSON line of a decision as stored: the same JSON as ``json(_:)``, built from the
    /// stored text without decoding the input and outcomes.
    public static func ndjsonLine(_ stored: StoredDecision) -> String {
        let d = stored.record, hash = stored.hash
        func text(_ s: String) -> String { JSONValue.string(s).serialized() }
        var line = "{\"sequence\":\(d.sequence),\"phase\":\(text(d.phase)),\"verdict\":\(text(d.verdict))"
        line += ",\"dataProductId\":\(text(d.dataProductId)),\"dataProductVersion\":\(text(d.dataProductVersion)),\"stage\":\(text(d.stage))"
        line += ",\"activityId\":\(d.activityId),\"taskId\":\(d.taskId.map(String.init) ?? "null"),\"principal\":\(d.principal.map(text) ?? "null")"
        line += ",\"policySetRevision\":\(text(d.policySetRevision)),\"gatedChange\":\(text(d.gatedChange)),\"createdAt\":\(text(d.createdAt))"
        line += ",\"outcomes\":\(d.outcomes),\"input\":\(stored.input),\"previousHash\":\(text(d.previousHash)),\"hash\":\(text(hash))}"
        return line
    }

    /// The columns of a CSV export.
    public static let csvHeader = [
        "sequence", "createdAt", "phase", "verdict", "dataProductId", "dataProductVersion", "stage", "activityId", "taskId",
        "principal", "policySetRevision", "gatedChange", "policies", "reasons", "hash",
    ]

    /// One CSV row (RFC 4180 quoting); `policies` is `name=outcome` pairs, `reasons` every reason.
    public static func csvRow(_ d: DecisionRecord) -> String {
        let fields = [
            String(d.sequence), Timestamp.formatMilliseconds(d.createdAt), d.phase.rawValue, d.verdict.rawValue, d.dataProductId,
            d.dataProductVersion, d.stage, String(d.activityId), d.taskId.map(String.init) ?? "", d.principal ?? "",
            d.policySetRevision, d.gatedChange, d.outcomes.map { "\($0.policy)=\($0.outcome)" }.joined(separator: "; "),
            d.outcomes.flatMap { o in o.reasons.map { "\(o.policy): \($0)" } }.joined(separator: "; "), d.hash,
        ]
        return fields.map(csvField).joined(separator: ",")
    }

    /// One CSV cell: RFC 4180 quoting, and a cell a spreadsheet would take for a formula (starting
    /// with `=`, `+`, `-`, `@`, a tab or a carriage return) prefixed with `'` and quoted, as OWASP
    /// recommends against CSV injection.
    static func csvField(_ text: String) -> String {
        let formula = text.unicodeScalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } ?? false
        guard formula || text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + (formula ? "'" : "") + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The last line of an export: the log position and hash it covers, to check it against the live log.
    public static func exportTrailer(head: (sequence: Int64, hash: String)?, count: Int) -> JSONValue {
        ["export": ["decisions": .int(Int64(count)), "chainSequence": head.map { .int($0.sequence) } ?? .null, "chainHash": head.map { .string($0.hash) } ?? .null]]
    }

    /// A readable account of one decision.
    public static func explain(_ d: DecisionRecord) -> String {
        var lines: [String] = []
        let verdict = d.verdict.rawValue.uppercased()
        lines.append("Decision \(d.sequence): \(verdict) at the \(phaseName(d.phase)) of \(d.dataProductId) \(d.dataProductVersion), stage \(d.stage)")
        lines.append("  when:      \(Timestamp.formatMilliseconds(d.createdAt))")
        lines.append("  about:     \(d.gatedChange) (activity \(d.activityId)" + (d.taskId.map { ", task \($0)" } ?? "") + ")")
        lines.append("  requested: \(d.principal ?? "nobody recorded")")
        lines.append("  policies:  set revision \(d.policySetRevision)")
        for o in d.outcomes {
            let kind = o.blocking ? "blocking" : "non-blocking"
            let time = String(format: "%.1f µs", Double(o.durationNanoseconds) / 1000)
            lines.append("    - \(o.policy) (\(kind), revision \(String(o.revision.prefix(12)))): \(o.outcome) -> \(o.effect), \(time)")
            for reason in o.reasons { lines.append("        because: \(reason)") }
            if let details = o.details, !details.isNull { lines.append("        details: \(details.serialized())") }
            if let error = o.errorKind { lines.append("        error: \(error)") }
        }
        if d.outcomes.isEmpty { lines.append("    (no policy applied to this phase)") }
        let effect =
            switch d.verdict {
            case .pass: "the change went ahead"
            case .warn: "the change went ahead with warnings"
            case .block: "the change was refused"
            }
        lines.append("  so:        \(effect)")
        lines.append("  chain:     hash \(d.hash), after \(d.previousHash.isEmpty ? "(the first decision)" : d.previousHash)")
        lines.append("  input:")
        lines += d.input.serialized(pretty: true).split(separator: "\n").map { "    " + $0 }
        return lines.joined(separator: "\n")
    }

    static func phaseName(_ phase: GatePhase) -> String {
        switch phase {
        case .stageTransition: "stage transition"
        case .taskResult: "task result"
        case .activityResult: "activity result"
        }
    }

    /// A verification report as JSON.
    public static func json(_ v: LogVerification) -> JSONValue {
        [
            "intact": .bool(v.isIntact), "decisions": .int(Int64(v.decisions)),
            "chainSequence": v.head.map { .int($0.sequence) } ?? .null, "chainHash": v.head.map { .string($0.hash) } ?? .null,
            "chainProblem": v.chain.map { ["sequence": .int($0.sequence), "message": .string($0.message)] } ?? .null,
            "completenessProblems": .array(v.completeness.map(JSONValue.string)),
        ]
    }
}

/// Reads a decision filter from query parameters (`dataProductId`, `phase`, `from`, …).
public enum DecisionFilterParser {
    /// The parameter names, for documentation.
    public static let names = [
        "dataProductId", "dataProductVersion", "stage", "activityId", "taskId", "phase", "policy", "revision", "outcome", "principal",
        "from", "to", "cursor", "limit",
    ]

    /// The filter `value(name)` describes; throws a message naming the bad parameter.
    public static func parse(_ value: (String) -> String?) throws(DecisionFilterError) -> DecisionFilter {
        var f = DecisionFilter()
        f.dataProductId = value("dataProductId")
        f.dataProductVersion = value("dataProductVersion")
        f.stage = value("stage")
        f.activityId = try integer("activityId", value)
        f.taskId = try integer("taskId", value)
        if let phase = value("phase") {
            guard GatePhase(rawValue: phase) != nil else {
                throw DecisionFilterError("phase must be one of \(GatePhase.allCases.map(\.rawValue).joined(separator: ", ")), not '\(phase)'")
            }
            f.phase = phase
        }
        f.policy = value("policy")
        f.revision = value("revision")
        if let outcome = value("outcome") {
            guard DecisionFilter.verdicts.contains(outcome) || DecisionFilter.policyOutcomes.contains(outcome) else {
                throw DecisionFilterError("outcome must be pass, warn, block, allow, deny, error or skipped, not '\(outcome)'")
            }
            f.outcome = outcome
        }
        f.principal = value("principal")
        f.from = try time("from", value)
        f.to = try time("to", value)
        f.after = try integer("cursor", value)
        if let limit = try integer("limit", value) {
            guard limit > 0 else { throw DecisionFilterError("limit must be positive") }
            f.limit = Int(limit)
        }
        return f
    }

    static func integer(_ name: String, _ value: (String) -> String?) throws(DecisionFilterError) -> Int64? {
        guard let text = value(name) else { return nil }
        guard let number = Int64(text) else { throw DecisionFilterError("\(name) must be a whole number, not '\(text)'") }
        return number
    }

    static func time(_ name: String, _ value: (String) -> String?) throws(DecisionFilterError) -> Date? {
        guard let text = value(name) else { return nil }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        throw DecisionFilterError("\(name) must be an ISO 8601 time (2026-11-22T06:00:00Z), not '\(text)'")
    }
}

/// A decision filter that cannot be read, with the parameter named.
public struct DecisionFilterError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
