import Foundation
import Logging
import TollgatePostgres
import TollgateStore

/// Chain appends per second by store and number of writers.
struct ChainAppendFigures {
    var sqlite: [(writers: Int, rate: Double)] = []
    var postgres: [(writers: Int, rate: Double)] = []
}

/// The decision chain's append rate on SQLite and on PostgreSQL, side by side, 1 to 32 writers.
func measureChainAppends(postgresURL: String, schema: String, work: String) async throws -> ChainAppendFigures {
    var figures = ChainAppendFigures()
    let writerCounts = [1, 8, 32]
    let sqlite = try SQLiteLifecycleStore(path: work + "/chain.db")
    for writers in writerCounts {
        figures.sqlite.append((writers, try await chainAppendsPerSecond(store: sqlite, writers: writers, duration: .seconds(3))))
    }
    var logger = Logger(label: "bench.postgres")
    logger.logLevel = .critical
    let location = try PostgresLocation(url: postgresURL, schema: schema, pool: 32)
    figures.postgres = try await PostgresDatabase.withDatabase(location, logger: logger) { database in
        try await database.migrate()
        let store = PostgresLifecycleStore(database)
        var rates: [(writers: Int, rate: Double)] = []
        for writers in writerCounts {
            rates.append((writers, try await chainAppendsPerSecond(store: store, writers: writers, duration: .seconds(3))))
        }
        return rates
    }
    return figures
}
