import Foundation
import Testing
import TollgateJSON
import TollgatePolicy
import TollgateTestSupport

/// The sandbox's contract with the host (policies/README.md, "Limits"): every evaluation and every
/// load ends by its deadline, a limit once reached cannot be caught, results have a size, and
/// what a policy sees and says is the same on every run.
@Suite("Sandbox contract")
struct SandboxContractTests {
    static let input = PolicyInputs.stageTransitionDocument

    static func evaluate(_ body: String, limits: PolicyLimits = PolicyLimits(), input: PolicyDocument = input) throws -> PolicyResult {
        let set = try PolicySource.set([("p.lua", PolicySource.policy(name: "p", body: body))], limits: limits, poolSize: 1)
        return try #require(set.evaluate(policy: "p", input: input))
    }

    @Test func anEvaluationEndsByItsDeadlineWhateverItsBudget() throws {
        let limits = PolicyLimits(instructionBudget: 1 << 50, deadlineMilliseconds: 200)
        let started = ContinuousClock.now
        let result = try Self.evaluate("for i = 1, 1e9 do pcall(function() while true do end end) end return allow()", limits: limits)
        #expect(started.duration(to: .now) < .seconds(3))
        #expect(result.outcome == .error)
        #expect(result.errorKind == .deadline)
        #expect(result.reasons.first?.contains("deadline of 200 ms exceeded") == true, "\(result.reasons)")
    }

    @Test func loadingEndsByItsDeadline() throws {
        let limits = PolicyLimits(instructionBudget: 1 << 50, deadlineMilliseconds: 200)
        let set = try PolicySource.set([("slow.lua", "while true do end")], limits: limits)
        let problem = try #require(set.problems.first)
        #expect(problem.message.contains("deadline of 200 ms exceeded"), "\(problem)")
    }

    @Test(arguments: [
        ("a top level that catches its out-of-memory error",
         #"pcall(function() local s = "x" while true do s = s .. s end end)"#, "memory limit"),
        ("a top level that loops in an xpcall message handler",
         "xpcall(function() while true do end end, function() while true do end end)", "instruction budget"),
        ("a declaration that doubles thirty times when written out",
         #"local t = { "x" } for i = 1, 30 do t = { t, t } end"#, "the result is larger than"),
    ])
    func aFileOverItsLimitsAtLoadIsBroken(_ name: String, _ topLevel: String, _ message: String) throws {
        let source = topLevel + "\n" + PolicySource.policy(name: "p", extra: name.contains("declaration") ? "extra = t," : "", body: "return allow()")
        let set = try PolicySource.set([("p.lua", source)])
        let problem = try #require(set.problems.first, "\(name) must not load")
        #expect(problem.message.contains(message), "\(name): \(problem)")
        let decision = set.evaluate(.stageTransition, input: Self.input)
        #expect(decision.results.contains { $0.outcome == .error }, "a broken file fails closed")
    }

    @Test func repeatingNothingAnyNumberOfTimesIsImmediate() throws {
        let result = try Self.evaluate(#"return ("").rep("", 1 << 62) == "" and allow() or deny("not empty")"#)
        #expect(result.outcome == .allow, "\(result.reasons)")
    }

    @Test func pairsOverAFiftyThousandFieldInputIsLinear() throws {
        var big = JSONObject()
        for index in 0..<50_000 { big["field-\(index)"] = .int(Int64(index)) }
        let input = PolicyDocument(PolicyInputs.with(PolicyInputs.stageTransition, ["big"], .object(big)))
        // Quadratic, the walk takes seconds and ends at the deadline; linear, it takes milliseconds.
        let result = try Self.evaluate(
            "local n = 0 for k, v in pairs(input.big) do n = n + 1 end return n == 50000 and allow() or deny(tostring(n))",
            input: input)
        #expect(result.outcome == .allow, "\(result.reasons)")
    }

    @Test func textNeverShowsAnAddress() throws {
        let result = try Self.evaluate(
            #"return deny({ tostring({}), tostring(function() end), string.format("%s %s", {}, print or tostring) })"#)
        #expect(result.reasons == ["table", "function", "table function"])
    }

    @Test func pairsVisitsAPlainTableInTheSameOrderOnEveryState() throws {
        let body = """
            local t = { 10, 20, [2.5] = "half", [true] = "yes", [false] = "no" }
            for i = 1, 40 do t["key" .. i] = i end
            local seen = {}
            for k in pairs(t) do seen[#seen + 1] = tostring(k) end
            return deny(table.concat(seen, ","))
            """
        let expected = ["1", "2", "2.5"] + (1...40).map { "key\($0)" }.sorted() + ["false", "true"]
        for _ in 0..<3 {
            // A new set is a new Lua state, with its own string hash seed.
            let result = try Self.evaluate(body)
            #expect(result.reasons == [expected.joined(separator: ",")])
        }
    }
}
