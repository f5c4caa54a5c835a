import Logging
import PostgresNIO
import Synchronization
import TollgateLifecycle

/// The connection pool, with a deadline: while PostgreSQL cannot be reached the pool keeps
/// reconnecting, and a statement the server does not answer (a lock it waits for, a server that
/// stopped) keeps its caller waiting; here the caller gets ``StoreUnavailable`` after `limit`,
/// and so does every lost connection, so callers answer at once (HTTP 503). The call itself is
/// cancelled and left to end on its connection; a commit that would end after its deadline is
/// refused by the database (see `PostgresCommitFunction`), so nothing is written after a 503.
struct BoundedClient: Sendable {
    let pool: PostgresClient
    let limit: Duration
    /// Where the deadline of each call is watched (while their `watch()` runs).
    let deadlines: CallDeadlines

    func query(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await bounded { try await pool.query(query, logger: logger) }
    }

    func execute<Statement: PreparedSQL>(_ statement: Prepared<Statement>, logger: Logger) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>
    {
        try await bounded { try await pool.execute(statement, logger: logger) }
    }

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await bounded { try await pool.withConnection(body) }
    }

    func withTransaction<T: Sendable>(logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await bounded { try await pool.withTransaction(logger: logger) { try await body($0) } }
    }

    /// Runs `work` in a task of its own and answers with its result, or with ``StoreUnavailable``
    /// once `limit` has passed (cancelling the task), whichever comes first.
    private func bounded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let answer = Answer<T>()
        let limit = limit
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.await(continuation)
                let task = Task {
                    do {
                        answer.give(.success(try await work()))
                    } catch let error as PSQLError where Self.isConnectionLoss(error) {
                        answer.give(.failure(StoreUnavailable("PostgreSQL cannot be reached: \(error.code)")))
                    } catch {
                        answer.give(.failure(error))
                    }
                }
                answer.onCancel { task.cancel() }
                let id = deadlines.start(deadline: .now + limit) {
                    answer.give(.failure(StoreUnavailable("PostgreSQL did not answer within \(limit.components.seconds) s")))
                }
                answer.onAnswer { deadlines.finish(id) }
            }
        } onCancel: {
            answer.give(.failure(CancellationError()))
        }
    }

    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed].contains(error.code)
    }
}

/// The first answer a call gets (its result, its deadline or its caller's cancellation), given to
/// the waiting caller once; a later answer only cancels what is still running.
private final class Answer<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var answer: Result<T, any Error>?
        var cancel: (@Sendable () -> Void)?
        var answered: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// Hands the answer to `continuation`, now if it came already (a caller cancelled before it asked).
    func await(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            guard let answer = state.answer else {
                state.continuation = continuation
                return nil
            }
            return answer
        }
        if let early { continuation.resume(with: early) }
    }

    /// What cancels the work when the answer is not its own result.
    func onCancel(_ cancel: @escaping @Sendable () -> Void) {
        let answeredAlready = state.withLock { state in
            guard state.answer != nil else {
                state.cancel = cancel
                return false
            }
            return true
        }
        if answeredAlready { cancel() }
    }

    /// Runs `action` once the call is answered (at once when it is).
    func onAnswer(_ action: @escaping @Sendable () -> Void) {
        let answeredAlready = state.withLock { state in
            guard state.answer != nil else {
                state.answered.append(action)
                return false
            }
            return true
        }
        if answeredAlready { action() }
    }

    func give(_ result: Result<T, any Error>) {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?, [@Sendable () -> Void])? in
            guard state.answer == nil else { return nil }
            state.answer = result
            defer {
                state.continuation = nil
                state.cancel = nil
                state.answered = []
            }
            return (state.continuation, state.cancel, state.answered)
        }
        guard let (continuation, cancel, answered) = taken else { return }
        if case .failure = result { cancel?() }
        for action in answered { action() }
        continuation?.resume(with: result)
    }
}
