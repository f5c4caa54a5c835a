import Foundation
import Logging
import PostgresNIO
public import TollgateLifecycle
import TollgateSQLite

/// Moves a whole installation from its SQLite file to PostgreSQL: activities, tasks, stage
/// history, decisions with their hashes and input parts, checkpoints, holds, policy sources, the
/// outbox, state changes and task histories, ids kept. All in one transaction, into a schema that
/// holds nothing yet; the copied decision log is verified before the transaction commits, so a
/// copy either lands whole and verified or not at all.
public struct DatabaseCopy: Sendable {
    /// What a copy moved, table by table, and what the verification found.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)]
        /// Decisions walked by the verification, and the newest one's sequence.
        public var verifiedDecisions: Int
        public var head: Int64
    }

    /// Tables in the order their references need, with the column their rows are numbered by.
    static let tables: [(name: String, order: String, serial: Bool)] = [
        ("activities", "id", true), ("tasks", "id", true), ("lifecycles", "id", true), ("decision_checkpoints", "id", true),
        ("decisions", "seq", false), ("decision_parts", "id", true), ("legal_holds", "name", false), ("policy_sources", "revision", false),
        ("outbox", "id", true), ("transitions", "id", true), ("execution_history", "id", true),
    ]

    let source: String
    let target: PostgresDatabase

    /// Counts the rows copied, of every table's, when given.
    let progress: WorkProgress?

    public init(source: String, target: PostgresDatabase, progress: WorkProgress? = nil) {
        self.source = source
        self.target = target
        self.progress = progress
    }

    public func run() async throws -> Report {
        try await target.migrate()
        let sqlite: SQLiteConnection
        do {
            sqlite = try SQLiteConnection(path: source, options: .init(readOnly: true))
        } catch {
            throw PostgresDatabase.Failure(description: "cannot open \(source): \(error)")
        }
        let schema = target.location.schema
        let logger = target.logger
        do {
            return try await copyAll(from: sqlite, schema: schema, logger: logger)
        } catch let error as PostgresTransactionError {
            // Say what went wrong, not how the transaction carried it.
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    private func copyAll(from sqlite: SQLiteConnection, schema: String, logger: Logger) async throws -> Report {
        try await target.client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \"\(schema)\""), logger: logger)
                var rows: [(table: String, count: Int)] = []
                if let progress {
                    for table in Self.tables {
                        progress.addTotal(try sqlite.statement("SELECT COUNT(*) FROM \(table.name)").first { $0.int64(0) } ?? 0)
                    }
                }
                for table in Self.tables {
                    let existing = try await Self.count(connection, table.name, logger: logger)
                    guard existing == 0 else {
                        throw PostgresDatabase.Failure(
                            description: "schema \(schema) already holds \(existing) row(s) in \(table.name); copy into an empty schema")
                    }
                    rows.append(
                        (
                            table.name,
                            try await Self.copy(table: table.name, orderedBy: table.order, from: sqlite, to: connection, logger: logger, progress: progress)
                        ))
                    if table.serial {
                        _ = try await connection.query(
                            PostgresQuery(
                                unsafeSQL: "SELECT setval(pg_get_serial_sequence('\(table.name)', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM \(table.name)"),
                            logger: logger)
                    }
                }
                let verified = try await PostgresLogCheck(connection: connection, logger: logger).run()
                if let problem = verified.problem { throw PostgresLogCheck.failure(problem) }
                if verified.head > 0 {
                    _ = try await connection.query(
                        "UPDATE decision_chain_head SET seq = \(verified.head), hash = \(verified.headHash)", logger: logger)
                }
                return Report(rows: rows, verifiedDecisions: verified.decisions, head: verified.head)
            }
        }
    }

    static func count(_ connection: PostgresConnection, _ table: String, logger: Logger) async throws -> Int {
        var found = 0
        for try await count in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger).decode(Int.self) {
            found = count
        }
        return found
    }

    /// The columns both sides have, in the source's order.
    static func columns(_ table: String, sqlite: SQLiteConnection, connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let local = try sqlite.statement("PRAGMA table_info(\(table))").rows { $0.string(1) }
        var remote: Set<String> = []
        let query: PostgresQuery = "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)"
        for try await name in try await connection.query(query, logger: logger).decode(String.self) { remote.insert(name) }
        return local.filter(remote.contains)
    }

    /// Streams a table's rows into `COPY`, a batch at a time (read by key, so memory holds one
    /// batch however large the table); answers how many.
    static func copy(
        table: String, orderedBy order: String, from sqlite: SQLiteConnection, to connection: PostgresConnection, logger: Logger, progress: WorkProgress?
    ) async throws -> Int {
        let columns = try await columns(table, sqlite: sqlite, connection: connection, logger: logger)
        guard let key = columns.firstIndex(of: order) else { throw PostgresDatabase.Failure(description: "\(table) has no column \(order)") }
        let list = columns.joined(separator: ", ")
        let first = try sqlite.statement("SELECT \(list) FROM \(table) ORDER BY \(order) LIMIT \(batch)")
        let next = try sqlite.statement("SELECT \(list) FROM \(table) WHERE \(order) > ? ORDER BY \(order) LIMIT \(batch)")
        var copied = 0
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var last: SQLiteValue?
            while true {
                var text = CopyText()
                var rows = 0
                let read: (SQLiteRow) -> Void = { row in
                    let values = (0..<Int32(columns.count)).map { row.optionalString($0) }
                    text.append(row: values)
                    last = order == "id" || order == "seq" ? .integer(row.int64(Int32(key))) : .text(values[key] ?? "")
                    rows += 1
                }
                if let last { try next.forEachRow([last], read) } else { try first.forEachRow([], read) }
                guard rows > 0 else { break }
                try await writer.write(text.buffer)
                copied += rows
                progress?.add(Int64(rows))
                if rows < batch { break }
            }
        }
        return copied
    }

    /// Rows read and sent at a time.
    static let batch = 2_000
}
