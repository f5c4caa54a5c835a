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
/// and `TOLLGATE_TASK_ID`, `TOLLGATE_ACTIVITY_ID`, `TOLLGATE_TASK_KEY`, `TOLLGATE_RESULTS_FILE`.
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
        if await alreadyStarted(folder) {
            if let report = finishedReport(request) { return .finished(report) }
            watch(request)
            return .accepted(reference: "pid \(readNumber(folder + "/pid").map(String.init) ?? "?")")
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
        var environment = ProcessInfo.processInfo.environment
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
        // Claims the task before the process exists, atomically: a concurrent or later dispatch
        // (after a restart) finds the claim and waits for the process's pid instead of starting a
        // second one.
        let claim = open(folder + "/dispatching", O_CREAT | O_EXCL | O_WRONLY, 0o644)
        if claim < 0 {
            if await alreadyStarted(folder) {
                if let report = finishedReport(request) { return .finished(report) }
                watch(request)
                return .accepted(reference: "pid \(readNumber(folder + "/pid").map(String.init) ?? "?")")
            }
            throw ExecutorError(retryable: true, message: "task \(request.taskId) was claimed but no process appeared; will retry")
        }
        close(claim)
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

    /// Whether a process was started for the task folder (waiting briefly for the pid of one that
    /// was being started when Tollgate stopped).
    private func alreadyStarted(_ folder: String) async -> Bool {
        let files = FileManager.default
        if files.fileExists(atPath: folder + "/pid") || files.fileExists(atPath: folder + "/spawned") { return true }
        guard files.fileExists(atPath: folder + "/dispatching") else { return false }
        for _ in 0..<50 {
            try? await Task.sleep(for: .milliseconds(20))
            if files.fileExists(atPath: folder + "/pid") { return true }
        }
        return false
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

    static func environmentName(_ key: String) -> String {
        String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}
