public import TollgateLifecycle

/// What verifying the decision log found.
public struct LogVerification: Sendable, Equatable {
    /// Decisions in the log.
    public var decisions: Int
    /// The last decision's position and hash: what the verification covers.
    public var head: (sequence: Int64, hash: String)?
    /// The first break of the hash chain or of the gapless sequence.
    public var chain: ChainProblem?
    /// Completeness problems: decisions whose gated change was never recorded, gated changes whose
    /// decision is missing; the first few, each naming what to look at.
    public var completeness: [String]

    public var isIntact: Bool { chain == nil && completeness.isEmpty }

    public static func == (a: LogVerification, b: LogVerification) -> Bool {
        a.decisions == b.decisions && a.head?.sequence == b.head?.sequence && a.head?.hash == b.head?.hash && a.chain == b.chain
            && a.completeness == b.completeness
    }
}
