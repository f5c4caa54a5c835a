public import Foundation
import Synchronization

/// A clock tests set by hand.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_749_800)) { current = Mutex(start) }

    /// ISO-8601 start time, e.g. `2023-11-23T14:30:00Z`.
    public convenience init(iso: String) {
        self.init((try? Date.ISO8601FormatStyle().parse(iso)) ?? Date(timeIntervalSince1970: 0))
    }

    public var now: Date { current.withLock { $0 } }

    public func set(iso: String) {
        if let date = try? Date.ISO8601FormatStyle().parse(iso) { current.withLock { $0 = date } }
    }

    public func advance(seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }

    /// A closure for engines.
    public var function: @Sendable () -> Date { { [self] in self.now } }
}
