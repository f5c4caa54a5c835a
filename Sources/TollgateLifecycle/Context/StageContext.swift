public import Foundation
public import TollgateJSON

/// What the context says about one stage of a version.
public struct StageContext: Sendable, Equatable {
    /// Stage status as the context spells it.
    public enum Status: String, Sendable {
        /// The stage's activity is running.
        case running = "RUNNING"
        /// The stage's activity succeeded.
        case processed = "PROCESSED"
    }

    public var status: Status
    /// When the stage's activity finished (nil while it runs).
    public var finishedAt: Date?
    /// Results of the stage's finished tasks by task key, in task order (a task that reported no
    /// results has `null`); nil when no task has finished yet.
    public var results: JSONObject?

    public init(status: Status, finishedAt: Date? = nil, results: JSONObject? = nil) {
        self.status = status
        self.finishedAt = finishedAt
        self.results = results
    }

    /// The JSON form tasks receive.
    public var jsonValue: JSONValue {
        [
            "status": .string(status.rawValue),
            "finishedAt": finishedAt.map { .string(Timestamp.format($0)) } ?? .null,
            "results": results.map(JSONValue.object) ?? .null,
        ]
    }
}

/// ISO-8601 UTC timestamps as Tollgate writes them (`2023-11-23T14:32:00Z`).
public enum Timestamp {
    /// Formats `date` in UTC, to the second.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0)!))
    }

    /// Parses an ISO-8601 timestamp with a time zone (fractions of a second allowed).
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
