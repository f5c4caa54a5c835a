import TollgateJSON
import TollgatePolicy

/// JSON forms of engine results for `--format json`.
enum PolicyJSON {
    static func result(_ r: PolicyResult) -> JSONValue {
        var o = JSONObject()
        o["policy"] = .string(r.policy)
        o["file"] = .string(r.file)
        o["revision"] = .string(r.revision)
        o["blocking"] = .bool(r.blocking)
        o["outcome"] = .string(r.outcome.rawValue)
        o["effect"] = .string(r.effect.rawValue)
        o["reasons"] = .array(r.reasons.map(JSONValue.string))
        if let details = r.details { o["details"] = details }
        if let kind = r.errorKind { o["error"] = .string(kind.rawValue) }
        o["durationNanoseconds"] = .int(r.durationNanoseconds)
        o["instructions"] = .int(r.instructions)
        o["memoryBytes"] = .int(Int64(r.memoryBytes))
        return .object(o)
    }

    static func decision(_ d: PhaseDecision, input: String) -> JSONValue {
        var o = JSONObject()
        o["input"] = .string(input)
        o["phase"] = .string(d.phase.rawValue)
        o["verdict"] = .string(d.verdict.rawValue)
        o["policySetRevision"] = .string(d.policySetRevision)
        o["results"] = .array(d.results.map(result))
        return .object(o)
    }

    static func problem(_ p: PolicyProblem) -> JSONValue {
        ["file": .string(p.file), "line": .int(Int64(p.line)), "kind": .string(p.kind.rawValue), "message": .string(p.message)]
    }
}
