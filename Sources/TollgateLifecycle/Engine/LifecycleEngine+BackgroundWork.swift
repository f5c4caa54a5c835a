import Foundation
import Logging

/// Background work (outbox intents, periodic duties) has no caller to hand a failure to: these
/// carry it out so that every failure is logged with what becomes of the work.
extension LifecycleEngine {
    /// Runs background work whose failure has no caller to go to, and logs the failure: what was
    /// being done, what the error was, and what becomes of the work.
    ///
    /// Work on an outbox intent that fails stays pending and is tried again at the next recovery
    /// round; a lost lease means another replica carries it out.
    func logFailure<T>(
        _ what: @autoclosure () -> String, about metadata: Logger.Metadata, _ body: () async throws -> T
    ) async -> T? {
        do {
            return try await body()
        } catch {
            let level: Logger.Level
            let consequence: String
            switch error as? LifecycleError {
            case .leaseLost?:
                level = .notice
                consequence = "another replica took the work over; its outcome here is not recorded"
            case .taskAlreadyFinished?:
                level = .info
                consequence = "the task had already ended; nothing more to record"
            case .conflict?, .unavailable?, .storage?:
                level = .error
                consequence = "nothing was written; the work is tried again at the next recovery round"
            default:
                level = .warning
                consequence = "nothing was written"
            }
            options.logger.log(level: level, "\(what()) failed: \(error); \(consequence)", metadata: metadata)
            return nil
        }
    }

    /// Commits the outcome of background work, logging a failure (the work stays pending and is
    /// tried again, or belongs to the replica that took it over).
    @discardableResult
    func record(_ changes: ChangeSet, _ what: @autoclosure () -> String, about metadata: Logger.Metadata) async -> CommittedChanges? {
        await logFailure("recording \(what())", about: metadata) { try await commit(changes, about: metadata) }
    }

    /// Hands a result the engine found itself (a timeout, an executor's status, a dispatch given
    /// up) to the task, logging a refusal.
    func reportInBackground(
        taskId: Int64, _ report: TaskReport, principal: Principal = .system, cancelRun: String? = nil, about metadata: Logger.Metadata
    ) async {
        var metadata = metadata
        metadata["task"] = "\(taskId)"
        _ = await logFailure("reporting \(report.status.rawValue) for task \(taskId)", about: metadata) {
            try await self.report(taskId: taskId, report, principal: principal, cancelRun: cancelRun)
        }
    }

    /// The task an outbox intent is for, read to carry the intent out (`to`: what for). Nil when
    /// the read fails (logged; the intent is tried again later) or the task is not stored (the
    /// intent is given up, and that is recorded).
    func task(_ taskId: Int64, of intent: OutboxIntent, to what: String, about metadata: Logger.Metadata) async -> LifecycleTask? {
        guard let read = await readInBackground("task \(taskId) to \(what)", about: metadata, { try await store.task(id: taskId) }) else { return nil }
        guard let task = read else {
            var changes = ChangeSet()
            changes.outboxDone.append((intent.id, "task \(taskId) is not stored"))
            await record(changes, "the end of an intent whose task \(taskId) is not stored", about: metadata)
            return nil
        }
        return task
    }

    /// A store read of background work, logged when it fails (the work is looked at again at the
    /// next recovery round).
    func readInBackground<T>(_ what: @autoclosure () -> String, about metadata: Logger.Metadata, _ body: () async throws -> T) async -> T? {
        await logFailure("reading \(what())", about: metadata, body)
    }
}
