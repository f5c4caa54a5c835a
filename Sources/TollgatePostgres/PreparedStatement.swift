import PostgresNIO

/// The SQL of a statement that every activity makes several times, with `$1…` placeholders.
protocol PreparedSQL: SendableMetatype {
    static var sql: String { get }
}

/// A statement PostgreSQL parses (and, when a generic plan serves, plans) once per connection instead of
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
