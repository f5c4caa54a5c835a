import Dispatch
import Foundation
import Synchronization

/// Runs the built `tollgate` executable, as a user would.
public enum TollgateCommand {
    /// What a run printed and how it ended.
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        /// The highest resident memory the process reached, as last seen in `/proc` while it ran
        /// (sampled every few milliseconds when asked for; nil otherwise, or where `/proc` is not there).
        public var peakResidentBytes: Int?
    }

    /// The executable next to the running test bundle.
    public static var executable: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("tollgate").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return RepositoryPaths.path(".build/debug/tollgate")
    }

    /// Runs `tollgate` with `arguments` in the repository root, with `environment` added to this
    /// process's; a run that outlasts `timeout` is killed (its status then is the signal's).
    public static func run(
        _ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(300), sampleMemory: Bool = false
    ) throws -> Output {
        try runProgram(executable, arguments, environment: extra, timeout: timeout, sampleMemory: sampleMemory)
    }

    /// Runs any program the same way (its output and errors read side by side, so neither fills up).
    public static func runProgram(
        _ path: String, _ arguments: [String], environment extra: [String: String] = [:], timeout: Duration = .seconds(300),
        sampleMemory: Bool = false
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: RepositoryPaths.root)
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000)), execute: watchdog)
        defer { watchdog.cancel() }
        let errors = Mutex(Data())
        let reader = DispatchGroup()
        reader.enter()
        DispatchQueue.global().async {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errors.withLock { $0 = data }
            reader.leave()
        }
        // VmHWM is the kernel's own high-water mark, so the last sample before the exit holds the peak
        // up to then.
        let peak = Mutex<Int?>(nil)
        let sampling = Atomic(sampleMemory)
        if sampleMemory {
            reader.enter()
            DispatchQueue.global().async {
                while sampling.load(ordering: .relaxed) {
                    if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
                    {
                        peak.withLock { $0 = max($0 ?? 0, kilobytes * 1024) }
                    }
                    usleep(2_000)
                }
                reader.leave()
            }
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        sampling.store(false, ordering: .relaxed)
        reader.wait()
        return Output(
            status: process.terminationStatus, standardOutput: String(decoding: stdout, as: UTF8.self),
            standardError: String(decoding: errors.withLock { $0 }, as: UTF8.self), peakResidentBytes: peak.withLock { $0 })
    }
}
