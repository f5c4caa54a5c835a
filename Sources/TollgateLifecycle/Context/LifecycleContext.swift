public import TollgateJSON

/// The context a task receives under `configurations.context`: one entry per stage of the version
/// that is running or has succeeded, in the descriptor's stage order.
///
/// ```json
/// { "dev":  { "status": "PROCESSED", "finishedAt": "2023-11-23T14:32:00Z", "results": { "task1": {...} } },
///   "test": { "status": "RUNNING", "finishedAt": null, "results": null } }
/// ```
public struct LifecycleContext: Sendable, Equatable {
    /// Stage entries in stage order.
    public private(set) var stages: [(name: String, context: StageContext)]

    /// Builds the context from the stages that have an entry, ordered as `stageOrder` (stages not
    /// in it follow in the order given).
    public init(stageOrder: [String], entries: [String: StageContext]) {
        var ordered: [(String, StageContext)] = []
        for name in stageOrder { if let entry = entries[name] { ordered.append((name, entry)) } }
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) where !stageOrder.contains(name) {
            ordered.append((name, entry))
        }
        stages = ordered.map { (name: $0.0, context: $0.1) }
    }

    /// The entry of stage `name`.
    public subscript(stage name: String) -> StageContext? {
        stages.first { $0.name == name }?.context
    }

    /// The JSON form tasks receive.
    public var jsonValue: JSONValue {
        var object = JSONObject()
        for stage in stages { object[stage.name] = stage.context.jsonValue }
        return .object(object)
    }

    public static func == (lhs: LifecycleContext, rhs: LifecycleContext) -> Bool {
        lhs.stages.map(\.name) == rhs.stages.map(\.name) && lhs.stages.map(\.context) == rhs.stages.map(\.context)
    }
}
