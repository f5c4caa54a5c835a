import Foundation
import TollgateLifecycle

/// What the auditor overview's charts show, computed from the newest decisions: decisions per day
/// by verdict, the policies that block or warn most, and each policy's evaluation time.
struct DecisionStatistics: Sendable, Equatable {
    struct Day: Sendable, Equatable {
        /// `YYYY-MM-DD`, UTC.
        var day: String
        var pass = 0
        var warn = 0
        var block = 0
    }

    struct Objections: Sendable, Equatable {
        var policy: String
        /// Times the policy's deny stopped a change (a blocking policy).
        var blocks = 0
        /// Times its deny was recorded as a warning (a non-blocking policy).
        var warns = 0
    }

    struct Timing: Sendable, Equatable {
        var policy: String
        var evaluations: Int
        var p50Nanoseconds: Int64
        var p95Nanoseconds: Int64
    }

    /// One entry per day of the window, oldest first, days without decisions included.
    var days: [Day]
    /// Policies that objected at least once, most objections first.
    var objections: [Objections]
    /// Policies by their 95th-percentile evaluation time, slowest first.
    var timings: [Timing]
    /// Decisions the figures are drawn from.
    var decisions: Int

    /// The statistics of `digests` over the `dayCount` days that end on `today`'s (UTC).
    init(_ digests: [DecisionDigest], dayCount: Int, today: Date) {
        decisions = digests.count
        let lastDay = Self.dayStart(today)
        var days = (0..<dayCount).map { offset in
            Day(day: String(Timestamp.format(lastDay.addingTimeInterval(Double(offset - dayCount + 1) * 86_400)).prefix(10)))
        }
        let firstDay = lastDay.addingTimeInterval(Double(1 - dayCount) * 86_400)
        var objections: [String: Objections] = [:]
        var durations: [String: [Int64]] = [:]
        for digest in digests {
            let index = Int(Self.dayStart(digest.createdAt).timeIntervalSince(firstDay) / 86_400)
            if days.indices.contains(index) {
                switch digest.verdict {
                case .pass: days[index].pass += 1
                case .warn: days[index].warn += 1
                case .block: days[index].block += 1
                }
            }
            for outcome in digest.outcomes where outcome.outcome != "skipped" {
                durations[outcome.policy, default: []].append(outcome.durationNanoseconds)
                switch outcome.effect {
                case "block": objections[outcome.policy, default: Objections(policy: outcome.policy)].blocks += 1
                case "warn": objections[outcome.policy, default: Objections(policy: outcome.policy)].warns += 1
                default: break
                }
            }
        }
        self.days = days
        self.objections = objections.values.sorted { ($0.blocks + $0.warns, $1.policy) > ($1.blocks + $1.warns, $0.policy) }
        self.timings = durations.map { policy, values in
            let sorted = values.sorted()
            return Timing(
                policy: policy, evaluations: sorted.count, p50Nanoseconds: Self.percentile(sorted, 0.50),
                p95Nanoseconds: Self.percentile(sorted, 0.95))
        }.sorted { ($0.p95Nanoseconds, $1.policy) > ($1.p95Nanoseconds, $0.policy) }
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int64], _ fraction: Double) -> Int64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func dayStart(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }
}
