import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateSQLite
import TollgateStore
import TollgateTestSupport

/// A real `tollgate run` killed with SIGKILL at random points and restarted, many times: each run
/// completes, no task runs twice, no state change lacks its decision, and the chain verifies.
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    static let runs = Int(ProcessInfo.processInfo.environment["TOLLGATE_CRASH_RUNS"] ?? "") ?? 50

    /// Three stages of two tasks; every task appends its id to a log, then reports.
    static func prepare(_ directory: TemporaryDirectory) throws -> String {
        let log = directory.url("runs.log")
        let script = try directory.write(
            "task.sh",
            """
            #!/bin/sh
            echo "$TOLLGATE_TASK_ID" >> "\(log)"
            sleep 0.$(( 5 + $TOLLGATE_TASK_ID % 4 * 3 ))
            echo '{"task": "'"$TOLLGATE_TASK_KEY"'", "n": '"$TOLLGATE_TASK_ID"'}'
            """)
        chmod(script, 0o755)
        func task(_ name: String) -> JSONValue {
            ["name": .string(name), "service": ["$href": "local"], "template": ["definition": ["command": .string(script)]]]
        }
        let descriptor: JSONValue = [
            "info": ["fullyQualifiedName": "urn:org.opendatamesh:dataproducts:crash", "version": "1.0.0", "owner": ["id": "o"]],
            "internalComponents": [
                "lifecycleInfo": [
                    "dev": [task("build"), task("check")], "test": [task("deploy"), task("verify")],
                    "prod": [task("release"), task("announce")],
                ]
            ],
        ]
        return try directory.write("descriptor.json", descriptor.serialized())
    }

    static func arguments(_ directory: TemporaryDirectory, _ descriptor: String) -> [String] {
        [
            "run", descriptor, "--stage", "dev", "--stage", "test", "--stage", "prod", "--resume", "--quiet",
            "--database", directory.url("t.db"), "--state-directory", directory.url("state"),
            "--policies", RepositoryPaths.policies,
        ]
    }

    @Test func killedAtRandomPointsAndRestarted() async throws {
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for run in 0..<Self.runs {
            let directory = try TemporaryDirectory()
            let descriptor = try Self.prepare(directory)
            let arguments = Self.arguments(directory, descriptor)
            // Kill it up to three times, each after a random delay, then let it finish.
            for _ in 0..<3 {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: TollgateCommand.executable)
                process.arguments = arguments
                process.currentDirectoryURL = URL(fileURLWithPath: RepositoryPaths.root)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...700, using: &generator)))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    kills += 1
                }
                process.waitUntilExit()
            }
            let final = try TollgateCommand.run(arguments, timeout: .seconds(120))
            #expect(final.status == 0, "run \(run): \(final.standardError)")
            if final.status != 0 { break }
            try await Self.check(directory, run: run)
        }
        #expect(kills >= Self.runs, "the test must actually kill runs (killed \(kills) times in \(Self.runs) runs)")
        print("crash recovery: \(Self.runs) runs, \(kills) kills with SIGKILL, every run completed and verified")
    }

    static func check(_ directory: TemporaryDirectory, run: Int) async throws {
        let store = try SQLiteLifecycleStore(path: directory.url("t.db"))
        // The run completed.
        let activities = try await store.activities(matching: .init())
        #expect(activities.map(\.stage) == ["dev", "test", "prod"], "run \(run)")
        #expect(activities.allSatisfy { $0.status == .processed }, "run \(run): \(activities.map(\.status))")
        // No task ran twice.
        let log = (try? String(contentsOfFile: directory.url("runs.log"), encoding: .utf8)) ?? ""
        let runsPerTask = Dictionary(grouping: log.split(separator: "\n"), by: { $0 }).mapValues(\.count)
        #expect(runsPerTask.count == 6, "run \(run): \(runsPerTask)")
        #expect(runsPerTask.values.allSatisfy { $0 == 1 }, "run \(run): a task ran twice: \(runsPerTask)")
        // Every gated change has its decision, and the chain verifies.
        #expect(try store.verifyDecisionChain() == nil, "run \(run)")
        #expect(try store.verifyLog().completeness == [], "run \(run)")
        let db = try SQLiteConnection(path: directory.url("t.db"))
        let ungated = try db.statement(
            """
            SELECT COUNT(*) FROM transitions
            WHERE decision_seq IS NULL AND to_status IN ('PROCESSED', 'FAILED')
              AND NOT (entity = 'task' AND from_status = 'PLANNED')
            """
        ).first { $0.int64(0) }
        #expect(ungated == 0, "run \(run): a state change without its decision")
        let decisions = try db.statement("SELECT COUNT(*) FROM decisions").first { Int($0.int64(0)) } ?? 0
        #expect(decisions == 12, "run \(run): one decision per gate, got \(decisions)")
    }
}
