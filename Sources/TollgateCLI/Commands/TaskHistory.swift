import ArgumentParser
import Foundation
import TollgateJSON
import TollgateLifecycle
import TollgateStore

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Look into tasks recorded in a Tollgate database.",
        subcommands: [TaskHistory.self]
    )
}

/// `tollgate task history TASK`: what happened to a task, job logs included.
struct TaskHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show a task's execution history: dispatches, executor errors, results, job logs, cancellations."
    )

    @Argument(help: "The task id.")
    var task: Int64

    @Option(help: "SQLite database file.")
    var database = "tollgate.db"

    @Option(help: "Only entries of this kind (dispatched, executor-error, result, log, cancel, aborted).")
    var kind: String?

    @Option(help: "Output format.")
    var format = DataFormat.text

    func run() async throws {
        let store = try openDatabase(database, command: "task history")
        guard try await store.task(id: task) != nil else {
            printError("tollgate task history: \(database) has no task \(task)")
            throw ExitCode(1)
        }
        let events = try await store.history(taskId: task).filter { kind == nil || $0.kind == kind }
        switch format {
        case .json:
            let list = events.map { event -> JSONValue in
                ["at": .string(Timestamp.formatMilliseconds(event.at)), "kind": .string(event.kind), "message": .string(event.message), "data": event.data ?? .null]
            }
            print(JSONValue.array(list).serialized(pretty: true))
        case .text:
            for event in events {
                print("\(Timestamp.formatMilliseconds(event.at))  \(event.kind.padding(toLength: 14, withPad: " ", startingAt: 0))  \(event.message)")
                if event.kind == "log", let text = event.data?["log"]?.stringValue {
                    for line in text.split(separator: "\n", omittingEmptySubsequences: false) { print("    \(line)") }
                }
            }
        }
    }
}
