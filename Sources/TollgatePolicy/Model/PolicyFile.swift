/// One policy file of a set: its source, its revision, and what loading it gave.
public struct PolicyFile: Sendable {
    /// How the file loaded.
    public enum Status: Sendable {
        /// The declaration is valid.
        case loaded(Policy)
        /// The file is broken. `declared` holds what could still be read of the declaration;
        /// when nothing could, the file counts as a blocking policy of every phase (fail closed).
        case broken(PolicyProblem, declared: Policy?)
    }

    /// The path as given to the loader (used in messages and chunk names).
    public let path: String
    /// The Lua source.
    public let source: String
    /// SHA-256 of the source, lower-case hex: the policy revision decisions record.
    public let revision: String
    /// What loading gave.
    public let status: Status
    /// Slot of the compiled chunk in every worker of the set.
    let slot: Int32
    /// Things worth fixing that do not stop the policy from loading (unknown fields).
    public let warnings: [PolicyProblem]

    init(path: String, source: String, revision: String, status: Status, slot: Int32, warnings: [PolicyProblem] = []) {
        self.path = path
        self.source = source
        self.revision = revision
        self.status = status
        self.slot = slot
        self.warnings = warnings
    }

    /// The valid declaration, if the file loaded.
    public var policy: Policy? {
        if case .loaded(let policy) = status { return policy }
        return nil
    }

    /// The problem, if the file is broken.
    public var problem: PolicyProblem? {
        if case .broken(let problem, _) = status { return problem }
        return nil
    }

    /// The name decisions report: the declared name, or the file path when there is none.
    public var name: String {
        switch status {
        case .loaded(let policy): policy.name
        case .broken(_, let declared): declared?.name ?? path
        }
    }

    /// Whether this file takes part in `phase`.
    func runs(at phase: PolicyPhase) -> Bool {
        switch status {
        case .loaded(let policy): policy.phases.contains(phase)
        case .broken(_, let declared): declared?.phases.contains(phase) ?? true
        }
    }
}
