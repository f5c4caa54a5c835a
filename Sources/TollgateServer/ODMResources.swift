import TollgateJSON
import TollgateLifecycle

/// The JSON shapes of ODM's DevOps resources (see ``ODMShape``), plus status answers.
enum ODMResources {
    static func activity(_ a: Activity) -> JSONValue { ODMShape.activity(a) }

    static func task(_ t: LifecycleTask) -> JSONValue { ODMShape.task(t) }

    static func lifecycle(_ r: StageRecord) -> JSONValue { ODMShape.lifecycle(r) }

    static func status(_ status: String) -> JSONValue { ["status": .string(status)] }
}
