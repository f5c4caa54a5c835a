import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateStore
import TollgateTestSupport

/// `tollgate run` as a person runs it: the walk-through on local scripts.
@Suite("tollgate run")
struct RunCommandTests {
    func dispatched(_ state: String, task: Int) throws -> JSONValue {
        let data = try #require(FileManager.default.contents(atPath: "\(state)/tasks/\(task)/stdin.json"))
        return try JSONValue.parse(Array(data))
    }

    @Test func theWalkThroughProducesTheDocumentedContexts() async throws {
        let directory = try TemporaryDirectory()
        let state = directory.url("state")
        let result = try TollgateCommand.run([
            "run", "examples/walkthrough/descriptor-local.json", "--stage", "dev", "--stage", "test",
            "--database", directory.url("t.db"), "--state-directory", state,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("dev: ACTIVITY_STAGE_TRANSITION PASS"))
        #expect(result.standardOutput.contains("test: activity 2 PROCESSED"))

        #expect(try dispatched(state, task: 1)["context"] == (try Walkthrough.context(Walkthrough.step1Context)))
        let second = try dispatched(state, task: 2)
        #expect(second["params"]?["vmIp"] == "198.168.20.120")
        #expect(second["context"] == (try Walkthrough.context(Walkthrough.step3Context)))
        let third = try dispatched(state, task: 3)
        #expect(third["params"]?["endpointURL"] == "localhost:8121/helloWorld")
        #expect(third["context"]?["dev"]?["status"] == "PROCESSED")
        #expect(third["context"]?["test"] == (try JSONValue.parse(#"{"status":"RUNNING","finishedAt":null,"results":null}"#)))
        let store = try SQLiteLifecycleStore(path: directory.url("t.db"))
        let devFinished = try #require(try await store.activity(id: 1)?.finishedAt)
        #expect(third["context"]?["dev"]?["finishedAt"] == .string(Timestamp.format(devFinished)))
        #expect(try store.verifyDecisionChain() == nil)

        let history = try TollgateCommand.run(["task", "history", "1", "--database", directory.url("t.db")])
        #expect(history.status == 0, "\(history.standardError)")
        let kinds = history.standardOutput.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "" }
        #expect(kinds == ["dispatched", "result"], "\(history.standardOutput)")
        #expect(history.standardOutput.contains("PROCESSED reported by local"))
        let missing = try TollgateCommand.run(["task", "history", "99", "--database", directory.url("t.db")])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("has no task 99"))
    }

    @Test func aBlockedStageStopsTheRunWithTheReasons() async throws {
        let directory = try TemporaryDirectory()
        let result = try TollgateCommand.run([
            "run", "examples/walkthrough/descriptor-local.json", "--stage", "test",
            "--database", directory.url("t.db"), "--state-directory", directory.url("state"),
        ])
        #expect(result.status == 1)
        #expect(result.standardError.contains("stage 'test' requires 'dev' to be the current stage"))
        #expect(result.standardOutput.contains("ACTIVITY_STAGE_TRANSITION BLOCK") || result.standardError.contains("blocked"))
    }
}
