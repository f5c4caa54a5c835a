import PostgresNIO

/// The SQL of a read that every activity makes several times, with `$1…` placeholders.
protocol PreparedSQL: SendableMetatype {
    static var sql: String { get }
}

/// A read PostgreSQL parses (and, when a generic plan serves, plans) once per connection instead of
/// once per call: measured with `perf` on the service benchmark, parsing and planning took close to
/// half of PostgreSQL's time when every statement was sent unprepared.
struct Prepared<Statement: PreparedSQL>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { "tollgate." + String(describing: Statement.self) }
    static var sql: String { Statement.sql }
    let bindings: PostgresBindings

    init(_ bindings: PostgresBindings) { self.bindings = bindings }

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The prepared reads.
enum PreparedReads {
    enum ActivityById: PreparedSQL {
        static let sql = "SELECT \(StoredRows.activityColumns) FROM activities WHERE id = $1"
    }

    enum ActivitiesMatching: PreparedSQL {
        static let sql = """
            SELECT \(StoredRows.activityColumns) FROM activities
            WHERE ($1::TEXT IS NULL OR data_product_id = $1) AND ($2::TEXT IS NULL OR data_product_version = $2)
              AND ($3::TEXT IS NULL OR stage = $3) AND ($4::TEXT IS NULL OR status = $4)
            ORDER BY id
            """
    }

    enum TaskById: PreparedSQL {
        static let sql = "SELECT \(StoredRows.taskColumns) FROM tasks WHERE id = $1"
    }

    enum TasksOfActivity: PreparedSQL {
        static let sql = "SELECT \(StoredRows.taskColumns) FROM tasks WHERE activity_id = $1 ORDER BY position"
    }

    enum StageRecordsOfVersion: PreparedSQL {
        static let sql = """
            SELECT \(StoredRows.stageColumns) FROM lifecycles WHERE data_product_id = $1 AND data_product_version = $2 ORDER BY id
            """
    }
}

extension PostgresBindings {
    /// Bindings of text values, `nil` bound as NULL.
    init(texts: [String?]) {
        self.init(capacity: texts.count)
        for text in texts { append(text) }
    }

    /// The binding of one integer.
    init(_ value: Int64) {
        self.init(capacity: 1)
        append(value)
    }
}
