

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

    /// Where the verification got to: where a later one checking only what was added starts.
    public var position: VerifiedPosition?

    public init(
        decisions: Int, head: (sequence: Int64, hash: String)?, chain: ChainProblem?, completeness: [String],
        position: VerifiedPosition? = nil
    ) {
        self.decisions = decisions
        self.head = head
        self.chain = chain
        self.completeness = completeness
        self.position = position
    }

    public var isIntact: Bool { chain == nil && completeness.isEmpty }

    public static func == (a: LogVerification, b: LogVerification) -> Bool {
        a.decisions == b.decisions && a.head?.sequence == b.head?.sequence && a.head?.hash == b.head?.hash && a.chain == b.chain
            && a.completeness == b.completeness
    }
}

/// A place in the log up to which it was verified: the last decision checked and its hash, the
/// last recorded state change, and the last decision-input part.
public struct VerifiedPosition: Sendable, Equatable {
    public var sequence: Int64
    public var hash: String
    public var transitionId: Int64
    public var partId: Int64

    public init(sequence: Int64, hash: String, transitionId: Int64, partId: Int64 = 0) {
        self.sequence = sequence
        self.hash = hash
        self.transitionId = transitionId
        self.partId = partId
    }
}
