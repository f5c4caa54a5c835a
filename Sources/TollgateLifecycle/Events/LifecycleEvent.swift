public import TollgateJSON

/// The events Tollgate announces, named as ODM names them (plus the policy evaluation events).
public enum LifecycleEventType: String, Sendable, CaseIterable {
    case activityCreated = "DATA_PRODUCT_ACTIVITY_CREATED"
    case activityStarted = "DATA_PRODUCT_ACTIVITY_STARTED"
    case activityCompleted = "DATA_PRODUCT_ACTIVITY_COMPLETED"
    case taskCreated = "DATA_PRODUCT_TASK_CREATED"
    case taskStarted = "DATA_PRODUCT_TASK_STARTED"
    case taskCompleted = "DATA_PRODUCT_TASK_COMPLETED"
    case stageTransition = "DATA_PRODUCT_STAGE_TRANSITION"
    case taskResults = "DATA_PRODUCT_TASK_RESULTS"
    case activityResults = "DATA_PRODUCT_ACTIVITY_RESULTS"
}

/// Why a notification could not be delivered (it will be tried again).
public struct NotifierError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Delivers events somewhere: an ODM observer, ODM's notification service, a webhook.
///
/// Events are `{"id", "type", "entityId", "beforeState", "afterState", "time"}`; `id` is the same for
/// every delivery attempt and every notifier, so receivers can drop duplicates.
public protocol Notifier: Sendable {
    /// The name intents refer to.
    var name: String { get }
    func deliver(_ event: JSONValue) async throws(NotifierError)
}
