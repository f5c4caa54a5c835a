import Foundation
import TollgateJSON
import TollgateLifecycle
import TollgateStore

/// Prints what happens to an activity as it happens: gate verdicts, tasks starting and ending.
final class RunProgress: @unchecked Sendable {
    private let store: SQLiteLifecycleStore
    private let quiet: Bool
    private var seenDecisions: Set<Int64> = []
    private var seenTasks: [Int64: TaskStatus] = [:]
    private var polls = 0
    private let terminal = Terminal.standardOutput

    init(store: SQLiteLifecycleStore, quiet: Bool) {
        self.store = store
        self.quiet = quiet
    }

    func follow(activityId: Int64, engine: LifecycleEngine) async throws -> Activity {
        while true {
            let activity = try await store.activity(id: activityId)
            try await show(activityId: activityId)
            if let activity, activity.status.isFinished {
                if !quiet {
                    let status = activity.status == .processed ? terminal.green("PROCESSED") : terminal.red(activity.status.rawValue)
                    print("\(activity.stage): activity \(activity.id) \(status)")
                }
                return activity
            }
            try await Task.sleep(for: .milliseconds(20))
            polls += 1
            // Now and then, ask about tasks whose result went missing (and time out stuck ones).
            if activity?.status == .processing, polls % 25 == 0 { await engine.recover() }
        }
    }

    private func show(activityId: Int64) async throws {
        guard !quiet else { return }
        var events: [(String, String)] = []
        for decision in try await store.decisions(activityId: activityId) where seenDecisions.insert(decision.sequence).inserted {
            let verdict: String =
                switch decision.verdict {
                case .pass: terminal.green("PASS")
                case .warn: terminal.yellow("WARN")
                case .block: terminal.red("BLOCK")
                }
            var line = "\(decision.stage): \(decision.phase.rawValue) \(verdict)"
            let counted = decision.outcomes.map { "\($0.policy) \($0.outcome)" }
            if !counted.isEmpty { line += "  (" + counted.joined(separator: ", ") + ")" }
            for outcome in decision.outcomes where outcome.effect != "none" {
                for reason in outcome.reasons { line += "\n    \(outcome.policy): \(reason)" }
            }
            events.append((Timestamp.formatMilliseconds(decision.createdAt) + "0", line))
        }
        for task in try await store.tasks(activityId: activityId) where seenTasks[task.id] != task.status {
            seenTasks[task.id] = task.status
            guard task.status != .planned else { continue }
            var line = "\(task.key) (task \(task.id)) \(task.status.rawValue)"
            if task.status == .processing { line += " on \(task.executor ?? "-")" }
            if let results = task.results, task.status == .processed { line += " " + results.serialized() }
            if let errors = task.errors { line += ": " + errors }
            let at = task.status == .processing ? task.startedAt : task.finishedAt
            events.append((at.map(Timestamp.formatMilliseconds).map { $0 + "1" } ?? "", "  " + line))
        }
        for (_, line) in events.sorted(by: { $0.0 < $1.0 }) { print(line) }
    }
}
