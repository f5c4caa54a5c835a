import Foundation
import Synchronization
import TollgateLifecycle
import TollgateStore

/// The overview's running verification of the decision log: each page load checks only what was
/// added since the previous one (from the hash it ended on), so a long log costs its full check
/// once, not on every load. A problem found stays reported until the server restarts; the API's
/// `decisions/verify` checks the whole log again.
final class LogWatch: Sendable {
    struct Summary: Sendable {
        /// Where the log is verified through.
        var position: VerifiedPosition?
        /// Decisions checked since the server started.
        var decisions = 0
        /// Decisions checked by the last load.
        var lastChecked = 0
        /// Problems found so far (the first few).
        var problems: [String] = []
        /// When the log was last verified.
        var at: Date?
    }

    private let summary = Mutex(Summary())

    /// Verifies what was added since the last call and returns the summary.
    func update(_ store: any AuditStore) async throws -> Summary {
        let since = summary.withLock { $0.position }
        let report = try await store.verifyLog(since: since, maximumProblems: 10)
        return summary.withLock { current in
            // Another load may have verified the same stretch meanwhile; count it once.
            guard current.position == since else { return current }
            current.position = report.position
            current.decisions += report.decisions
            current.lastChecked = report.decisions
            let found = (report.chain.map { ["chain broken at decision \($0.sequence): \($0.message)"] } ?? []) + report.completeness
            current.problems = Array((current.problems + found).prefix(10))
            current.at = Date()
            return current
        }
    }
}
