public import Foundation
public import TollgateJSON

/// What an executor receives for one task.
public struct DispatchRequest: Sendable, Equatable {
    public var taskId: Int64
    public var activityId: Int64
    /// The task's key in its stage (`task1`, or its name).
    public var taskKey: String
    public var taskName: String?
    /// The executor name the descriptor gives.
    public var executor: String
    /// The template's definition (what to run).
    public var template: JSONValue?
    /// Configurations with placeholders resolved and `context` attached.
    public var configurations: JSONValue
    /// Where the executor reports back (for executors that call back over HTTP).
    public var callbackRef: String?
    /// Seconds the task may run.
    public var timeoutSeconds: Int
    /// Secret headers for this executor (`x-odm-<type>: <value>`), given with the request that
    /// created or started the activity. Held in memory only: never stored, never logged.
    public var secretHeaders: [String: String] = [:]
    /// Identifies this dispatch attempt (the outbox intent carrying it): the same for every retry
    /// of one attempt, different for a new attempt. Executors that create runs tag them with it, so
    /// a run created just before a crash is found again instead of created twice.
    public var attempt: Int64 = 0
    /// When the dispatch was queued: runs older than this are not this attempt's.
    public var queuedAt: Date?
    /// Whether an earlier try of this attempt may have reached the executor (it is sent again after
    /// a failure or a restart): executors that can be asked whether they have the task ask first.
    public var mayHaveLanded = false
    /// What the executor answered when it accepted the task (a pipeline id, a run id), once known.
    public var reference: String?
    /// The W3C trace context (`traceparent`, and `tracestate` when set): when the request is
    /// queued, the change that started the task; when it is sent, the dispatch's own span.
    /// Executors hand it on (an HTTP header, a `TRACEPARENT` pipeline variable) so the run and its
    /// callback join the activity's trace. Empty when nothing is traced.
    public var traceContext: [String: String] = [:]

    public init(
        taskId: Int64, activityId: Int64, taskKey: String, taskName: String?, executor: String, template: JSONValue?,
        configurations: JSONValue, callbackRef: String?, timeoutSeconds: Int
    ) {
        self.taskId = taskId
        self.activityId = activityId
        self.taskKey = taskKey
        self.taskName = taskName
        self.executor = executor
        self.template = template
        self.configurations = configurations
        self.callbackRef = callbackRef
        self.timeoutSeconds = timeoutSeconds
    }
}

/// How a task ended, as an executor or a callback reports it.
public struct TaskReport: Sendable, Equatable {
    public var status: TaskOutcomeStatus
    public var results: JSONValue?
    public var errors: String?
    /// Logs of the run (a pipeline's jobs, in run order), kept in the task's execution history.
    public var logs: [TaskLog] = []

    public init(status: TaskOutcomeStatus, results: JSONValue? = nil, errors: String? = nil, logs: [TaskLog] = []) {
        self.status = status
        self.results = results
        self.errors = errors
        self.logs = logs
    }
}

/// The log of one part of a run (a CI job), cleaned for reading.
public struct TaskLog: Sendable, Equatable {
    public var name: String
    /// How that part ended (`success`, `failed`, ...), when known.
    public var status: String?
    public var text: String
    /// Bytes left out at the start because the log was longer than the executor's cap.
    public var omittedBytes: Int

    public init(name: String, status: String? = nil, text: String, omittedBytes: Int = 0) {
        self.name = name
        self.status = status
        self.text = text
        self.omittedBytes = omittedBytes
    }
}

/// What became of a request to cancel a task's run.
public enum CancelOutcome: Sendable, Equatable {
    /// The run was cancelled (or is being cancelled); the text says what.
    case cancelled(String)
    /// There was nothing left to cancel (the run had finished, or was never created).
    case nothingToCancel(String)
    /// This executor cannot cancel runs.
    case notSupported(String)
}

/// The answer to a dispatch.
public enum DispatchOutcome: Sendable, Equatable {
    /// The executor took the task; it will report later (callback or status polling).
    case accepted(reference: String?)
    /// The task already finished.
    case finished(TaskReport)
}

/// Why an executor could not take or answer for a task.
public struct ExecutorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Whether trying again later may succeed (unreachable, overloaded).
    public var retryable: Bool
    public var message: String
    /// Seconds the executor's service asked to be left alone (its `Retry-After`): the next try
    /// waits at least this long.
    public var retryAfter: Double?

    public init(retryable: Bool, message: String, retryAfter: Double? = nil) {
        self.retryable = retryable
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// ODM's code for an executor that cannot be reached (`50072`), which starts the errors of a
    /// task whose executor stayed unreachable past its dispatch retry limit.
    public static let unreachableCode = "50072"
}

/// Runs tasks somewhere: a CI pipeline, an ODM executor adapter, a local process.
public protocol TaskExecutor: Sendable {
    /// Starts the task. Must not start it twice for the same task id: a repeated dispatch of a task
    /// the executor already has answers with what it knows.
    func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome

    /// How the task is doing, for reconciliation after a lost callback or a restart: a report when it
    /// has finished, nil while it runs. Executors that cannot tell throw a non-retryable error.
    func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport?

    /// Cancels the task's run (the activity or the task was aborted, or the task timed out).
    func cancel(_ request: DispatchRequest) async throws(ExecutorError) -> CancelOutcome

    /// Whether the executor can fetch a run's logs after the task ended by a callback.
    var collectsLogs: Bool { get }

    /// Whether the task's results come by callback only. The executor's status then never completes
    /// the task (a PROCESSED status carries no results): the engine waits for the callback, asking for
    /// the status only when the callback is overdue, and acts on it only when the run failed.
    var reportsByCallback: Bool { get }

    /// The logs of the task's run once it has finished; nil while it is still going.
    func logs(of request: DispatchRequest) async throws(ExecutorError) -> [TaskLog]?
}

extension TaskExecutor {
    public var collectsLogs: Bool { false }

    public var reportsByCallback: Bool { false }

    public func logs(of request: DispatchRequest) async throws(ExecutorError) -> [TaskLog]? { [] }

    /// Executors that cannot cancel say so; the engine records it in the task's history.
    public func cancel(_ request: DispatchRequest) async throws(ExecutorError) -> CancelOutcome {
        .notSupported("executor \(request.executor) cannot cancel a run; it may go on until it ends by itself")
    }
}

/// Executors by the name descriptors use in `service.$href`.
public struct ExecutorRegistry: Sendable {
    private var executors: [String: any TaskExecutor]

    public init(_ executors: [String: any TaskExecutor] = [:]) { self.executors = executors }

    public subscript(name: String) -> (any TaskExecutor)? { executors[name] }

    /// The names configured.
    public var names: [String] { executors.keys.sorted() }
}
