public import Foundation
public import TollgateJSON

/// A side effect recorded before it is carried out: it survives a crash and is done after commit.
public struct OutboxIntent: Sendable, Equatable {
    /// What to do.
    public enum Kind: String, Sendable {
        /// Send a task to its executor.
        case dispatchTask = "dispatch-task"
        /// Ask an executor to cancel a task.
        case cancelTask = "cancel-task"
        /// Deliver a notification.
        case notify
        /// Fetch the logs of a task's finished run into its history.
        case collectLogs = "collect-logs"
    }

    public var id: Int64
    public var kind: Kind
    public var taskId: Int64?
    public var payload: JSONValue
    public var createdAt: Date
    public var attempts: Int
    public var doneAt: Date?
    public var lastError: String?
    /// Not to be tried again before this time (after a failed attempt).
    public var nextAttemptAt: Date?

    public init(
        id: Int64, kind: Kind, taskId: Int64?, payload: JSONValue, createdAt: Date, attempts: Int = 0, doneAt: Date? = nil,
        lastError: String? = nil, nextAttemptAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.taskId = taskId
        self.payload = payload
        self.createdAt = createdAt
        self.attempts = attempts
        self.doneAt = doneAt
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
    }
}

/// A status change, kept as a row so every gated change can be matched to its decision.
public struct StatusTransition: Sendable, Equatable {
    /// `activity` or `task`.
    public var entity: String
    public var entityId: Int64
    public var from: String?
    public var to: String
    public var at: Date
    /// The decision of the same change set that gated this change (an index into its `decisions`).
    public var decision: Int?

    public init(entity: String, entityId: Int64, from: String?, to: String, at: Date, decision: Int? = nil) {
        self.entity = entity
        self.entityId = entityId
        self.from = from
        self.to = to
        self.at = at
        self.decision = decision
    }

    /// Whether a decision gated this change.
    public var gated: Bool { decision != nil }
}

/// One line of a task's execution history (dispatch, executor answers, logs, timeouts).
public struct ExecutionEvent: Sendable, Equatable {
    public var taskId: Int64
    public var at: Date
    /// Short kind (`dispatched`, `callback`, `timeout`, `executor-error`, ...).
    public var kind: String
    public var message: String
    public var data: JSONValue?

    public init(taskId: Int64, at: Date, kind: String, message: String, data: JSONValue? = nil) {
        self.taskId = taskId
        self.at = at
        self.kind = kind
        self.message = message
        self.data = data
    }
}
