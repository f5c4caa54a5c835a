import ArgumentParser
import Foundation
import TollgateLifecycle
import TollgateServer
import TollgateStore

struct DecisionsPrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove decisions older than a horizon, recording a checkpoint so the rest still verifies; refused under a legal hold.")

    @Option(help: "SQLite database file.") var database = "tollgate.db"
    @Option(help: "Remove decisions made before this time (ISO 8601).") var before: String
    @Option(help: "Who prunes (recorded with the checkpoint).") var principal = ProcessInfo.processInfo.environment["USER"] ?? "tollgate"

    func run() throws {
        let horizon: Date
        do {
            guard let parsed = try DecisionFilterParser.parse({ $0 == "to" ? before : nil }).to else { throw ExitCode(2) }
            horizon = parsed
        } catch {
            printError("tollgate decisions prune: --before \(error)")
            throw ExitCode(2)
        }
        let store = try openDatabase(database, command: "decisions prune")
        let line = ProgressLine("prune", unit: "decisions")
        defer { line.finish() }
        do {
            let pruned = try store.prune(before: horizon, principal: principal, progress: line.progress)
            line.finish()
            guard let checkpoint = pruned else {
                print("nothing to prune: no decision was made before \(before)")
                return
            }
            print("pruned \(checkpoint.pruned) decision(s) through \(checkpoint.throughSequence); checkpoint hash \(checkpoint.throughHash)")
        } catch let refusal as RetentionError {
            printError("tollgate decisions prune: \(refusal)")
            throw ExitCode(1)
        }
    }
}

struct DecisionsHold: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Set (with --reason) or release (--release) a legal hold; list them with neither.")

    @Option(help: "SQLite database file.") var database = "tollgate.db"
    @Argument(help: "The hold's name.") var name: String?
    @Option(help: "Why the log must be kept whole.") var reason: String?
    @Flag(help: "Release the hold.") var release = false

    func run() throws {
        let store = try openDatabase(database, command: "decisions hold")
        switch (name, reason, release) {
        case (let name?, _, true):
            try store.releaseLegalHold(name: name)
            print("released \(name)")
        case (let name?, let reason?, false):
            try store.setLegalHold(name: name, reason: reason, principal: ProcessInfo.processInfo.environment["USER"])
            print("set \(name): nothing is pruned while it holds")
        case (_?, nil, false):
            printError("tollgate decisions hold: give --reason to set a hold, or --release")
            throw ExitCode(2)
        default:
            for hold in try store.legalHolds() { print("\(hold.name): \(hold.reason)") }
        }
    }
}
