/// What a caller may do.
public enum Role: String, Sendable, CaseIterable, Equatable {
    /// Create, start, abort activities and tasks.
    case submitter
    /// Reload policies and evaluate them on given inputs.
    case policyAdmin = "policy-admin"
    /// Read everything, decisions included.
    case auditor
    /// Everything.
    case admin
}
