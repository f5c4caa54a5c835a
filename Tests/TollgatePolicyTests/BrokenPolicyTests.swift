import Testing
import TollgateJSON
import TollgatePolicy
import TollgateTestSupport

@Suite("Broken policies")
struct BrokenPolicyTests {
    let good = PolicySource.policy(name: "good", body: "return allow()")

    @Test func syntaxErrorIsReportedWithFileAndLineAndTheRestLoads() throws {
        let broken = """
            return {
              name = "broken",
              evaluate = function(input)
                if input.x then
                  return allow(
              end,
            }
            """
        let set = try PolicySource.set([("policies/a_broken.lua", broken), ("policies/b_good.lua", good)])
        let problem = try #require(set.problems.first)
        #expect(problem.kind == .syntax)
        #expect(problem.file == "policies/a_broken.lua")
        #expect(problem.line == 6)
        #expect(problem.message.contains("expected"))
        #expect(set.policies.map(\.name) == ["good"])
    }

    @Test func aFileWhoseDeclarationCannotBeReadBlocksEveryPhase() throws {
        let set = try PolicySource.set([("broken.lua", "return {"), ("good.lua", good)])
        for phase in PolicyPhase.allCases {
            let decision = set.evaluate(phase, input: PolicyInputs.stageTransitionDocument)
            #expect(decision.verdict == .block, "\(phase)")
            let broken = try #require(decision.results.first { $0.file == "broken.lua" })
            #expect(broken.outcome == .error)
            #expect(broken.errorKind == .brokenPolicy)
            #expect(broken.reasons.first?.contains("broken.lua:1") == true)
        }
    }

    @Test(arguments: [
        ("blocking", "blocking = \"yes\",", "must say whether it is blocking"),
        ("phases", "phases = { \"ON_MONDAYS\" },", "unknown phase 'ON_MONDAYS'"),
        ("on_error", "on_error = \"explode\",", "on_error must be"),
        ("filter", "filter = { weekdays = { \"mon\" } },", "unknown filter key 'weekdays'"),
    ])
    func badMetadataNamesTheFieldAndItsLine(field: String, line: String, message: String) throws {
        var fields = [
            "name = \"meta\",", "description = \"d\",", "phases = { \"ACTIVITY_STAGE_TRANSITION\" },",
            "blocking = true,",
        ]
        if let index = fields.firstIndex(where: { $0.hasPrefix(field) }) { fields[index] = line } else { fields.append(line) }
        let source = "return {\n" + fields.map { "  " + $0 }.joined(separator: "\n")
            + "\n  evaluate = function(input) return allow() end,\n}\n"
        let set = try PolicySource.set([("meta.lua", source)])
        let problem = try #require(set.problems.first)
        #expect(problem.kind == .metadata)
        #expect(problem.message.contains(message), "\(problem.message)")
        let expectedLine = (source.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains(line) } ?? -1) + 1
        #expect(problem.line == expectedLine)
    }

    @Test func missingEvaluateIsReported() throws {
        let source = #"return { name = "x", description = "d", phases = { "TASK_EXECUTION_RESULT" }, blocking = false }"#
        let set = try PolicySource.set([("x.lua", source)])
        #expect(set.problems.first?.message.contains("needs an evaluate function") == true)
    }

    @Test func duplicateNamesBreakTheLaterFile() throws {
        let set = try PolicySource.set([("one.lua", good), ("two.lua", good)])
        let problem = try #require(set.problems.first)
        #expect(problem.kind == .duplicateName)
        #expect(problem.file == "two.lua")
        #expect(problem.message.contains("already declared by one.lua"))
        #expect(set.policies.count == 1)
    }

    @Test func aBrokenNonBlockingPolicyWarnsOnlyInItsOwnPhases() throws {
        let source = """
            return {
              name = "advice", description = "d", phases = { "ACTIVITY_EXECUTION_RESULT" }, blocking = false,
              on_error = "sometimes",
              evaluate = function(input) return allow() end,
            }
            """
        let set = try PolicySource.set([("advice.lua", source)])
        #expect(set.evaluate(.activityResult, input: PolicyInputs.stageTransitionDocument).verdict == .warn)
        #expect(set.evaluate(.stageTransition, input: PolicyInputs.stageTransitionDocument).verdict == .pass)
    }

    @Test func aRuntimeErrorAtTheTopLevelIsReported() throws {
        let set = try PolicySource.set([("boom.lua", "local x = nil\nreturn x.field")])
        let problem = try #require(set.problems.first)
        #expect(problem.kind == .runtime)
        #expect(problem.line == 2)
        #expect(problem.message.contains("attempt to index a nil value"))
    }

    @Test func aPolicyReturningSomethingElseIsReported() throws {
        let set = try PolicySource.set([("str.lua", "return 'policy'")])
        #expect(set.problems.first?.message.contains("must return its policy table") == true)
    }

    @Test func unknownFieldsAreWarningsNotErrors() throws {
        let source = PolicySource.policy(name: "typo", extra: "blockng = false,\n  _owner = \"me\",", body: "return allow()")
        let set = try PolicySource.set([("typo.lua", source)])
        #expect(set.problems.isEmpty)
        let warning = try #require(set.warnings.first)
        #expect(set.warnings.count == 1)
        #expect(warning.kind == .unknownField)
        #expect(warning.message.contains("'blockng'"))
        #expect(warning.line == 6)
    }
}
