import ArgumentParser
import Foundation
import TollgateJSON
import TollgateLifecycle
import TollgatePolicy
import TollgateRuntime
import TollgateServer
import TollgateStore

struct DecisionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decisions",
        abstract: "Query, export, explain, verify and replay the decision log.",
        subcommands: [DecisionsList.self, DecisionsExplain.self, DecisionsExport.self, DecisionsVerify.self, DecisionsReplay.self, DecisionsPrune.self, DecisionsHold.self]
    )
}

/// The database and the filters every decisions command takes.
struct DecisionSelection: ParsableArguments {
    @Option(help: "SQLite database file.") var database = "tollgate.db"
    @Option(help: "Data product id.") var dataProductId: String?
    @Option(help: "Data product version.") var dataProductVersion: String?
    @Option(help: "Stage.") var stage: String?
    @Option(help: "Activity id.") var activityId: String?
    @Option(help: "Task id.") var taskId: String?
    @Option(help: "ACTIVITY_STAGE_TRANSITION, TASK_EXECUTION_RESULT or ACTIVITY_EXECUTION_RESULT.") var phase: String?
    @Option(help: "Decisions a policy took part in.") var policy: String?
    @Option(help: "A policy revision or a policy-set revision.") var revision: String?
    @Option(help: "pass, warn, block (the verdict) or allow, deny, error, skipped (a policy's outcome).") var outcome: String?
    @Option(help: "Who made the request.") var principal: String?
    @Option(help: "From this time (ISO 8601).") var since: String?
    @Option(help: "Before this time (ISO 8601).") var until: String?
    @Option(help: "After this sequence number.") var after: String?
    @Option(help: "At most this many.") var limit: String?

    func filter(_ command: String) throws -> DecisionFilter {
        let values: [String: String?] = [
            "dataProductId": dataProductId, "dataProductVersion": dataProductVersion, "stage": stage, "activityId": activityId,
            "taskId": taskId, "phase": phase, "policy": policy, "revision": revision, "outcome": outcome, "principal": principal,
            "from": since, "to": until, "cursor": after, "limit": limit,
        ]
        do {
            return try DecisionFilterParser.parse { values[$0] ?? nil }
        } catch {
            printError("tollgate decisions \(command): \(error)")
            throw ExitCode(2)
        }
    }

    func store(_ command: String) throws -> SQLiteLifecycleStore { try openDatabase(database, command: "decisions \(command)") }
}

/// The database at `path`, which must exist (opening a missing one would create an empty log).
func openDatabase(_ path: String, command: String) throws -> SQLiteLifecycleStore {
    guard FileManager.default.fileExists(atPath: path) else {
        printError("tollgate \(command): no database at \(path) (give --database)")
        throw ExitCode(2)
    }
    return try SQLiteLifecycleStore(path: path)
}

enum DecisionListFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, ndjson, csv
}

struct DecisionsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The decisions a filter selects, in log order.")

    @OptionGroup var selection: DecisionSelection
    @Option(help: "table, json, ndjson or csv.") var format = DecisionListFormat.table

    func run() throws {
        let records = try selection.store("list").decisions(matching: try selection.filter("list"))
        switch format {
        case .json: print(JSONValue.array(records.map(DecisionRendering.json)).serialized(pretty: true))
        case .ndjson: for record in records { print(DecisionRendering.json(record).serialized()) }
        case .csv:
            print(DecisionRendering.csvHeader.joined(separator: ","))
            for record in records { print(DecisionRendering.csvRow(record)) }
        case .table:
            for record in records {
                let denied = record.outcomes.filter { $0.outcome != "allow" && $0.outcome != "skipped" }.map { "\($0.policy)=\($0.outcome)" }
                print(
                    [
                        String(record.sequence).padding(toLength: 6, withPad: " ", startingAt: 0), Timestamp.formatMilliseconds(record.createdAt),
                        record.verdict.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0),
                        record.phase.rawValue.padding(toLength: 25, withPad: " ", startingAt: 0), "\(record.dataProductId) \(record.dataProductVersion) \(record.stage)",
                        record.gatedChange, record.principal ?? "-", denied.joined(separator: " "),
                    ].joined(separator: "  "))
            }
            print("\(records.count) decision(s)")
        }
    }
}

struct DecisionsExplain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "A readable account of one decision.")

    @Argument(help: "The decision's sequence number.") var sequence: Int64
    @Option(help: "SQLite database file.") var database = "tollgate.db"

    func run() throws {
        guard let record = try openDatabase(database, command: "decisions explain").decision(sequence: sequence) else {
            printError("tollgate decisions explain: \(database) has no decision \(sequence)")
            throw ExitCode(1)
        }
        print(DecisionRendering.explain(record))
    }
}

struct DecisionsExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Every decision a filter selects as NDJSON or CSV, ending with the log position and hash covered.")

    @OptionGroup var selection: DecisionSelection
    @Option(help: "ndjson or csv.") var format = "ndjson"

    func run() async throws {
        guard let format = DecisionExport.Format(rawValue: format) else {
            printError("tollgate decisions export: --format must be ndjson or csv")
            throw ExitCode(2)
        }
        let store = try selection.store("export")
        let filter = try selection.filter("export")
        var export = try await DecisionExport(store: store, filter: filter, format: format)
        let line = ProgressLine("export", unit: "decisions")
        defer { line.finish() }
        // How many a whole-log export will write is known; a filtered one's is not.
        if filter == DecisionFilter() { line.progress.addTotal(Int64(try store.decisionCount())) }
        while let piece = try await export.next() {
            FileHandle.standardOutput.write(Data(piece.utf8))
            line.progress.add(Int64(export.exported) - line.progress.done)
        }
    }
}

struct DecisionsVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain, the gapless sequence and completeness; exit 1 naming the first problem.")

    @Option(help: "SQLite database file.") var database = "tollgate.db"
    @Option(help: "text or json.") var format = DataFormat.text

    func run() throws {
        let store = try openDatabase(database, command: "decisions verify")
        let line = ProgressLine("verify", unit: "decisions")
        let report: LogVerification
        do {
            report = try store.verifyLog(progress: line.progress)
            line.finish()
        } catch {
            line.finish()
            throw error
        }
        switch format {
        case .json: print(DecisionRendering.json(report).serialized(pretty: true))
        case .text:
            let head = report.head.map { "through decision \($0.sequence) (hash \($0.hash))" } ?? "(the log is empty)"
            print("\(report.decisions) decision(s) \(head)")
            print("chain:        " + (report.chain.map { "BROKEN at decision \($0.sequence): \($0.message)" } ?? "intact"))
            print("completeness: " + (report.completeness.isEmpty ? "every decision gated a recorded change, every gated change has its decision" : "\(report.completeness.count) problem(s)"))
            for problem in report.completeness { print("  - \(problem)") }
        }
        if !report.isIntact { throw ExitCode(1) }
    }
}

struct DecisionsReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Evaluate recorded decisions again with the policy revisions that made them; exit 1 on any difference.")

    @OptionGroup var selection: DecisionSelection
    @Argument(help: "One decision's sequence number (else every decision the filter selects).") var sequence: Int64?

    func run() throws {
        let store = try selection.store("replay")
        let records = try sequence.map { try store.decision(sequence: $0).map { [$0] } ?? [] } ?? store.decisions(matching: try selection.filter("replay"))
        var replay = DecisionReplay(store: store)
        var differing = 0
        for record in records {
            let comparison = try replay.replay(record)
            if comparison.matches { continue }
            differing += 1
            print("decision \(record.sequence) (\(record.phase.rawValue), \(record.dataProductId) \(record.stage)): " + comparison.differences.joined(separator: "; "))
        }
        print("\(records.count) decision(s) replayed, \(records.count - differing) the same, \(differing) different")
        if differing > 0 { throw ExitCode(1) }
    }
}

struct PolicyShadow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow",
        abstract: "Evaluate a candidate policy set against recorded decision inputs: which past verdicts would change.")

    @OptionGroup var selection: DecisionSelection
    @Option(help: "The candidate policy directory.") var policies = "policies"

    func run() throws {
        let store = try selection.store("shadow")
        let candidate: PolicyEngine
        do {
            candidate = try PolicyEngine(directory: policies)
        } catch {
            printError("tollgate policy shadow: \(error)")
            throw ExitCode(2)
        }
        for problem in candidate.policySet.problems { printError("tollgate policy shadow: BROKEN \(problem)") }
        let records = try store.decisions(matching: try selection.filter("shadow"))
        var changed = 0
        for record in records {
            let comparison = DecisionReplay.shadow(record, candidate: candidate)
            guard comparison.verdict != record.verdict else { continue }
            changed += 1
            print(
                "decision \(record.sequence) (\(record.phase.rawValue), \(record.dataProductId) \(record.dataProductVersion) \(record.stage)): "
                    + "\(record.verdict.rawValue) -> \(comparison.verdict.rawValue); " + comparison.differences.dropFirst().joined(separator: "; "))
        }
        print("\(records.count) decision(s) evaluated with \(policies): \(changed) verdict(s) would change")
    }
}
