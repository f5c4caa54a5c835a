import Foundation
import Synchronization
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateRuntime
import TollgateTestSupport

/// The local-process executor with real processes.
@Suite("Local process executor")
struct LocalProcessExecutorTests {
    final class Reports: Sendable {
        let received = Mutex<[Int64: TaskReport]>([:])
        func wait(for taskId: Int64) async throws -> TaskReport {
            for _ in 0..<500 {
                if let report = received.withLock({ $0[taskId] }) { return report }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw ExecutorError(retryable: false, message: "no report for task \(taskId)")
        }
    }

    func request(_ id: Int64, script: String, directory: TemporaryDirectory, timeout: Int = 30, params: JSONValue = [:]) throws -> DispatchRequest {
        let path = try directory.write("script-\(id).sh", "#!/bin/sh\n" + script + "\n")
        chmod(path, 0o755)
        return DispatchRequest(
            taskId: id, activityId: 1, taskKey: "task\(id)", taskName: nil, executor: "local",
            template: ["command": .string(path)], configurations: ["params": params, "context": ["dev": ["status": "RUNNING"]]],
            callbackRef: nil, timeoutSeconds: timeout)
    }

    func executor(_ directory: TemporaryDirectory, _ reports: Reports) -> LocalProcessExecutor {
        LocalProcessExecutor(stateDirectory: directory.url("state")) { id, report in
            reports.received.withLock { $0[id] = report }
        }
    }

    @Test func resultsFromTheLastLineParametersAndStdin() async throws {
        let directory = try TemporaryDirectory()
        let reports = Reports()
        let local = executor(directory, reports)
        let r = try request(
            1, script: #"read body; echo "noise"; echo "{\"ip\": \"$TOLLGATE_PARAM_VMIP\", \"stdin\": $body}""#,
            directory: directory, params: ["vmIp": "10.1.2.3"])
        let outcome = try await local.dispatch(r)
        guard case .accepted = outcome else { Issue.record("\(outcome)"); return }
        let report = try await reports.wait(for: 1)
        #expect(report.status == .processed)
        #expect(report.results?["ip"] == "10.1.2.3")
        #expect(report.results?["stdin"]?["context"]?["dev"]?["status"] == "RUNNING")
    }

    @Test func cancelStopsTheRunningProcessGroup() async throws {
        let directory = try TemporaryDirectory()
        let reports = Reports()
        let local = executor(directory, reports)
        let marker = directory.url("child-alive")
        let r = try request(20, script: "(sleep 30; touch \(marker)) & sleep 30", directory: directory)
        _ = try await local.dispatch(r)
        let pidFile = directory.url("state") + "/tasks/20/pid"
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: pidFile) { try await Task.sleep(for: .milliseconds(10)) }
        let pid = try #require(FileManager.default.contents(atPath: pidFile).flatMap { Int32(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) })
        let outcome = try await local.cancel(r)
        #expect(outcome == .cancelled("sent SIGTERM to the process group of pid \(pid)"))
        var gone = false
        for _ in 0..<200 {
            if kill(pid, 0) != 0 { gone = true; break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(gone, "the task's process is stopped")
        #expect(try await local.cancel(r) != .cancelled("sent SIGTERM to the process group of pid \(pid)"), "a second cancel finds nothing to stop")
    }

    @Test func tasksDoNotSeeTollgatesSecrets() async throws {
        setenv("TOLLGATE_TEST_SECRET_TOKEN", "do-not-leak", 1)
        defer { unsetenv("TOLLGATE_TEST_SECRET_TOKEN") }
        let directory = try TemporaryDirectory()
        let reports = Reports()
        let local = executor(directory, reports)
        _ = try await local.dispatch(
            try request(10, script: #"echo "{\"secret\": \"${TOLLGATE_TEST_SECRET_TOKEN:-none}\", \"path\": \"${PATH:+set}\"}""#, directory: directory))
        let report = try await reports.wait(for: 10)
        #expect(report.results == ["secret": "none", "path": "set"])
    }

    @Test func resultsFileWinsAndFailuresCarryTheirErrorOutput() async throws {
        let directory = try TemporaryDirectory()
        let reports = Reports()
        let local = executor(directory, reports)
        _ = try await local.dispatch(try request(2, script: #"echo '{"from": "file"}' > "$TOLLGATE_RESULTS_FILE"; echo '{"from": "stdout"}'"#, directory: directory))
        _ = try await local.dispatch(try request(3, script: "echo 'disk full' >&2; exit 3", directory: directory))
        _ = try await local.dispatch(try request(4, script: #"echo 'not json' > "$TOLLGATE_RESULTS_FILE""#, directory: directory))
        #expect(try await reports.wait(for: 2).results == ["from": "file"])
        let failed = try await reports.wait(for: 3)
        #expect(failed.status == .failed)
        #expect(failed.errors == "exited with status 3: disk full")
        let bad = try await reports.wait(for: 4)
        #expect(bad.status == .failed)
        #expect(bad.errors?.contains("results file is not JSON") == true)
    }

    @Test func aTaskIsNeverStartedTwice() async throws {
        let directory = try TemporaryDirectory()
        let log = directory.url("runs.log")
        let reports = Reports()
        let first = executor(directory, reports)
        let r = try request(5, script: "echo run >> \(log); sleep 0.2; echo '{\"ok\": true}'", directory: directory)
        _ = try await first.dispatch(r)
        // A second executor (Tollgate restarted) dispatches the same task again.
        let second = executor(directory, reports)
        let again = try await second.dispatch(r)
        guard case .accepted = again else { Issue.record("\(again)"); return }
        #expect(try await reports.wait(for: 5).results == ["ok": true])
        let finishedAgain = try await second.dispatch(r)
        #expect(finishedAgain == .finished(TaskReport(status: .processed, results: ["ok": true])))
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "run\n")
        #expect(try await second.status(of: r) == TaskReport(status: .processed, results: ["ok": true]))
    }

    @Test func aRunawayProcessIsStoppedAtItsTimeout() async throws {
        let directory = try TemporaryDirectory()
        let reports = Reports()
        let local = executor(directory, reports)
        _ = try await local.dispatch(try request(6, script: "sleep 30", directory: directory, timeout: 1))
        let report = try await reports.wait(for: 6)
        #expect(report.status == .failed)
        #expect(report.errors == "timed out after 1 seconds")
    }

    @Test func aMissingCommandIsAClearError() async throws {
        let directory = try TemporaryDirectory()
        let local = executor(directory, Reports())
        var r = try request(7, script: "true", directory: directory)
        r.template = ["args": []]
        await #expect(throws: ExecutorError.self) { try await local.dispatch(r) }
    }

    @Test func aClaimLeftByATollgateThatDiedBeforeStartingTheTaskIsTakenOver() async throws {
        let directory = try TemporaryDirectory()
        let log = directory.url("runs.log")
        let reports = Reports()
        let local = executor(directory, reports)
        let r = try request(8, script: "echo run >> \(log); echo '{\"ok\": true}'", directory: directory)
        // A claim by a process that no longer exists, and nothing started.
        try directory.write("state/tasks/8/dispatching", "999999\n")
        _ = try await local.dispatch(r)
        #expect(try await reports.wait(for: 8).results == ["ok": true])
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "run\n")
    }

    @Test func aClaimHeldByALiveProcessIsWaitedFor() async throws {
        let directory = try TemporaryDirectory()
        let local = executor(directory, Reports())
        let r = try request(9, script: "echo '{}'", directory: directory)
        try directory.write("state/tasks/9/dispatching", "1\n")  // init never dies
        do {
            _ = try await local.dispatch(r)
            Issue.record("started a task another live process had claimed")
        } catch {
            #expect(error.retryable)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.url("state/tasks/9/pid")))
    }
}
