import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateStore
import TollgateTestSupport

/// A task's result and its executor's answer to the dispatch are written by two writers at once:
/// the callback, and the dispatch that is still waiting for the executor's answer when the run has
/// already reported. Each must write over what the other wrote only if it read it, whatever the
/// order in which their reads and commits interleave.
@Suite("Concurrent writers of one task")
struct ReadSkewTests {
    let vm: JSONValue = ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]]

    /// The engine on a SQLite store whose next activity read can be held back, and an executor
    /// that keeps its answer to the first dispatch until told.
    struct Race {
        let f: EngineFixture
        let store: ReadHoldingStore
        /// The start of a dev activity, waiting for the executor's answer to its first dispatch.
        let start: Task<Activity, any Error>
        let taskId: Int64
    }

    /// Starts a dev activity on that engine and waits until its first task is dispatched.
    func startRace(_ directory: TemporaryDirectory) async throws -> Race {
        let store = ReadHoldingStore(try SQLiteLifecycleStore(path: directory.url("tollgate.db")))
        let executor = ScriptedExecutor()
        executor.holdAnswers()
        let f = try EngineFixture(executor: executor, store: store)
        let start = Task { try await f.run("dev") }
        try await waitUntil("the first task dispatched") { f.executor.requests.count == 1 }
        return Race(f: f, store: store, start: start, taskId: f.executor.requests[0].taskId)
    }

    @Test func theDispatchAnswerCommittedWhileTheResultIsBeingAppliedIsKept() async throws {
        let directory = try TemporaryDirectory()
        let race = try await startRace(directory)
        let (f, store, start, taskId) = (race.f, race.store, race.start, race.taskId)

        // The result is read with the task as it is now (no executor reference yet)…
        store.holdNextActivityRead()
        let report = Task { try await f.report(taskId, results: vm) }
        try await waitUntil("the result's reads under way") { store.isHoldingRead }
        // …then the executor's answer is committed, with the reference…
        f.executor.releaseAnswers()
        _ = try await start.value
        #expect(try await f.engine.task(id: taskId).executorReference == "run-\(taskId)")
        // …and then the result is committed.
        store.releaseHeldRead()
        _ = try await report.value

        let task = try await f.engine.task(id: taskId)
        #expect(task.status == .processed)
        #expect(task.executorReference == "run-\(taskId)", "the result's commit must not erase the executor's reference")
    }

    @Test func aResultCommittedWhileTheDispatchAnswerIsBeingRecordedStands() async throws {
        let directory = try TemporaryDirectory()
        let race = try await startRace(directory)
        let (f, store, start, taskId) = (race.f, race.store, race.start, race.taskId)

        // The executor answers, and the engine starts recording its answer…
        store.holdNextActivityRead()
        f.executor.releaseAnswers()
        try await waitUntil("the dispatch answer's reads under way") { store.isHoldingRead }
        // …while the run's result is committed…
        try await f.report(taskId, results: vm)
        // …and then the answer is committed.
        store.releaseHeldRead()
        _ = try await start.value

        let task = try await f.engine.task(id: taskId)
        #expect(task.status == .processed, "the dispatch answer's commit must not take the task back to \(task.status.rawValue)")
        #expect(task.results == vm)
        #expect(task.executorReference == "run-\(taskId)")
        #expect(try await f.engine.activity(id: task.activityId).status == .processing, "the activity moved on to its second task")
    }
}
