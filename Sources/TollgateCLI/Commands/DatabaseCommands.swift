import ArgumentParser
import Foundation
import TollgatePostgres
import TollgateStore

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database", abstract: "Prepare the database Tollgate keeps its state in.", subcommands: [DatabaseMigrate.self])
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
            let location: PostgresLocation
            do {
                location = try PostgresLocation(url: url, schema: schema)
            } catch {
                printError("tollgate database migrate: \(error)")
                throw ExitCode(2)
            }
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
