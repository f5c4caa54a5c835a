import Testing
import TollgateSQLite
import TollgateTestSupport

@Suite("SQLite connection")
struct SQLiteConnectionTests {
    @Test func writesReadsAndRollsBack() throws {
        let directory = try TemporaryDirectory()
        let db = try SQLiteConnection(path: directory.url("t.db"))
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, note TEXT)")
        let insert = try db.statement("INSERT INTO t (name, score, note) VALUES (?, ?, ?)")
        try db.transaction {
            try insert.run(["α-one", 1.5, String?.none])
            try insert.run(["two", 2.0, "x"])
        }
        #expect(throws: SQLiteError.self) {
            try db.transaction {
                try insert.run(["three", 3.0, "y"])
                try insert.run(["two", 0.0, "duplicate"])
            }
        }
        let rows = try db.statement("SELECT name, score, note FROM t ORDER BY id").rows { row in
            (row.string(0), row.double(1), row.optionalString(2))
        }
        #expect(rows.map(\.0) == ["α-one", "two"])
        #expect(rows[0].2 == nil)
        let mode = try db.statement("PRAGMA journal_mode").first { $0.string(0) }
        #expect(mode == "wal")
    }

    @Test func constraintViolationsAreRecognised() throws {
        let directory = try TemporaryDirectory()
        let db = try SQLiteConnection(path: directory.url("t.db"))
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        try db.statement("INSERT INTO t VALUES (?)").run(["a"])
        do {
            try db.statement("INSERT INTO t VALUES (?)").run(["a"])
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.isConstraintViolation)
            #expect(error.description.contains("UNIQUE"))
        }
    }

    @Test func aMissingDirectoryIsAClearError() {
        #expect(throws: SQLiteError.self) { try SQLiteConnection(path: "/nonexistent/dir/t.db") }
    }
}
