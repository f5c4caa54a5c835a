import Testing
import TollgatePolicy
import TollgateTestSupport

/// The starter policies in `policies/` and their Lua tests.
@Suite("Shipped policies")
struct ShippedPolicyTests {
    @Test func loadWithoutProblems() throws {
        let set = try PolicySet.load(directory: RepositoryPaths.policies)
        #expect(set.problems.isEmpty, "\(set.problems)")
        let phases = Set(set.policies.flatMap(\.phases))
        #expect(phases == Set(PolicyPhase.allCases))
        #expect(set.policies.contains { $0.blocking })
        #expect(set.policies.contains { !$0.blocking })
    }

    @Test func luaTestsPassWithFullCoverage() throws {
        let report = try PolicyTestRunner(directory: RepositoryPaths.policies).run(coverage: true)
        for failure in report.cases where failure.status != .pass {
            Issue.record("\(failure.file):\(failure.line) \(failure.name): \(failure.message ?? "")")
        }
        #expect(report.cases.count >= 25)
        let coverage = try #require(report.coverage)
        #expect(coverage.count == 6)
        for file in coverage {
            #expect(file.percent == 100, "\(file.file) misses lines \(file.missed)")
        }
    }

    @Test func failingTestsAreReportedWithTheirLocation() throws {
        let directory = try TemporaryDirectory()
        try directory.write("p.lua", PolicySource.policy(name: "p", body: "return allow()"))
        try directory.write(
            "p_test.lua",
            """
            test("passes", function() expect_allow(evaluate("p", {})) end)
            test("fails", function()
              expect_deny(evaluate("p", {}))
            end)
            test("errors", function() local t = nil; return t.x end)
            """)
        let report = try PolicyTestRunner(directory: directory.path).run()
        #expect(report.passed == 1)
        #expect(report.failed == 2)
        let failed = try #require(report.cases.first { $0.name == "fails" })
        #expect(failed.status == .fail)
        #expect(failed.line == 2)
        #expect(failed.message?.hasPrefix(directory.path + "/p_test.lua:3:") == true, "\(failed.message ?? "")")
        #expect(report.cases.first { $0.name == "errors" }?.status == .error)
    }

    @Test func fixturesReachPoliciesInDocumentOrderWithNulls() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "order.lua",
            PolicySource.policy(
                name: "order",
                body: """
                    local keys = {}
                    for k in pairs(input.stages) do keys[#keys + 1] = k end
                    return deny(table.concat(keys, ",") .. " " .. #input.list)
                    """))
        try directory.write("fixtures/in.json", #"{"stages": {"dev": 1, "test": 2, "prod": 3}, "list": [1, null, 3]}"#)
        try directory.write(
            "order_test.lua",
            """
            local input = fixture("fixtures/in.json")
            test("document order", function()
              expect_deny(evaluate("order", input), "dev,test,prod 3")
            end)
            test("kept through with()", function()
              expect_deny(evaluate("order", with(input, "stages.qa", 4)), "dev,test,prod,qa 3")
            end)
            """)
        let report = try PolicyTestRunner(directory: directory.path).run()
        for failure in report.cases where failure.status != .pass {
            Issue.record("\(failure.name): \(failure.message ?? "")")
        }
        #expect(report.passed == 2)
    }

    @Test func brokenPoliciesFailTheSuite() throws {
        let directory = try TemporaryDirectory()
        try directory.write("broken.lua", "return {")
        try directory.write("good.lua", PolicySource.policy(name: "good", body: "return allow()"))
        try directory.write("good_test.lua", "test('ok', function() expect_allow(evaluate('good', {})) end)")
        let report = try PolicyTestRunner(directory: directory.path).run()
        #expect(report.passed == 1)
        #expect(report.failed == 1)
        #expect(!report.succeeded)
        #expect(report.cases.first?.file.hasSuffix("broken.lua") == true)
    }
}
