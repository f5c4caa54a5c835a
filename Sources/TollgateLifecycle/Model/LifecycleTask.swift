public import Foundation
public import TollgateJSON

/// One task of an activity: what to run, where, and how it went.
public struct LifecycleTask: Sendable, Equatable {
    public var id: Int64
    public var activityId: Int64
    /// 1-based position in the stage, after `order`.
    public var position: Int
    /// Key in contexts and placeholders (name, else `task<N>`).
    public var key: String
    public var name: String?
    /// Executor name (`service.$href`); nil: nothing to run.
    public var executor: String?
    /// The descriptor's `template` object, its `definition` unwrapped (see ``TemplateDefinition``).
    public var template: JSONValue?
    /// Configurations as declared (placeholders unresolved).
    public var configurations: JSONValue?
    /// Configurations as dispatched (placeholders resolved, context attached).
    public var dispatchedConfigurations: JSONValue?
    public var status: TaskStatus
    public var results: JSONValue?
    public var errors: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Seconds the task may stay PROCESSING before it times out.
    public var timeoutSeconds: Int?
    /// What the executor answered when it took the task (pipeline or run id), once it has.
    public var executorReference: String?

    public init(
        id: Int64, activityId: Int64, position: Int, key: String, name: String?, executor: String?,
        template: JSONValue?, configurations: JSONValue?, dispatchedConfigurations: JSONValue? = nil,
        status: TaskStatus = .planned, results: JSONValue? = nil, errors: String? = nil, createdAt: Date,
        startedAt: Date? = nil, finishedAt: Date? = nil, timeoutSeconds: Int? = nil, executorReference: String? = nil
    ) {
        self.id = id
        self.activityId = activityId
        self.position = position
        self.key = key
        self.name = name
        self.executor = executor
        self.template = template
        self.configurations = configurations
        self.dispatchedConfigurations = dispatchedConfigurations
        self.status = status
        self.results = results
        self.errors = errors
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.timeoutSeconds = timeoutSeconds
        self.executorReference = executorReference
    }
}

extension LifecycleTask {
    /// What the executor runs: the template's `definition` (the whole template when it has none).
    public var definition: JSONValue? { template?["definition"] ?? template }

    /// The name shown to people and executors: the task's name, else its template's (as ODM names
    /// tasks), else its key.
    public var displayName: String { name ?? template?["name"]?.stringValue ?? key }
}
