/// Errors of the policy engine itself (not of individual policies, which become outcomes).
public enum PolicyEngineError: Error, Sendable, CustomStringConvertible {
    /// The policy directory does not exist or cannot be listed.
    case directory(String)
    /// A Lua state could not be prepared.
    case sandbox(String)
    /// A phase name that is not one of the three.
    case unknownPhase(String)

    public var description: String {
        switch self {
        case .directory(let message): message
        case .sandbox(let message): message
        case .unknownPhase(let name):
            "unknown phase '\(name)': expected one of \(PolicyPhase.names)"
        }
    }
}
