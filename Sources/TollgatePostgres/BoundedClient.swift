import Logging
import PostgresNIO
import TollgateLifecycle

/// The connection pool, with a deadline: while PostgreSQL cannot be reached the pool keeps
/// reconnecting and a request would wait for a connection indefinitely; here it fails after
/// `limit` with ``StoreUnavailable``, and so does every lost connection, so callers answer at once
/// (HTTP 503) and nothing is half-written (a transaction cut short is rolled back by the server).
struct BoundedClient: Sendable {
    let pool: PostgresClient
    let limit: Duration

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

    private func bounded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = self.limit
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            do {
                guard let first = try await group.next(), let value = first else {
                    throw StoreUnavailable("PostgreSQL did not answer within \(limit.components.seconds) s")
                }
                return value
            } catch let error as PSQLError where Self.isConnectionLoss(error) {
                throw StoreUnavailable("PostgreSQL cannot be reached: \(error.code)")
            }
        }
    }

    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        [.connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed].contains(error.code)
    }
}
