/// A policy's declaration, read from the table its file returns.
public struct Policy: Sendable, Equatable {
    /// Unique name within the set.
    public var name: String
    /// What the policy checks, for people.
    public var description: String
    /// The phases the policy runs at.
    public var phases: [PolicyPhase]
    /// Whether a deny stops the phase (true) or is recorded as a warning (false).
    public var blocking: Bool
    /// Where the policy applies.
    public var filter: PolicyFilter
    /// What an error in the policy means.
    public var onError: PolicyErrorMode

    public init(
        name: String, description: String, phases: [PolicyPhase], blocking: Bool,
        filter: PolicyFilter = PolicyFilter(), onError: PolicyErrorMode? = nil
    ) {
        self.name = name
        self.description = description
        self.phases = phases
        self.blocking = blocking
        self.filter = filter
        self.onError = onError ?? .default(blocking: blocking)
    }

    /// How an outcome of this policy counts toward the verdict.
    func effect(of outcome: PolicyOutcome) -> PolicyEffect {
        switch outcome {
        case .allow, .skipped: .none
        case .deny: blocking ? .block : .warn
        case .error:
            switch onError {
            case .block: .block
            case .warn: .warn
            case .ignore: .none
            }
        }
    }
}
