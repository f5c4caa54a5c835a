public import TollgateLifecycle
import Synchronization

/// An executor that accepts every task and remembers it; the test reports results itself, as a
/// pipeline would through its callback. It can also be told to refuse or to answer at once.
public final class ScriptedExecutor: TaskExecutor {
    /// How the executor answers dispatches.
    public enum Behaviour: Sendable {
        case accept
        case finishAtOnce(TaskReport)
        case fail(ExecutorError)
    }

    private let state: Mutex<(requests: [DispatchRequest], behaviour: Behaviour, statuses: [Int64: TaskReport], holding: Bool)>

    public init(_ behaviour: Behaviour = .accept) {
        state = Mutex((requests: [], behaviour: behaviour, statuses: [:], holding: false))
    }

    /// Dispatches are received but not answered until ``releaseAnswers()`` (a slow executor).
    public func holdAnswers() { state.withLock { $0.holding = true } }

    public func releaseAnswers() { state.withLock { $0.holding = false } }

    /// Every dispatch received, in order.
    public var requests: [DispatchRequest] { state.withLock { $0.requests } }

    public func setBehaviour(_ behaviour: Behaviour) { state.withLock { $0.behaviour = behaviour } }

    /// What `status(of:)` answers for a task (as if the pipeline had finished).
    public func setStatus(_ report: TaskReport, for taskId: Int64) { state.withLock { $0.statuses[taskId] = report } }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        let behaviour = state.withLock { s in
            s.requests.append(request)
            return s.behaviour
        }
        while state.withLock({ $0.holding }) { try? await Task.sleep(for: .milliseconds(5)) }
        switch behaviour {
        case .accept: return .accepted(reference: "run-\(request.taskId)")
        case .finishAtOnce(let report): return .finished(report)
        case .fail(let error): throw error
        }
    }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        state.withLock { $0.statuses[request.taskId] }
    }
}
