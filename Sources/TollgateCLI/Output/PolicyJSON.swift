import TollgateJSON
import TollgatePolicy

/// JSON forms of engine results for `--format json`.
enum PolicyJSON {
    static func decision(_ d: PhaseDecision, input: String) -> JSONValue {
        var o = JSONObject()
        o["input"] = .string(input)
        o["phase"] = .string(d.phase.rawValue)
        o["verdict"] = .string(d.verdict.rawValue)
        o["policySetRevision"] = .string(d.policySetRevision)
        o["results"] = .array(d.results.map(\.jsonValue))
        return .object(o)
    }

    static func problem(_ p: PolicyProblem) -> JSONValue {
        ["file": .string(p.file), "line": .int(Int64(p.line)), "kind": .string(p.kind.rawValue), "message": .string(p.message)]
    }
}
