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
