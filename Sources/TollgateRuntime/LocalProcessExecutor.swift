import Foundation
import Synchronization
import TollgateJSON
public import TollgateLifecycle

/// Runs tasks as local processes.
///
/// The template definition names what to run:
/// ```json
/// { "command": "examples/walkthrough/provision.sh", "arguments": ["--fast"],
///   "environment": { "REGION": "eu" }, "workingDirectory": ".", "timeoutSeconds": 60 }
/// ```
/// The process gets the task's configurations (parameters and context) as JSON on stdin and in
/// `TOLLGATE_CONFIGURATIONS`, each scalar of `configurations.params` as `TOLLGATE_PARAM_<NAME>`,
/// and `TOLLGATE_TASK_ID`, `TOLLGATE_ACTIVITY_ID`, `TOLLGATE_TASK_KEY`, `TOLLGATE_RESULTS_FILE`;
/// of Tollgate's own environment it sees only `PATH`, `HOME`, locale and the like, so tokens given
/// to Tollgate never reach task processes.
/// It reports results as a JSON object in the results file, or on its last line of output. Exit
/// code 0 means PROCESSED, anything else FAILED (with the end of its error output).
///
/// Every task has a folder under `stateDirectory` that outlives Tollgate: the process writes its
/// pid and, when done, its exit code there. A task is never started twice: a dispatch of a task
/// whose folder shows it started answers with what the folder says, so recovery after a crash
/// picks up a process that kept running or finished meanwhile.
public final class LocalProcessExecutor: TaskExecutor {
    /// Where task folders live.
    public let stateDirectory: String
    private let onReport: @Sendable (Int64, TaskReport) async -> Void
    private let watched = Mutex<[Int64: (request: DispatchRequest, started: Date)]>([:])
    private let watcher = Mutex<Task<Void, Never>?>(nil)
    /// How often finished processes are looked for.
    public let pollInterval: Duration

    /// - Parameter onReport: called once per task when its process has finished.
    public init(
        stateDirectory: String, pollInterval: Duration = .milliseconds(20),
        onReport: @escaping @Sendable (Int64, TaskReport) async -> Void
    ) {
        self.stateDirectory = stateDirectory
        self.pollInterval = pollInterval
        self.onReport = onReport
    }

    deinit { watcher.withLock { $0?.cancel() } }

    func folder(_ taskId: Int64) -> String { "\(stateDirectory)/tasks/\(taskId)" }

    public func dispatch(_ request: DispatchRequest) async throws(ExecutorError) -> DispatchOutcome {
        let folder = folder(request.taskId)
        let files = FileManager.default
        let state = await claimState(folder)
        switch state {
        case .started:
            if let report = finishedReport(request) { return .finished(report) }
            watch(request)
            return .accepted(reference: "pid \(readNumber(folder + "/pid").map(String.init) ?? "?")")
        case .claimedByLiveProcess:
            throw ExecutorError(retryable: true, message: "task \(request.taskId) is being started by another live process; will retry")
        case .free, .stale:
            break
        }
        let definition = request.template ?? .object([:])
        guard let command = definition["command"]?.stringValue, !command.isEmpty else {
            throw ExecutorError(
                retryable: false,
                message: "the local executor needs template.definition.command (the program to run) for task \(request.taskKey)")
        }
        let arguments = definition["arguments"]?.arrayValue?.map { $0.stringValue ?? $0.serialized() } ?? []
        do {
            try files.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(request.configurations.serialized().utf8).write(to: URL(fileURLWithPath: folder + "/stdin.json"))
        } catch {
            throw ExecutorError(retryable: false, message: "cannot prepare \(folder): \(error)")
        }
        // Tasks get a plain environment, not Tollgate's own (which may hold tokens and secrets).
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [:]
        for name in Self.inheritedVariables { environment[name] = inherited[name] }
        if case .object(let extra)? = definition["environment"] {
            for (key, value) in extra { environment[key] = value.stringValue ?? value.serialized() }
        }
        if case .object(let params)? = request.configurations["params"] {
            for (key, value) in params where value.arrayValue == nil && value.objectValue == nil {
                environment["TOLLGATE_PARAM_" + Self.environmentName(key)] = value.stringValue ?? value.serialized()
            }
        }
        environment["TOLLGATE_TASK_ID"] = String(request.taskId)
        environment["TOLLGATE_ACTIVITY_ID"] = String(request.activityId)
        environment["TOLLGATE_TASK_KEY"] = request.taskKey
        environment["TOLLGATE_RESULTS_FILE"] = folder + "/results.json"
        environment["TOLLGATE_CONFIGURATIONS"] = request.configurations.serialized()
        if let callback = request.callbackRef { environment["TOLLGATE_CALLBACK"] = callback }
        let workingDirectory = definition["workingDirectory"]?.stringValue ?? files.currentDirectoryPath
        // Claims the task before the process exists, with this process's id: a concurrent dispatch
        // finds the claim and waits; a dispatch after a restart finds the claimer gone and, since no
        // process was started (no pid), starts it.
        if !claim(folder, takingOverStale: state == .stale) {
            throw ExecutorError(retryable: true, message: "task \(request.taskId) is being started by another dispatch; will retry")
        }
        do {
            try ProcessSpawner.spawnDetached(
                command: command, arguments: arguments, environment: environment, workingDirectory: workingDirectory,
                folder: folder)
        } catch {
            throw ExecutorError(retryable: false, message: "cannot start '\(command)': \(error)")
        }
        _ = FileManager.default.createFile(atPath: folder + "/spawned", contents: Data())
        watch(request)
        return .accepted(reference: "local \(command)")
    }

    public func status(of request: DispatchRequest) async throws(ExecutorError) -> TaskReport? {
        if let report = finishedReport(request) { return report }
        let folder = folder(request.taskId)
        guard let pid = readNumber(folder + "/pid") else {
            if FileManager.default.fileExists(atPath: folder + "/spawned") {
                watch(request)
                return nil
            }
            throw ExecutorError(retryable: false, message: "no process was started for task \(request.taskId)")
        }
        if kill(pid, 0) == 0 || errno == EPERM {
            watch(request)
            return nil
        }
        // The process is gone without an exit status: it was killed from outside.
        if let report = finishedReport(request) { return report }
        return TaskReport(status: .failed, errors: "the process (pid \(pid)) ended without reporting an exit status")
    }

    /// Stops the task's process group (SIGTERM) when it is still running.
    public func cancel(_ request: DispatchRequest) async throws(ExecutorError) -> CancelOutcome {
        watched.withLock { $0[request.taskId] = nil }
        if finishedReport(request) != nil { return .nothingToCancel("the process had already ended") }
        guard let pid = readNumber(folder(request.taskId) + "/pid") else {
            return .nothingToCancel("no process was started for task \(request.taskId)")
        }
        guard kill(-pid, SIGTERM) == 0 || kill(pid, SIGTERM) == 0 else {
            return .nothingToCancel("the process (pid \(pid)) had already ended")
        }
        return .cancelled("sent SIGTERM to the process group of pid \(pid)")
    }

    enum ClaimState {
        /// No dispatch has claimed the task.
        case free
        /// A process was started for the task (its pid or the spawned marker exists).
        case started
        /// Another live process claimed the task and has not started it yet.
        case claimedByLiveProcess
        /// A process claimed the task and died before starting it: nothing ran.
        case stale
    }

    /// What the task folder says about earlier dispatches (waiting briefly for the pid of a process
    /// that a live claimer is starting right now).
    func claimState(_ folder: String) async -> ClaimState {
        let files = FileManager.default
        func started() -> Bool {
            files.fileExists(atPath: folder + "/pid") || files.fileExists(atPath: folder + "/spawned")
        }
        if started() { return .started }
        guard files.fileExists(atPath: folder + "/dispatching") else { return .free }
        for _ in 0..<50 {
            if started() { return .started }
            guard let claimer = readNumber(folder + "/dispatching"), claimer > 0, claimer != getpid(),
                kill(claimer, 0) == 0 || errno == EPERM
            else {
                // The claimer is gone (or it was this process, whose in-flight dispatch is over).
                return started() ? .started : .stale
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return started() ? .started : .claimedByLiveProcess
    }

    /// Writes this process's claim on the task folder; false when another claim got there first.
    private func claim(_ folder: String, takingOverStale: Bool) -> Bool {
        let path = folder + "/dispatching"
        var fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        if fd < 0 {
            // Only a claim found stale just before (its claimer died before starting anything) is taken over.
            guard takingOverStale else { return false }
            fd = open(path, O_WRONLY | O_TRUNC)
            guard fd >= 0 else { return false }
        }
        let text = Array("\(getpid())\n".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return true
    }

    /// The report of a finished task, read from its folder; nil while it runs.
    func finishedReport(_ request: DispatchRequest) -> TaskReport? {
        let folder = folder(request.taskId)
        guard let code = readNumber(folder + "/exit") else { return nil }
        let stdout = readText(folder + "/stdout") ?? ""
        let stderr = readText(folder + "/stderr") ?? ""
        if code != 0 {
            let tail = String(stderr.suffix(2_000)).trimmingCharacters(in: .whitespacesAndNewlines)
            let reason = code == 124 ? "timed out after \(request.timeoutSeconds) seconds" : "exited with status \(code)"
            return TaskReport(status: .failed, errors: tail.isEmpty ? reason : "\(reason): \(tail)")
        }
        if let text = readText(folder + "/results.json"), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            do {
                return TaskReport(status: .processed, results: try JSONValue.parse(text))
            } catch {
                return TaskReport(status: .failed, errors: "the results file is not JSON: \(error)")
            }
        }
        let last = stdout.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if let last, last.hasPrefix("{"), let results = try? JSONValue.parse(String(last)) {
            return TaskReport(status: .processed, results: results)
        }
        return TaskReport(status: .processed)
    }

    private func watch(_ request: DispatchRequest) {
        watched.withLock { $0[request.taskId] = (request, Date()) }
        watcher.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    guard let self else { return }
                    await self.poll()
                    try? await Task.sleep(for: self.pollInterval)
                }
            }
        }
    }

    private func poll() async {
        let current = watched.withLock { $0 }
        for (taskId, entry) in current {
            if let report = finishedReport(entry.request) {
                watched.withLock { $0[taskId] = nil }
                await onReport(taskId, report)
                continue
            }
            if Date().timeIntervalSince(entry.started) > Double(entry.request.timeoutSeconds),
                let pid = readNumber(folder(taskId) + "/pid")
            {
                // Stop the whole process group, then record the timeout as its exit status.
                kill(-pid, SIGKILL)
                let folder = folder(taskId)
                if !FileManager.default.fileExists(atPath: folder + "/exit") {
                    try? Data("124\n".utf8).write(to: URL(fileURLWithPath: folder + "/exit.timeout"))
                    _ = rename(folder + "/exit.timeout", folder + "/exit")
                }
            }
        }
    }

    private func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    private func readNumber(_ path: String) -> Int32? {
        readText(path).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The only variables of Tollgate's environment a task process sees (besides its own).
    static let inheritedVariables = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SHELL"]

    static func environmentName(_ key: String) -> String {
        String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
