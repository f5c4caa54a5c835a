import Foundation
import Prometheus

/// What the service counts and measures, exposed at `/metrics` in Prometheus' text format by
/// swift-prometheus (which escapes label values: a policy's name may hold any character).
public final class TollgateMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    static let requestBuckets: [Duration] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5].map(seconds)
    static let evaluationBuckets: [Duration] = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.001, 0.01, 0.1, 1].map(seconds)

    public init() {}

    static func seconds(_ value: Double) -> Duration { .nanoseconds(Int64(value * 1e9)) }

    func request(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.name("http_requests_total", help: "HTTP requests by method, route and status."),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration_seconds", help: "HTTP request latency by route."), labels: [("route", route)],
            buckets: Self.requestBuckets
        ).record(duration)
    }

    func decision(phase: String, verdict: String, outcomes: [(policy: String, outcome: String, nanoseconds: Int64)]) {
        registry.makeCounter(
            descriptor: Self.name("gate_verdicts_total", help: "Gate verdicts by phase."), labels: [("phase", phase), ("verdict", verdict)]
        ).increment()
        for o in outcomes {
            registry.makeCounter(
                descriptor: Self.name("policy_outcomes_total", help: "Policy outcomes by phase, policy and outcome."),
                labels: [("phase", phase), ("policy", o.policy), ("outcome", o.outcome)]
            ).increment()
            registry.makeDurationHistogram(
                descriptor: Self.name("policy_evaluation_seconds", help: "Time of one evaluation of a policy."), labels: [("policy", o.policy)],
                buckets: Self.evaluationBuckets
            ).record(.nanoseconds(o.nanoseconds))
        }
    }

    /// Sets a gauge read from the store at scrape time.
    func set(_ name: String, help: String, labels: [(String, String)] = [], to value: Double) {
        registry.makeGauge(descriptor: Self.name(name, help: help), labels: labels).set(to: value)
    }

    /// Records a verification of the decision log: when, how far, and how many problems it found.
    func verified(through sequence: Int64?, problems: Int, at date: Date) {
        set("decision_log_verified_at_seconds", help: "When the decision log was last verified (Unix time).", to: date.timeIntervalSince1970)
        set("decision_log_verified_through_sequence", help: "The last decision the last verification covered.", to: Double(sequence ?? 0))
        set("decision_log_problems", help: "Problems the last verification of the decision log found.", to: Double(problems))
    }

    /// The swift-metrics factory over this registry, for the engine's counters.
    var factory: PrometheusMetricsFactory { PrometheusMetricsFactory(registry: registry) }

    /// The exposition text.
    func render() -> String { registry.emitToString() }

    static func name(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tollgate", metricName: name, unitName: "", helpText: help)
    }
}
