import Foundation
import Logging
import TollgateLifecycle

/// The gauges read from the store when `/metrics` is scraped. A read that fails leaves its gauge at
/// the value it had (Prometheus sees it unchanged rather than a made-up number) and is logged.
struct StoreGauges: Sendable {
    let store: any AuditStore
    let metrics: TollgateMetrics
    let logger: Logger

    func refresh() async {
        await read("the outbox") {
            let pending = try await store.pendingOutbox()
            metrics.set("outbox_pending", help: "Side effects recorded and not yet carried out.", to: Double(pending.count))
            let oldest = pending.map(\.createdAt).min().map { Date().timeIntervalSince($0) } ?? 0
            metrics.set("outbox_oldest_age_seconds", help: "Age of the oldest side effect not yet carried out.", to: oldest)
        }
        await read("the tasks by status") {
            let counts = try await store.taskCounts()
            for status in TaskStatus.allCases {
                metrics.set("tasks", help: "Tasks by status.", labels: [("status", status.rawValue)], to: Double(counts[status] ?? 0))
            }
        }
        await read("the decision chain's head") {
            let head = try await store.decisionHeadSequence()
            metrics.set("decision_chain_head_sequence", help: "Sequence of the newest decision in the log.", to: Double(head))
        }
        await read("the executor errors") {
            let errors = try await store.historyCount(kind: "executor-error")
            metrics.set("executor_errors", help: "Executor errors recorded in task histories.", to: Double(errors))
        }
    }

    private func read(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            logger.warning("metrics: could not read \(what); its gauge keeps its last value", metadata: ["error": "\(error)"])
        }
    }
}
