/// The stages of a data product version and their tasks, in the order `lifecycleInfo` gives.
public struct LifecycleDescriptor: Sendable, Equatable {
    /// One stage and its ordered tasks.
    public struct Stage: Sendable, Equatable {
        public var name: String
        public var tasks: [TaskDefinition]

        public init(name: String, tasks: [TaskDefinition]) {
            self.name = name
            self.tasks = tasks
        }
    }

    /// Stages in declaration order (the stage order policies see).
    public var stages: [Stage]

    public init(stages: [Stage]) { self.stages = stages }

    /// Stage names in order.
    public var stageNames: [String] { stages.map(\.name) }

    /// The stage named `name`.
    public func stage(_ name: String) -> Stage? { stages.first { $0.name == name } }

    /// The keys of the tasks of `stage` whose template is named `template`, so placeholders can name
    /// a task by its template (as descriptors written for ODM do).
    public func taskKeys(usingTemplate template: String, inStage stage: String) -> [String] {
        self.stage(stage)?.tasks.filter { $0.templateName == template }.map(\.key) ?? []
    }

    /// 0-based position of stage `name`.
    public func index(of name: String) -> Int? { stages.firstIndex { $0.name == name } }
}
