/// Why a lifecycle operation was refused or failed. Each case maps to an ODM error code.
public enum LifecycleError: Error, Sendable, Equatable, CustomStringConvertible {
    case activityNotFound(Int64)
    case taskNotFound(Int64)
    /// The request cannot become an activity (unknown stage, bad descriptor).
    case activityInvalid(String)
    /// A PLANNED activity for the same product, version and stage exists.
    case activityAlreadyExists(Int64)
    /// Another activity of this product version is PROCESSING.
    case versionBusy(Int64)
    /// A start of an activity that is not PLANNED (it runs, or it has finished).
    case activityNotPlanned(Int64, status: ActivityStatus)
    /// The activity is not in a state that allows the action.
    case invalidActivityAction(String)
    /// The task is not in a state that allows the action.
    case invalidTaskAction(String)
    /// A repeated or late callback for a finished task.
    case taskAlreadyFinished(taskId: Int64, status: TaskStatus)
    /// Policies blocked the change; the decision is recorded.
    case blocked(phase: GatePhase, decisionSequence: Int64, reasons: [String])
    /// The descriptor source failed.
    case registry(String)
    /// The store failed; nothing was changed.
    case storage(String)
    /// The store cannot be reached right now (its database is down); nothing was changed.
    case unavailable(String)
    /// Concurrent changes to the same activity kept refusing this one; nothing was changed.
    case conflict(String)
    /// The lease on a piece of background work was taken over by another replica; its result was
    /// not recorded (the new owner carries the work out).
    case leaseLost(String)

    public var description: String {
        switch self {
        case .activityNotFound(let id): "activity \(id) not found"
        case .taskNotFound(let id): "task \(id) not found"
        case .activityInvalid(let m): "activity invalid: \(m)"
        case .activityAlreadyExists(let id): "a PLANNED activity for this product version and stage already exists (activity \(id))"
        case .versionBusy(let id): "activity \(id) of this product version is already PROCESSING; wait for it or abort it"
        case .activityNotPlanned(let id, let status):
            status == .processing
                ? "activity \(id) is already PROCESSING"
                : "activity \(id) is \(status.rawValue); only a PLANNED activity can start"
        case .invalidActivityAction(let m): m
        case .invalidTaskAction(let m): m
        case .taskAlreadyFinished(let id, let status): "task \(id) already finished as \(status.rawValue)"
        case .blocked(let phase, let seq, let reasons):
            "blocked by policy at \(phase.rawValue) (decision \(seq)): " + reasons.joined(separator: "; ")
        case .registry(let m): m
        case .storage(let m): "storage failed, nothing was changed: \(m)"
        case .unavailable(let m): "the database cannot be reached, nothing was changed; try again shortly (\(m))"
        case .conflict(let m): "the activity was changed concurrently, nothing was changed; try again (\(m))"
        case .leaseLost(let m): "another replica took this work over; its result was not recorded (\(m))"
        }
    }
}
