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

    public init(status: TaskOutcomeStatus, results: JSONValue? = nil, errors: String? = nil) {
        self.status = status
        self.results = results
        self.errors = errors
    }
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

    public init(retryable: Bool, message: String) {
        self.retryable = retryable
        self.message = message
    }

    public var description: String { message }
}

/// Runs tasks somewhere: a CI pipeline, an ODM executor adapter, a local process.
public protocol TaskExecutor: Sendable {
    /// Starts the task. Must not start it twice for the same task id: a repeated dispatch of a task
    /// the executor already has answers with what it knows.
    func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome

    /// How the task is doing, for reconciliation after a lost callback or a restart: a report when it
    /// has finished, nil while it runs. Executors that cannot tell throw a non-retryable error.
    func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport?
}

/// Executors by the name descriptors use in `service.$href`.
public struct ExecutorRegistry: Sendable {
    private var executors: [String: any TaskExecutor]

    public init(_ executors: [String: any TaskExecutor] = [:]) { self.executors = executors }

    public subscript(name: String) -> (any TaskExecutor)? { executors[name] }

    /// The names configured.
    public var names: [String] { executors.keys.sorted() }
}
