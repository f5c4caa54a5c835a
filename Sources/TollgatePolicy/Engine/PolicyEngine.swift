import Synchronization
import TollgateJSON

/// The policy engine: the current policy set, swapped whole on reload.
///
/// ```swift
/// let engine = try PolicyEngine(directory: "policies")
/// let decision = engine.evaluate(.stageTransition, input: PolicyDocument(input))
/// if decision.verdict == .block { ... }
/// try engine.reload()   // after the files changed
/// ```
public final class PolicyEngine: Sendable {
    private let current: Mutex<PolicySet>
    /// The directory reloads read, if the engine was made from one.
    public let directory: String?
    /// Limits applied to every evaluation.
    public let limits: PolicyLimits

    /// Loads the policies of `directory`.
    public init(directory: String, limits: PolicyLimits = PolicyLimits()) throws(PolicyEngineError) {
        self.directory = directory
        self.limits = limits
        self.current = Mutex(try PolicySet.load(directory: directory, limits: limits))
    }

    /// Uses an already loaded set.
    public init(set: PolicySet) {
        self.directory = set.directory
        self.limits = set.limits
        self.current = Mutex(set)
    }

    /// The set evaluations use now.
    public var policySet: PolicySet { current.withLock { $0 } }

    /// Loads the directory again and swaps the new set in whole. Evaluations already running
    /// finish on the set they started with.
    @discardableResult
    public func reload() throws(PolicyEngineError) -> PolicySet {
        guard let directory else { throw .directory("this engine was not loaded from a directory") }
        let set = try PolicySet.load(directory: directory, limits: limits)
        replace(with: set)
        return set
    }

    /// Swaps in `set`.
    public func replace(with set: PolicySet) {
        current.withLock { $0 = set }
    }

    /// Evaluates every policy of `phase` on `input` with the current set.
    public func evaluate(_ phase: PolicyPhase, input: PolicyDocument) -> PhaseDecision {
        policySet.evaluate(phase, input: input)
    }
}
