/// When an executor may next ask a CI service about each run it follows.
///
/// The engine asks about every running task on each recovery round; a schedule keeps the calls to
/// the service down: a run is polled at `first`, then at twice the interval each time nothing
/// changed, up to `maximum`, back to `first` when something did. When the service says to slow
/// down (429, `Retry-After`, a spent `RateLimit-*` quota) every poll waits until it allows.
actor PollSchedule {
    private struct Entry {
        var next: ContinuousClock.Instant
        var interval: Duration
        var lastState: String?
    }

    let first: Duration
    let maximum: Duration
    private var entries: [String: Entry] = [:]
    private var pausedUntil: ContinuousClock.Instant?

    init(first: Duration, maximum: Duration) {
        self.first = first
        self.maximum = max(first, maximum)
    }

    /// Whether `run` may be polled now (`force` ignores the interval, not a pause).
    func isDue(_ run: String, force: Bool = false) -> Bool {
        let now = ContinuousClock.now
        if let pausedUntil, now < pausedUntil { return false }
        guard !force, let entry = entries[run] else { return true }
        return now >= entry.next
    }

    /// Records a poll of `run` that found it in `state`.
    func polled(_ run: String, state: String) {
        let now = ContinuousClock.now
        var entry = entries[run] ?? Entry(next: now, interval: first, lastState: nil)
        entry.interval = entry.lastState == state ? min(entry.interval * 2, maximum) : first
        entry.lastState = state
        entry.next = now + entry.interval
        entries[run] = entry
    }

    /// Holds every poll back for `duration` (the service asked for it).
    func pause(for duration: Duration) {
        let until = ContinuousClock.now + duration
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
    }

    /// Whether polls are held back now, and until when.
    var pause: ContinuousClock.Instant? {
        guard let pausedUntil, ContinuousClock.now < pausedUntil else { return nil }
        return pausedUntil
    }

    /// Stops following `run`.
    func forget(_ run: String) { entries[run] = nil }
}
