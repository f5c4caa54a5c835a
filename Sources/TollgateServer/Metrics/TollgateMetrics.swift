import Foundation
import Synchronization

/// Counters and histograms of the service, exposed at `/metrics` in Prometheus' text format.
public final class TollgateMetrics: Sendable {
    struct State {
        var requests: [String: Int] = [:]  // method|route|status
        var latencyBuckets: [Int] = Array(repeating: 0, count: TollgateMetrics.latencyBounds.count)
        var latencyCount = 0
        var latencySum = 0.0
        var verdicts: [String: Int] = [:]  // phase|verdict
        var outcomes: [String: Int] = [:]  // policy|outcome
        var evaluationBuckets: [Int] = Array(repeating: 0, count: TollgateMetrics.evaluationBounds.count)
        var evaluationCount = 0
        var evaluationSum = 0.0
    }

    static let latencyBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    static let evaluationBounds: [Double] = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.01]

    private let state = Mutex(State())

    public init() {}

    func request(method: String, route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests["\(method)|\(route)|\(status)", default: 0] += 1
            s.latencyCount += 1
            s.latencySum += seconds
            for (i, bound) in Self.latencyBounds.enumerated() where seconds <= bound { s.latencyBuckets[i] += 1 }
        }
    }

    func decision(phase: String, verdict: String, outcomes: [(policy: String, outcome: String, seconds: Double)]) {
        state.withLock { s in
            s.verdicts["\(phase)|\(verdict)", default: 0] += 1
            for o in outcomes {
                s.outcomes["\(o.policy)|\(o.outcome)", default: 0] += 1
                s.evaluationCount += 1
                s.evaluationSum += o.seconds
                for (i, bound) in Self.evaluationBounds.enumerated() where o.seconds <= bound { s.evaluationBuckets[i] += 1 }
            }
        }
    }

    /// The exposition text, with the gauges read at scrape time.
    func render(outboxDepth: Int, executorErrors: Int) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP tollgate_http_requests_total HTTP requests by method, route and status.\n"
        out += "# TYPE tollgate_http_requests_total counter\n"
        for (key, count) in s.requests.sorted(by: { $0.key < $1.key }) {
            let p = key.split(separator: "|", omittingEmptySubsequences: false)
            out += "tollgate_http_requests_total{method=\"\(p[0])\",route=\"\(Self.escape(String(p[1])))\",status=\"\(p[2])\"} \(count)\n"
        }
        out += Self.histogram(
            "tollgate_http_request_duration_seconds", "HTTP request latency.", Self.latencyBounds, s.latencyBuckets,
            s.latencyCount, s.latencySum)
        out += "# HELP tollgate_gate_verdicts_total Gate verdicts by phase.\n# TYPE tollgate_gate_verdicts_total counter\n"
        for (key, count) in s.verdicts.sorted(by: { $0.key < $1.key }) {
            let p = key.split(separator: "|")
            out += "tollgate_gate_verdicts_total{phase=\"\(p[0])\",verdict=\"\(p[1])\"} \(count)\n"
        }
        out += "# HELP tollgate_policy_outcomes_total Policy outcomes by policy.\n# TYPE tollgate_policy_outcomes_total counter\n"
        for (key, count) in s.outcomes.sorted(by: { $0.key < $1.key }) {
            let p = key.split(separator: "|")
            out += "tollgate_policy_outcomes_total{policy=\"\(Self.escape(String(p[0])))\",outcome=\"\(p[1])\"} \(count)\n"
        }
        out += Self.histogram(
            "tollgate_policy_evaluation_seconds", "Time of one policy evaluation.", Self.evaluationBounds,
            s.evaluationBuckets, s.evaluationCount, s.evaluationSum)
        out += "# HELP tollgate_outbox_pending Side effects recorded and not yet carried out.\n# TYPE tollgate_outbox_pending gauge\n"
        out += "tollgate_outbox_pending \(outboxDepth)\n"
        out += "# HELP tollgate_executor_errors_total Executor errors recorded in task histories.\n# TYPE tollgate_executor_errors_total counter\n"
        out += "tollgate_executor_errors_total \(executorErrors)\n"
        return out
    }

    static func histogram(_ name: String, _ help: String, _ bounds: [Double], _ buckets: [Int], _ count: Int, _ sum: Double) -> String {
        var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (i, bound) in bounds.enumerated() { out += "\(name)_bucket{le=\"\(bound)\"} \(buckets[i])\n" }
        out += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
