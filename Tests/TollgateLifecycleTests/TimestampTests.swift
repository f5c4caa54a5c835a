import Foundation
import Testing
import TollgateLifecycle
import TollgateTestSupport

/// Timestamps are written with calendar arithmetic; Foundation's ISO-8601 style is the reference.
@Suite("Timestamps")
struct TimestampTests {
    static let utc = TimeZone(secondsFromGMT: 0)!

    /// Whole seconds and milliseconds spread over four centuries, leap days and both sides of 1970.
    static var samples: [Date] {
        var generator = SplitMix64(state: 20_261_122)
        var dates = [
            "1900-02-28T23:59:59Z", "1900-03-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
            "2000-02-29T12:00:00Z", "2024-02-29T23:59:59Z", "2100-03-01T00:00:00Z", "2399-12-31T23:59:59Z",
        ].map { try! Date.ISO8601FormatStyle().parse($0) }
        for _ in 0..<2_000 {
            let milliseconds = Int64(generator.next() % 15_000_000_000_000) - 2_500_000_000_000
            dates.append(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
        return dates
    }

    @Test func secondsAreFormattedAsFoundationFormatsThem() {
        for date in Self.samples {
            #expect(Timestamp.format(date) == date.formatted(Date.ISO8601FormatStyle(timeZone: Self.utc)), "\(date.timeIntervalSince1970)")
        }
    }

    /// Milliseconds are counted (rounded), where Foundation cuts the binary fraction (`.896` may print
    /// as `.895`); the whole seconds are Foundation's.
    @Test func millisecondsAreCountedOnFoundationsSeconds() {
        for date in Self.samples {
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
            let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
            let whole = Date(timeIntervalSince1970: Double(seconds)).formatted(Date.ISO8601FormatStyle(timeZone: Self.utc))
            let fraction = String(format: "%03d", Int(milliseconds - seconds * 1000))
            #expect(Timestamp.formatMilliseconds(date) == whole.dropLast() + "." + fraction + "Z", "\(date.timeIntervalSince1970)")
        }
    }

    @Test func whatIsWrittenParsesBackToTheSameInstant() throws {
        for date in Self.samples {
            let seconds = try #require(Timestamp.parse(Timestamp.format(date)))
            #expect(seconds.timeIntervalSince1970 == date.timeIntervalSince1970.rounded(.down))
            let milliseconds = try #require(Timestamp.parse(Timestamp.formatMilliseconds(date)))
            #expect(abs(milliseconds.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_5 + 1e-9)
            #expect(Timestamp.formatMilliseconds(milliseconds) == Timestamp.formatMilliseconds(date))
        }
    }

    @Test(arguments: ["2026-11-22T07:13:16.931Z", "2026-11-22T07:13:16.000Z", "1999-12-31T23:59:59.999Z", "2026-01-01T00:00:00.001Z"])
    func aStoredTimeFormatsBackToTheSameText(_ text: String) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(Timestamp.formatMilliseconds(date) == text)
    }

    @Test func otherSpellingsAreReadThroughFoundation() throws {
        let reference = try #require(Timestamp.parse("2023-11-23T14:32:00Z"))
        #expect(Timestamp.parse("2023-11-23T16:32:00+02:00") == reference)
        #expect(Timestamp.parse("2023-11-23T14:32:00.5Z") == reference.addingTimeInterval(0.5))
    }

    @Test(arguments: [
        "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-11-23T24:00:00Z", "2023-11-23T14:32:60Z", "2023-11-23T14:32:00.9xZ",
        "2023-11-23 14:32:00Z", "yesterday", "",
    ])
    func impossibleTimesAreRefused(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }
}
