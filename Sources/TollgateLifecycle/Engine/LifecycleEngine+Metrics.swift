import CoreMetrics

extension LifecycleEngine {
    /// Counts one dispatch attempt of `executor`: `accepted`, `retried` (unreachable, tried again
    /// later), `given-up` (unreachable past its retry limit) or `refused`.
    func countDispatch(executor: String, outcome: String) {
        Counter(label: "tollgate_dispatches_total", dimensions: [("executor", executor), ("outcome", outcome)], factory: options.metrics)
            .increment()
    }
}
