public import TollgatePolicy

/// Builders of policy sources for tests.
public enum PolicySource {
    /// A complete policy file whose `evaluate` runs `body` (Lua statements using `input`).
    public static func policy(
        name: String, phases: [PolicyPhase] = [.stageTransition], blocking: Bool = true,
        extra: String = "", body: String
    ) -> String {
        let phaseList = phases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        return """
            return {
              name = "\(name)",
              description = "test policy \(name)",
              phases = { \(phaseList) },
              blocking = \(blocking),
              \(extra)
              evaluate = function(input)
                \(body)
              end,
            }
            """
    }

    /// Loads `sources` (path → text) as a set.
    public static func set(
        _ sources: [(String, String)], limits: PolicyLimits = PolicyLimits(), poolSize: Int? = nil
    ) throws -> PolicySet {
        try PolicySet.load(
            sources: sources.map { PolicySet.Source(path: $0.0, text: $0.1) }, limits: limits, poolSize: poolSize)
    }
}
