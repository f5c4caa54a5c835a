/// What an error in a policy means for the phase (`on_error` in the policy table).
public enum PolicyErrorMode: String, Sendable, Codable {
    /// The error stops the phase.
    case block
    /// The error is recorded as a warning.
    case warn
    /// The error is recorded and counts for nothing.
    case ignore

    /// The default: blocking policies fail closed, non-blocking ones warn.
    static func `default`(blocking: Bool) -> PolicyErrorMode { blocking ? .block : .warn }
}
