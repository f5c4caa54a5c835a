import CSQLite

/// One SQLite connection with a statement cache.
///
/// A connection is not safe to use from two threads at once (it is opened without SQLite's own
/// mutex). It may move between threads, and owners keep it behind a lock so only one uses it at a
/// time; that discipline is what the `@unchecked Sendable` stands for.
public final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// The database file.
    public let path: String
    private var cache: [String: SQLiteStatement] = [:]
    private var transactionDepth = 0

    /// How a connection is opened.
    public struct Options: Sendable {
        /// Open read-only.
        public var readOnly = false
        /// `PRAGMA synchronous`: `NORMAL` (durable across process crashes in WAL mode) or `FULL`
        /// (durable across power loss too).
        public var synchronous = "NORMAL"
        /// How long to wait for a lock held by another connection.
        public var busyTimeoutMilliseconds: Int32 = 5_000

        public init(readOnly: Bool = false, synchronous: String = "NORMAL", busyTimeoutMilliseconds: Int32 = 5_000) {
            self.readOnly = readOnly
            self.synchronous = synchronous
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        }
    }

    /// Set once, before the library's first open: no allocation statistics, so no global mutex
    /// around every allocation (Tollgate never reads them).
    private static let libraryConfigured: Void = { _ = tg_sqlite_disable_memory_statistics() }()

    /// Opens (creating unless read-only) the database at `path` in WAL mode.
    public init(path: String, options: Options = Options()) throws(SQLiteError) {
        Self.libraryConfigured
        var db: OpaquePointer?
        let flags = (options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: code, message: "\(message): \(path)")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        if !options.readOnly {
            try execute("PRAGMA journal_mode = WAL")
            try execute("PRAGMA synchronous = \(options.synchronous)")
        }
        try execute("PRAGMA foreign_keys = ON")
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Runs one or more statements without results.
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: code, message: text, sql: sql)
        }
    }

    /// A prepared statement for `sql`, reused across calls.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = cache[sql] { return cached }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE`), committing if it returns and rolling back
    /// if it throws. Nested calls join the outer transaction.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try execute("BEGIN IMMEDIATE")
        transactionDepth = 1
        do {
            let result = try body()
            transactionDepth = 0
            try execute("COMMIT")
            return result
        } catch {
            transactionDepth = 0
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Row id of the last insert.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}
