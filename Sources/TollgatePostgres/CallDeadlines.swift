import Synchronization

/// The deadlines of the calls in flight to PostgreSQL, checked together by one loop (``watch()``)
/// a few times a second: a call that outlives its deadline is cancelled. One shared loop instead
/// of a timer and a racing task per call, which cost the service benchmark 6% of Tollgate's CPU
/// (`perf`, 1 replica): every request makes a dozen calls.
final class CallDeadlines: Sendable {
    private struct Call {
        let deadline: ContinuousClock.Instant
        let cancel: @Sendable () -> Void
    }

    private struct Calls {
        var next: UInt64 = 0
        var running: [UInt64: Call] = [:]
    }

    private let calls = Mutex(Calls())
    /// How often deadlines are checked: a call is cancelled at most this long after its deadline.
    let resolution: Duration

    init(resolution: Duration = .milliseconds(250)) { self.resolution = resolution }

    /// Registers a call that `cancel` cancels once `deadline` has passed; its id for ``finish(_:)``.
    func start(deadline: ContinuousClock.Instant, cancel: @escaping @Sendable () -> Void) -> UInt64 {
        calls.withLock { calls in
            calls.next += 1
            calls.running[calls.next] = Call(deadline: deadline, cancel: cancel)
            return calls.next
        }
    }

    /// Forgets a call that ended.
    func finish(_ id: UInt64) {
        _ = calls.withLock { $0.running.removeValue(forKey: id) }
    }

    /// Cancels the calls past their deadline, until the task running it is cancelled.
    func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: resolution)
            let now = ContinuousClock.now
            let overdue = calls.withLock { calls in
                let overdue = calls.running.filter { $0.value.deadline <= now }
                for id in overdue.keys { calls.running[id] = nil }
                return overdue.values.map(\.cancel)
            }
            for cancel in overdue { cancel() }
        }
    }
}
