public import TollgateJSON

extension PolicyResult {
    /// The JSON form every surface uses (CLI, API, policy tests): what was decided, by which
    /// revision, why, and at what cost.
    public var jsonValue: JSONValue {
        var o = JSONObject()
        o["policy"] = .string(policy)
        o["file"] = .string(file)
        o["revision"] = .string(revision)
        o["blocking"] = .bool(blocking)
        o["outcome"] = .string(outcome.rawValue)
        o["effect"] = .string(effect.rawValue)
        o["reasons"] = .array(reasons.map(JSONValue.string))
        if let details { o["details"] = details }
        if let errorKind { o["error"] = .string(errorKind.rawValue) }
        o["durationNanoseconds"] = .int(durationNanoseconds)
        o["instructions"] = .int(instructions)
        o["memoryBytes"] = .int(Int64(memoryBytes))
        return .object(o)
    }
}
