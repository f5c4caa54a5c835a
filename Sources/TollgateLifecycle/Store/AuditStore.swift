public import Foundation

/// What auditors and operators read from a store besides the lifecycle's own state: the decision
/// log (queried, exported, verified, pruned under legal holds) and the history around it.
public protocol AuditStore: LifecycleStore {
    /// The decisions `filter` selects, in log order.
    func decisions(matching filter: DecisionFilter) async throws -> [DecisionRecord]
    /// One decision by its sequence number.
    func decision(sequence: Int64) async throws -> DecisionRecord?
    /// The decisions that gated one task's results, in log order.
    func decisions(taskId: Int64) async throws -> [DecisionRecord]
    /// The decisions `filter` selects as stored: their exact text and hash, with the input whole.
    func storedDecisions(matching filter: DecisionFilter) async throws -> [StoredDecision]
    /// The last decision's position and hash.
    func chainHead() async throws -> (sequence: Int64, hash: String)?
    /// The newest decision's sequence (0 for an empty log): a constant-time read that does not
    /// wait for writers (readiness checks make it).
    func decisionHeadSequence() async throws -> Int64
    /// The log checked end to end (chain, gapless sequence, input parts, completeness), or only
    /// what was added after `since`.
    func verifyLog(since: VerifiedPosition?, maximumProblems: Int) async throws -> LogVerification
    /// The policy sources recorded under these revisions.
    func policySources(revisions: Set<String>) async throws -> [PolicySourceRecord]

    /// A task's execution history in the order it happened.
    func history(taskId: Int64) async throws -> [ExecutionEvent]
    /// Execution history entries of one kind (`executor-error`, ...).
    func historyCount(kind: String) async throws -> Int
    /// The newest decisions made at or after `since`, at most `limit`, newest first, without their
    /// inputs (for charts).
    func decisionDigests(since: Date, limit: Int) async throws -> [DecisionDigest]
    /// How many tasks are in each status (statuses with none left out).
    func taskCounts() async throws -> [TaskStatus: Int]
    /// The newest activities, newest first.
    func recentActivities(limit: Int) async throws -> [Activity]
    /// Every task, oldest first.
    func allTasks() async throws -> [LifecycleTask]
    /// Every stage record, oldest first.
    func allStageRecords() async throws -> [StageRecord]

    /// Every checkpoint, oldest first: the record of every pruning.
    func checkpoints() async throws -> [DecisionCheckpoint]
    func setLegalHold(name: String, reason: String, principal: String?, at: Date) async throws
    func releaseLegalHold(name: String) async throws
    func legalHolds() async throws -> [(name: String, reason: String)]
    /// Removes the decisions before `horizon` (whole activities only), recording a checkpoint.
    func prune(before horizon: Date, principal: String?, now: Date) async throws -> DecisionCheckpoint?
}

/// A decision as stored, with its input whole.
public struct StoredDecision: Sendable {
    /// The stored text, exactly as hashed.
    public var record: DecisionChain.Canonical
    public var hash: String
    /// The input's JSON text.
    public var input: String

    public init(record: DecisionChain.Canonical, hash: String, input: String) {
        self.record = record
        self.hash = hash
        self.input = input
    }
}

/// A recorded pruning: the log's oldest decisions, through `throughSequence`, were removed; the
/// remaining chain continues from `throughHash`.
public struct DecisionCheckpoint: Sendable, Equatable {
    public var throughSequence: Int64
    public var throughHash: String
    public var pruned: Int
    public var horizon: Date
    public var at: Date
    public var principal: String?

    public init(throughSequence: Int64, throughHash: String, pruned: Int, horizon: Date, at: Date, principal: String?) {
        self.throughSequence = throughSequence
        self.throughHash = throughHash
        self.pruned = pruned
        self.horizon = horizon
        self.at = at
        self.principal = principal
    }
}

/// A reason pruning is refused.
public struct RetentionError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

