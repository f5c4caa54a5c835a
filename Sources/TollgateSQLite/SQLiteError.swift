/// An SQLite failure, with the statement that met it.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// SQLite's result code (extended when available).
    public var code: Int32
    /// SQLite's message.
    public var message: String
    /// The SQL being run, if any.
    public var sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql.prefix(200)))" }
        return text
    }

    /// Whether the error is a constraint violation (unique, foreign key, check).
    public var isConstraintViolation: Bool { code & 0xFF == 19 }
}
