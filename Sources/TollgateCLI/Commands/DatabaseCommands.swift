import ArgumentParser
import Foundation
import TollgatePostgres
import TollgateStore

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database", abstract: "Prepare the database Tollgate keeps its state in.", subcommands: [DatabaseMigrate.self, DatabaseCopyCommand.self])

    /// The PostgreSQL database `url` names; a malformed address ends `command` with exit 2.
    static func location(_ url: String, schema: String, command: String) throws -> PostgresLocation {
        do {
            return try PostgresLocation(url: url, schema: schema)
        } catch {
            printError("tollgate database \(command): \(error)")
            throw ExitCode(2)
        }
    }
}

struct DatabaseMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring a database's schema to this Tollgate's version (idempotent; refuses a newer one).",
        discussion: """
            SQLite: --database FILE (created when missing). PostgreSQL: the address in the environment \
            variable --postgres-env names (postgres://user:password@host:5432/database), in --schema. \
            Replicas starting together each may run it: every version is applied once.
            """)

    @Option(help: "The SQLite database file.") var database: String?
    @Option(help: "Environment variable holding the PostgreSQL address.") var postgresEnv: String?
    @Option(help: "The PostgreSQL schema Tollgate's tables live in.") var schema = "tollgate"

    func run() async throws {
        if let name = postgresEnv {
            guard let url = ProcessInfo.processInfo.environment[name], !url.isEmpty else {
                printError("tollgate database migrate: set \(name) to a postgres:// address")
                throw ExitCode(2)
            }
            let location = try DatabaseCommand.location(url, schema: schema, command: "migrate")
            do {
                let applied = try await PostgresDatabase.withDatabase(location) { database in try await database.migrate() }
                print(
                    applied.isEmpty
                        ? "\(location.shown) schema \(schema): already at version \(PostgresDatabase.knownVersion)"
                        : "\(location.shown) schema \(schema): applied version\(applied.count > 1 ? "s" : "") \(applied.map(String.init).joined(separator: ", "))")
            } catch {
                printError("tollgate database migrate: \(location.shown): \(error)")
                throw ExitCode(1)
            }
            return
        }
        guard let database else {
            printError("tollgate database migrate: give --database FILE (SQLite) or --postgres-env NAME (PostgreSQL)")
            throw ExitCode(2)
        }
        do {
            _ = try SQLiteLifecycleStore(path: database)
            print("\(database): at the newest schema")
        } catch {
            printError("tollgate database migrate: \(database): \(error)")
            throw ExitCode(1)
        }
    }
}

struct DatabaseCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Move a whole installation from its SQLite file to PostgreSQL, verified before it commits.",
        discussion: """
            Copies every table, ids kept, in one transaction into an empty schema, then walks the copied \
            decision log (chain, hashes, input parts) and commits only if it verifies. The address is \
            --to postgres:URL, or in the environment variable --to-env names (kept out of the process list).
            """)

    @Option(help: "The source: sqlite:PATH.") var from: String
    @Option(help: "The target: postgres:postgres://user:password@host:5432/database.") var to: String?
    @Option(help: "Environment variable holding the target's postgres:// address.") var toEnv: String?
    @Option(help: "The PostgreSQL schema to copy into.") var schema = "tollgate"

    func run() async throws {
        guard from.hasPrefix("sqlite:") else {
            printError("tollgate database copy: --from must be sqlite:PATH")
            throw ExitCode(2)
        }
        let path = String(from.dropFirst("sqlite:".count))
        guard FileManager.default.fileExists(atPath: path) else {
            printError("tollgate database copy: there is no SQLite database at \(path)")
            throw ExitCode(2)
        }
        let url = to.map { $0.hasPrefix("postgres:postgres") ? String($0.dropFirst("postgres:".count)) : $0 }
            ?? toEnv.flatMap { ProcessInfo.processInfo.environment[$0] }
        guard let url, !url.isEmpty else {
            printError("tollgate database copy: give --to postgres:URL, or --to-env NAME with the address in that variable")
            throw ExitCode(2)
        }
        let location = try DatabaseCommand.location(url, schema: schema, command: "copy")
        let started = ContinuousClock.now
        let line = ProgressLine("copy", unit: "rows")
        do {
            let report = try await PostgresDatabase.withDatabase(location) { database in
                try await DatabaseCopy(source: path, target: database, progress: line.progress).run()
            }
            line.finish()
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            for (table, count) in report.rows { print("\(table): \(count)") }
            print(
                "copied \(path) to \(location.shown) schema \(schema) in \(String(format: "%.1f", seconds)) s;"
                    + " the decision log verifies: \(report.verifiedDecisions) decisions through \(report.head)")
        } catch {
            line.finish()
            printError("tollgate database copy: \(error)")
            throw ExitCode(1)
        }
    }
}
