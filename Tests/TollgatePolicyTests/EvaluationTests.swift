import Testing
import TollgateJSON
import TollgatePolicy
import TollgateTestSupport

@Suite("Evaluation")
struct EvaluationTests {
    let input = PolicyInputs.stageTransitionDocument

    func evaluate(_ body: String, extra: String = "") throws -> PolicyResult {
        let set = try PolicySource.set([("p.lua", PolicySource.policy(name: "p", extra: extra, body: body))])
        return try #require(set.evaluate(policy: "p", input: input))
    }

    @Test func returnForms() throws {
        #expect(try evaluate("return allow()").outcome == .allow)
        #expect(try evaluate("return true").outcome == .allow)
        let denied = try evaluate("return false, 'no'")
        #expect(denied.outcome == .deny)
        #expect(denied.reasons == ["no"])
        #expect(try evaluate("return deny({ 'a', 'b' })").reasons == ["a", "b"])
        let bad = try evaluate("return 'allow'")
        #expect(bad.outcome == .error)
        #expect(bad.errorKind == .badResult)
        #expect(bad.reasons.first?.contains("it returned string") == true)
        let nothing = try evaluate("local x = 1")
        #expect(nothing.errorKind == .badResult)
        #expect(try evaluate("return deny()").reasons.first?.contains("deny() needs a reason") == true)
    }

    @Test func detailsRoundTripIncludingInputValues() throws {
        let result = try evaluate("return deny('x', { n = 1.5, list = { 1, 2 }, task = input.tasks[1], flag = false })")
        let details = try #require(result.details)
        #expect(details["n"] == .double(1.5))
        #expect(details["list"] == [1, 2])
        #expect(details["flag"] == .bool(false))
        #expect(details["task"]?["key"] == "task1")
        #expect(details["task"]?["executor"] == "azure-devops")
    }

    @Test func inputLooksLikeATable() throws {
        let body = """
            local keys = {}
            for k in pairs(input.activity) do keys[#keys + 1] = k end
            local checks = {
              type(input) == "table", type(input.tasks) == "table", #input.tasks == 2,
              input.tasks[2].key == "task2", input.tasks[3] == nil,
              input.activity.startedAt == nil, input.activity.id == 2, math.type(input.activity.id) == "integer",
              table.concat(keys, ",") == "id,stage,status", input.missing == nil,
              input.tasks == input.tasks, tostring(input):find("read-only", 1, true) ~= nil,
              tg.get(input, "tasks.1.executor") == "azure-devops", tg.count(input.lifecycle) == 4,
            }
            for i, ok in ipairs(checks) do if not ok then return deny("check " .. i) end end
            return allow()
            """
        let result = try evaluate(body)
        #expect(result.outcome == .allow, "\(result.reasons)")
    }

    @Test func verdictsCombineBlockingFlags() throws {
        let set = try PolicySource.set([
            ("a.lua", PolicySource.policy(name: "allowing", body: "return allow()")),
            ("b.lua", PolicySource.policy(name: "advisory", blocking: false, body: "return deny('slow')")),
        ])
        let warned = set.evaluate(.stageTransition, input: input)
        #expect(warned.verdict == .warn)
        #expect(warned.warnings.map(\.policy) == ["advisory"])
        let withBlocker = try PolicySource.set([
            ("a.lua", PolicySource.policy(name: "advisory", blocking: false, body: "return deny('slow')")),
            ("b.lua", PolicySource.policy(name: "gate", body: "return deny('no')")),
        ])
        let blocked = withBlocker.evaluate(.stageTransition, input: input)
        #expect(blocked.verdict == .block)
        #expect(blocked.blocking.map(\.policy) == ["gate"])
        #expect(set.evaluate(.taskResult, input: input).verdict == .pass)
    }

    @Test(arguments: [
        ("", PolicyEffect.block), ("on_error = \"warn\",", .warn), ("on_error = \"ignore\",", .none),
    ])
    func errorModes(extra: String, effect: PolicyEffect) throws {
        let result = try evaluate("error('boom')", extra: extra)
        #expect(result.outcome == .error)
        #expect(result.effect == effect)
        #expect(result.reasons.first?.contains("p.lua:") == true)
    }

    @Test func declarativeFiltersSkipWithAReason() throws {
        let skipped = try evaluate("return deny('x')", extra: "filter = { stages = { \"prod\", \"pre*\" } },")
        #expect(skipped.outcome == .skipped)
        #expect(skipped.effect == .none)
        #expect(skipped.reasons == ["stage 'test' is not one of [prod, pre*]"])
        #expect(try evaluate("return deny('x')", extra: "filter = { stages = \"te*\" },").outcome == .deny)
        #expect(try evaluate("return deny('x')", extra: "filter = { products = { \"urn:*:hello\" } },").outcome == .deny)
        let noTask = try evaluate("return deny('x')", extra: "filter = { executors = { \"gitlab\" } },")
        #expect(noTask.outcome == .skipped)
        #expect(noTask.reasons.first?.contains("task.executor") == true)
    }

    @Test func filterFunctions() throws {
        let skipped = try evaluate("return deny('x')", extra: "filter = function(input) return input.activity.stage == 'prod' end,")
        #expect(skipped.outcome == .skipped)
        let applied = try evaluate("return deny('x')", extra: "filter = function(input) return #input.tasks > 1 end,")
        #expect(applied.outcome == .deny)
    }

    @Test func resultsCarryRevisionAndCost() throws {
        let source = PolicySource.policy(name: "p", body: "local n = 0 for i = 1, 1000 do n = n + i end return allow()")
        let set = try PolicySource.set([("p.lua", source)])
        let result = try #require(set.evaluate(policy: "p", input: input))
        #expect(result.revision.count == 64)
        #expect(result.revision == set.files[0].revision)
        #expect(set.source(ofRevision: result.revision) == source)
        #expect(result.instructions >= 2000)
        #expect(result.durationNanoseconds > 0)
    }

    @Test func budgetsAreConfigurable() throws {
        let limits = PolicyLimits(instructionBudget: 10_000)
        let set = try PolicySource.set(
            [("p.lua", PolicySource.policy(name: "p", body: "for i = 1, 100000 do end return allow()"))], limits: limits)
        let result = try #require(set.evaluate(policy: "p", input: input))
        #expect(result.errorKind == .instructionBudget)
        #expect(result.reasons.first?.contains("10000") == true)
        #expect(result.reasons.first?.contains("p.lua:") == true)
    }

    @Test func aRunawayLoopStopsWellUnderFiftyMilliseconds() throws {
        let set = try PolicySource.set([("p.lua", PolicySource.policy(name: "p", body: "while true do end"))])
        _ = set.evaluate(policy: "p", input: input)
        let result = try #require(set.evaluate(policy: "p", input: input))
        #expect(result.errorKind == .instructionBudget)
        #expect(result.durationNanoseconds < 50_000_000)
    }

    @Test func documentsKeepKeyOrderAndTypes() throws {
        let value: JSONValue = ["z": 1, "a": [true, nil, 2.5, "s"], "m": ["k": -7]]
        #expect(PolicyDocument(value).jsonValue == value)
    }

    @Test func pairsFollowsDocumentOrderAndSkipsNulls() throws {
        let set = try PolicySource.set([
            ("p.lua", PolicySource.policy(name: "p", body: """
                local seen = {}
                for k, v in pairs(input.ordered) do seen[#seen + 1] = k end
                for i, v in ipairs(input.list) do seen[#seen + 1] = tostring(v) end
                return deny(table.concat(seen, ","))
                """))
        ])
        let doc = PolicyDocument(["ordered": ["zeta": 1, "alpha": nil, "mid": 3], "list": [1, 2, nil, 4]])
        #expect(set.evaluate(policy: "p", input: doc)?.reasons == ["zeta,mid,1,2"])
    }
}
