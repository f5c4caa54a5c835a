public import TollgateJSON

/// One task of a stage, as the descriptor's `lifecycleInfo` declares it.
public struct TaskDefinition: Sendable, Equatable {
    /// The name the descriptor gives, if any (ODM's invented `<stage>:task:<n>` names count as none).
    public var name: String?
    /// The key of the task in contexts and placeholders: its name, else `task<N>`.
    public var key: String
    /// 1-based position in its stage, after ordering.
    public var position: Int
    /// The `order` the descriptor declares, if any.
    public var order: Int?
    /// The executor (`service.$href`); nil means there is nothing to run and the task succeeds at once.
    public var executor: String?
    /// The `template` object (its `definition` tells the executor what to run).
    public var template: JSONValue?
    /// The `configurations` object (parameters; may hold `${...}` placeholders).
    public var configurations: JSONValue?

    public init(
        name: String?, key: String, position: Int, order: Int? = nil, executor: String?, template: JSONValue? = nil,
        configurations: JSONValue? = nil
    ) {
        self.name = name
        self.key = key
        self.position = position
        self.order = order
        self.executor = executor
        self.template = template
        self.configurations = configurations
    }

    /// The template's `definition`, if any.
    public var definition: JSONValue? { template?["definition"] }

    /// The template's `name`, if any.
    public var templateName: String? { template?["name"]?.stringValue }
}
