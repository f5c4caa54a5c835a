/// The three points of a lifecycle at which policies are asked, named as ODM names its events.
public enum PolicyPhase: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// Before an activity starts: may the version move to the target stage?
    case stageTransition = "ACTIVITY_STAGE_TRANSITION"
    /// After a task reports back: are its results acceptable?
    case taskResult = "TASK_EXECUTION_RESULT"
    /// After the last task: may the stage be promoted?
    case activityResult = "ACTIVITY_EXECUTION_RESULT"

    public var description: String { rawValue }

    /// Every phase name, for messages.
    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
