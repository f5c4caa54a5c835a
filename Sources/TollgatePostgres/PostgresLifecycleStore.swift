import Foundation
public import Logging
import PostgresNIO
import TollgateJSON
public import TollgateLifecycle

/// The lifecycle's store on PostgreSQL, shared by every replica of `tollgate serve`.
///
/// One writer per activity: a commit first moves each activity it changes to the next row version,
/// `UPDATE … WHERE row_version = expected` (optimistic writes), and is refused with
/// ``StoreConflict`` when another replica got there first. Ids come from the tables' sequences.
/// A change set is one call of `tollgate_commit` (one statement, its own transaction); decisions
/// are appended last in it under a lock on the chain head's one row, so the sequence stays gapless
/// whichever replica appends. Outbox intents and duties are leased
/// with database time, and completions are fenced.
public final class PostgresLifecycleStore: AuditStore {
    let pool: PostgresClient
    let logger: Logger
    let deadlines: CallDeadlines
    /// The pool, every request to it bounded by ``requestLimit``.
    var client: BoundedClient { BoundedClient(pool: pool, limit: requestLimit, deadlines: deadlines) }
    /// How long a request waits for PostgreSQL before it fails as ``StoreUnavailable``.
    public let requestLimit: Duration

    /// A store over `database` (whose pool must be running, see ``PostgresDatabase/withDatabase``).
    public init(_ database: PostgresDatabase, requestLimit: Duration = .seconds(10)) {
        self.pool = database.client
        self.logger = database.logger
        self.deadlines = database.deadlines
        self.requestLimit = requestLimit
    }

    /// A store with a connection pool of its own over `location`; the pool works while ``run()``
    /// runs (until its task is cancelled).
    public init(location: PostgresLocation, logger: Logger, requestLimit: Duration = .seconds(10)) {
        self.pool = PostgresClient(configuration: location.configuration, backgroundLogger: logger)
        self.logger = logger
        self.deadlines = CallDeadlines()
        self.requestLimit = requestLimit
    }

    /// Runs the connection pool and the watch of its calls' deadlines (a long-running task: cancel it
    /// to close the pool).
    public func run() async {
        let pool = pool, deadlines = deadlines
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await pool.run() }
            group.addTask { await deadlines.watch() }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Commit

    public func commit(_ changes: ChangeSet) async throws -> CommittedChanges {
        try changes.checkGuarded()
        let commit = PostgresCommit(changes, limit: requestLimit)
        var rows: [(kind: String, id: Int64, previousHash: String?, hash: String?)] = []
        do {
            for try await row in try await client.execute(Prepared<PreparedWrites.Commit>(commit.bindings), logger: logger) {
                rows.append(try row.decode((String, Int64, String?, String?).self))
            }
        } catch {
            throw Self.conflict(error)
        }
        return commit.committed(rows)
    }

    /// Runs `body` in a transaction. What refused it is thrown as itself (not wrapped), and the
    /// database's refusals of a concurrent change as ``StoreConflict``.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger, body)
        } catch let error as PostgresTransactionError {
            throw Self.conflict(error.closureError ?? error.beginError ?? error.commitError ?? error)
        } catch {
            throw Self.conflict(error)
        }
    }

    /// A uniqueness violation, a serialization failure or a deadlock as a ``StoreConflict``;
    /// anything else unchanged.
    static func conflict(_ error: any Error) -> any Error {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return error }
        let message = error.serverInfo?[.message] ?? ""
        switch state {
        case "TG001": return StoreConflict(message)
        case "TG002": return StoreConflict(message, leaseLost: true)
        case "TG003": return StoreUnavailable("PostgreSQL did not answer in time; \(message)")
        case "23505": return StoreConflict("a uniqueness rule refused the change: \(message)")
        case "40001", "40P01": return StoreConflict("the database aborted the transaction (\(message)); nothing was written")
        default: return error
        }
    }

    /// Runs one query and reads its rows with `read`.
    func rows<T>(_ query: PostgresQuery, table: String, _ read: (StoredRow) throws -> T) async throws -> [T] {
        var found: [T] = []
        for try await row in try await client.query(query, logger: logger) { found.append(try read(StoredRow(row, table: table))) }
        return found
    }

    /// The rows of a prepared read, each read by `read`.
    func rows<Statement: PreparedSQL, T>(
        _ statement: Statement.Type, _ bindings: PostgresBindings, table: String, _ read: (StoredRow) throws -> T
    ) async throws -> [T] {
        var found: [T] = []
        for try await row in try await client.execute(Prepared<Statement>(bindings), logger: logger) {
            found.append(try read(StoredRow(row, table: table)))
        }
        return found
    }
}

