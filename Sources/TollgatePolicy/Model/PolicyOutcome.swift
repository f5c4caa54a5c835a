/// What one policy concluded about one input.
public enum PolicyOutcome: String, Sendable, Codable, CustomStringConvertible {
    /// The policy found nothing wrong.
    case allow
    /// The policy objected; its reasons say why.
    case deny
    /// The policy could not reach a conclusion (runtime error, budget, memory, broken policy).
    case error
    /// The policy's filter says it does not apply to this input.
    case skipped

    public var description: String { rawValue }
}

/// How an outcome counts toward the phase's verdict.
public enum PolicyEffect: String, Sendable, Codable, Comparable {
    /// Counts for nothing (allow, skip, an ignored error).
    case none
    /// A recorded warning; the phase goes on.
    case warn
    /// Stops the phase.
    case block

    private var rank: Int {
        switch self {
        case .none: 0
        case .warn: 1
        case .block: 2
        }
    }

    public static func < (lhs: PolicyEffect, rhs: PolicyEffect) -> Bool { lhs.rank < rhs.rank }
}

/// The combined verdict of a phase.
public enum PolicyVerdict: String, Sendable, Codable, CustomStringConvertible {
    /// Every policy allowed or was skipped.
    case pass
    /// Only non-blocking policies denied or failed.
    case warn
    /// A blocking policy denied or failed.
    case block

    public var description: String { rawValue }

    init(_ effect: PolicyEffect) {
        switch effect {
        case .none: self = .pass
        case .warn: self = .warn
        case .block: self = .block
        }
    }
}
