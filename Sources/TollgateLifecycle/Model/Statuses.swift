/// Status of an activity (ODM's enum).
public enum ActivityStatus: String, Sendable, Codable, CaseIterable {
    case planned = "PLANNED"
    case processing = "PROCESSING"
    case processed = "PROCESSED"
    case failed = "FAILED"
    case aborted = "ABORTED"

    /// Whether the activity has ended.
    public var isFinished: Bool { self == .processed || self == .failed || self == .aborted }
}

/// Status of a task (ODM's enum).
public enum TaskStatus: String, Sendable, Codable, CaseIterable {
    case planned = "PLANNED"
    case processing = "PROCESSING"
    case processed = "PROCESSED"
    case failed = "FAILED"
    case aborted = "ABORTED"

    /// Whether the task has ended.
    public var isFinished: Bool { self == .processed || self == .failed || self == .aborted }
}

/// What an executor or a callback reports for a task.
public enum TaskOutcomeStatus: String, Sendable, Codable {
    case processed = "PROCESSED"
    case failed = "FAILED"
    case aborted = "ABORTED"

    var taskStatus: TaskStatus {
        switch self {
        case .processed: .processed
        case .failed: .failed
        case .aborted: .aborted
        }
    }
}
