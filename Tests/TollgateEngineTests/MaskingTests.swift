import Foundation
import Testing
import TollgateJSON
import TollgateLifecycle
import TollgateTestSupport

/// Secret values in policy inputs: policies see them, the decision log does not.
@Suite("Masking decision inputs")
struct MaskingTests {
    @Test func pathsAndWildcardsAreMaskedAndListed() {
        let input: JSONValue = [
            "result": ["results": ["db": ["password": "hunter2", "host": "db1"], "api": ["password": "s3cret", "host": "api1"]]],
            "activity": ["configurations": ["params": ["token": "t0k", "size": "large"]]],
            "tasks": [["secret": "a"], ["secret": "b"]],
        ]
        let masking = InputMasking(paths: ["result.results.*.password", "activity.configurations.params.token", "tasks.*.secret", "absent.path"])
        let masked = masking.mask(input)
        #expect(masked["result"]?["results"]?["db"] == ["password": "***", "host": "db1"])
        #expect(masked["result"]?["results"]?["api"]?["password"] == "***")
        #expect(masked["activity"]?["configurations"]?["params"] == ["token": "***", "size": "large"])
        #expect(masked["tasks"] == [["secret": "***"], ["secret": "***"]])
        #expect(masked["_masked"] == [
            "result.results.db.password", "result.results.api.password", "activity.configurations.params.token", "tasks.0.secret", "tasks.1.secret",
        ])
        #expect(InputMasking(paths: ["nothing.here"]).mask(input) == input, "nothing matched, nothing added")
    }

    @Test func policiesJudgeTheRealValueWhileTheLogKeepsItMasked() async throws {
        var options = LifecycleEngine.Options()
        options.masking = InputMasking(paths: ["result.results.vm.ip"])
        let f = try EngineFixture(options: options)
        _ = try await f.run("dev")
        try await f.report(f.executor.requests[0].taskId, results: ["vm": ["name": "vm-dev", "ip": "198.168.20.120"]])
        let decision = try #require(try f.store.decisions(activityId: 1).first { $0.phase == .taskResult })
        #expect(decision.verdict == .pass, "vm-ip-wellformed saw a well-formed address, not ***")
        #expect(decision.input["result"]?["results"]?["vm"]?["ip"] == "***")
        #expect(decision.input["_masked"] == ["result.results.vm.ip"])
        #expect(!decision.input.serialized().contains("198.168.20.120"))
    }
}
