import Foundation
import Testing
import TollgateJSON
import TollgateTestSupport

/// The `tollgate policy` commands, run as processes.
@Suite("tollgate policy commands")
struct CommandLineTests {
    @Test func evalShowsVerdictsAndExitsOneOnBlock() throws {
        let pass = try TollgateCommand.run([
            "policy", "eval", "--policies", "policies", "examples/policy-inputs/1-stage-transition-dev-to-test.json",
        ])
        #expect(pass.status == 0, "\(pass.standardError)")
        #expect(pass.standardOutput.contains("verdict: PASS"))
        let block = try TollgateCommand.run([
            "policy", "eval", "--policies", "policies", "--format", "json",
            "examples/policy-inputs/4-task-result-malformed-ip.json",
        ])
        #expect(block.status == 1)
        let decisions = try JSONValue.parse(block.standardOutput)
        #expect(decisions[0]?["verdict"] == "block")
        let results = try #require(decisions[0]?["results"]?.arrayValue)
        let vm = try #require(results.first { $0["policy"] == "vm-ip-wellformed" })
        #expect(vm["outcome"] == "deny")
        #expect(vm["revision"]?.stringValue?.count == 64)
    }

    @Test func evalNamesABadInputFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("bad.json", "{\"event\": \"ACTIVITY_STAGE_TRANSITION\",\n  \"x\": }")
        let result = try TollgateCommand.run(["policy", "eval", "--policies", "policies", path])
        #expect(result.status == 2)
        #expect(result.standardError.contains("bad.json: line 2"))
    }

    @Test func testCommandPrintsTheSummaryLineAndJUnit() throws {
        let text = try TollgateCommand.run(["policy", "test", "policies"])
        #expect(text.status == 0)
        let lastLine = text.standardOutput.split(separator: "\n").last.map(String.init)
        #expect(lastLine?.hasSuffix("passed, 0 failed") == true)
        let junit = try TollgateCommand.run(["policy", "test", "policies", "--format", "junit"])
        #expect(junit.standardOutput.hasPrefix("<?xml"))
        #expect(junit.standardOutput.contains("<testcase classname=\"policies/stage_order_test.lua\""))
        #expect(!junit.standardOutput.contains("<failure"))
    }

    @Test func testCommandFailsOnAFailingTest() throws {
        let directory = try TemporaryDirectory()
        try directory.write("p.lua", PolicySource.policy(name: "p", body: "return allow()"))
        try directory.write("p_test.lua", "test('wrong', function() expect_deny(evaluate('p', {})) end)\n")
        let result = try TollgateCommand.run(["policy", "test", directory.path])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("FAIL"))
        #expect(result.standardOutput.contains("p_test.lua:1"))
        #expect(result.standardOutput.hasSuffix("0 passed, 1 failed\n"))
    }

    @Test func lintReportsBrokenPoliciesWithFileAndLine() throws {
        let directory = try TemporaryDirectory()
        try directory.write("good.lua", PolicySource.policy(name: "good", body: "return allow()"))
        try directory.write("bad.lua", "return {\n  name = 'bad',\n  evaluate = function(input)\n    return allow(\nend }\n")
        let result = try TollgateCommand.run(["policy", "lint", directory.path])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("bad.lua:5: syntax:"))
        #expect(result.standardOutput.contains("1 policies loaded, 1 broken"))
    }

    @Test func benchReportsMedianAndThroughput() throws {
        let result = try TollgateCommand.run([
            "policy", "bench", "--format", "json", "--input", "Benchmarks/inputs/stage-transition.json",
            "--policies", "policies", "--policy", "stage-order", "--iterations", "200", "--warmup", "10",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        let report = try JSONValue.parse(result.standardOutput)
        #expect((report["medianNanoseconds"]?.intValue ?? 0) > 0)
        #expect((report["parallelDecisionsPerSecond"]?.doubleValue ?? 0) > 0)
        #expect(report["outcomes"] == ["stage-order=allow"])
    }
}
