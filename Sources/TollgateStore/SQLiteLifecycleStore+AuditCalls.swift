import Dispatch
public import Foundation
public import TollgateLifecycle

/// The auditor's calls as the server makes them: each runs the synchronous call of the same name
/// on a queue of the store's own, so that a long read (a query over the whole log, a verification)
/// waits for the database on a thread of its own and never on one of the threads that serve HTTP.
/// Command-line tools call the synchronous versions directly.
extension SQLiteLifecycleStore {
    /// Where the auditor's calls run; concurrent, so that a verification (which reads on connections
    /// of its own) holds up no other call. The others share the store's connection, one at a time.
    private static let auditQueue = DispatchQueue(label: "tollgate.sqlite-audit", attributes: .concurrent)

    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Self.auditQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    public func decisions(matching filter: DecisionFilter) async throws -> [DecisionRecord] {
        try await offPool { try self.decisions(matching: filter) }
    }

    public func decision(sequence: Int64) async throws -> DecisionRecord? {
        try await offPool { try self.decision(sequence: sequence) }
    }

    public func decisions(taskId: Int64) async throws -> [DecisionRecord] {
        try await offPool { try self.decisions(taskId: taskId) }
    }

    public func storedDecisions(matching filter: DecisionFilter) async throws -> [StoredDecision] {
        try await offPool { try self.storedDecisions(matching: filter) }
    }

    public func chainHead() async throws -> (sequence: Int64, hash: String)? {
        try await offPool { try self.chainHead() }
    }

    public func decisionHeadSequence() async throws -> Int64 {
        try await offPool { try self.decisionHeadSequence() }
    }

    public func verifyLog(since: VerifiedPosition?, maximumProblems: Int) async throws -> LogVerification {
        try await offPool { try self.verifyLog(since: since, maximumProblems: maximumProblems) }
    }

    public func policySources(revisions: Set<String>) async throws -> [PolicySourceRecord] {
        try await offPool { try self.policySources(revisions: revisions) }
    }

    public func history(taskId: Int64) async throws -> [ExecutionEvent] {
        try await offPool { try self.history(taskId: taskId) }
    }

    public func historyCount(kind: String) async throws -> Int {
        try await offPool { try self.historyCount(kind: kind) }
    }

    public func decisionDigests(since: Date, limit: Int) async throws -> [DecisionDigest] {
        try await offPool { try self.decisionDigests(since: since, limit: limit) }
    }

    public func taskCounts() async throws -> [TaskStatus: Int] {
        try await offPool { try self.taskCounts() }
    }

    public func recentActivities(limit: Int) async throws -> [Activity] {
        try await offPool { try self.recentActivities(limit: limit) }
    }

    public func allTasks() async throws -> [LifecycleTask] {
        try await offPool { try self.allTasks() }
    }

    public func allStageRecords() async throws -> [StageRecord] {
        try await offPool { try self.allStageRecords() }
    }

    public func checkpoints() async throws -> [DecisionCheckpoint] {
        try await offPool { try self.checkpoints() }
    }

    public func setLegalHold(name: String, reason: String, principal: String?, at: Date) async throws {
        try await offPool { try self.setLegalHold(name: name, reason: reason, principal: principal, at: at) }
    }

    public func releaseLegalHold(name: String) async throws {
        try await offPool { try self.releaseLegalHold(name: name) }
    }

    public func legalHolds() async throws -> [(name: String, reason: String)] {
        try await offPool { try self.legalHolds() }
    }

    public func prune(before horizon: Date, principal: String?, now: Date) async throws -> DecisionCheckpoint? {
        try await offPool { try self.prune(before: horizon, principal: principal, now: now) }
    }
}
