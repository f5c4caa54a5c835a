import CSQLite

/// A prepared statement. Belongs to its connection and, like it, to one thread at a time.
public final class SQLiteStatement {
    let handle: OpaquePointer
    /// The SQL text.
    public let sql: String
    unowned let connection: SQLiteConnection

    init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw connection.error(code: code, sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `values` to parameters 1...n (after clearing earlier bindings and resetting).
    public func bind(_ values: [any SQLiteBindable]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, value) in values.enumerated() {
            try bind(value.sqliteValue, at: Int32(i + 1))
        }
    }

    private func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(handle, index)
        case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
        case .real(let v): code = sqlite3_bind_double(handle, index, v)
        case .text(var v):
            code = v.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { c in
                    if let base = c.baseAddress { return tg_sqlite_bind_text(handle, index, base, Int32(c.count)) }
                    return tg_sqlite_bind_text(handle, index, "", 0)
                }
            }
        case .blob(let v):
            code = v.withUnsafeBytes { tg_sqlite_bind_blob(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count)) }
        }
        guard code == SQLITE_OK else { throw connection.error(code: code, sql: sql) }
    }

    /// Runs the statement to completion (for writes).
    public func run(_ values: [any SQLiteBindable] = []) throws(SQLiteError) {
        try bind(values)
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw connection.error(code: code, sql: sql) }
    }

    /// Runs a query and calls `body` for each row.
    public func forEachRow(_ values: [any SQLiteBindable] = [], _ body: (SQLiteRow) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw connection.error(code: code, sql: sql) }
            try body(SQLiteRow(handle: handle))
        }
    }

    /// Rows of a query, mapped.
    public func rows<T>(_ values: [any SQLiteBindable] = [], _ map: (SQLiteRow) throws -> T) throws -> [T] {
        var out: [T] = []
        try forEachRow(values) { out.append(try map($0)) }
        return out
    }

    /// The first row of a query, mapped.
    public func first<T>(_ values: [any SQLiteBindable] = [], _ map: (SQLiteRow) throws -> T) throws -> T? {
        try bind(values)
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return nil }
        guard code == SQLITE_ROW else { throw connection.error(code: code, sql: sql) }
        return try map(SQLiteRow(handle: handle))
    }
}

/// The current row of a statement; valid only inside the callback that received it.
public struct SQLiteRow {
    let handle: OpaquePointer

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }

    public func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
