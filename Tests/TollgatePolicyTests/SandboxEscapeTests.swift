import Foundation
import Testing
import TollgateJSON
import TollgatePolicy
import TollgateTestSupport

/// Escape and exhaustion attempts: each must end in `error` or `deny`, leave no trace on disk,
/// leave the Lua state clean for the next evaluation, and leave the engine healthy.
@Suite("Sandbox containment")
struct SandboxEscapeTests {
    struct Attempt: CustomTestStringConvertible, Sendable {
        let name: String
        let body: String
        var expectedError: PolicyResult.ErrorKind? = .runtime
        /// Text the error message must contain, when the attempt is refused by a fence of ours.
        var message: String?
        var testDescription: String { name }
    }

    static let marker = "/tmp/tollgate-sandbox-escape-marker"

    static let attempts: [Attempt] = [
        Attempt(name: "open a file with io.open", body: #"io.open("\#(marker)", "w"):write("x") return allow()"#),
        Attempt(name: "run a shell command with os.execute", body: #"os.execute("touch \#(marker)") return allow()"#),
        Attempt(name: "read the environment with os.getenv", body: #"return deny(os.getenv("HOME"))"#),
        Attempt(name: "read the clock with os.time", body: "return deny(tostring(os.time()))"),
        Attempt(name: "load a module with require", body: #"local io = require("io") return allow()"#),
        Attempt(name: "reach package.loaded", body: "return deny(tostring(package.loaded.io))"),
        Attempt(name: "compile code with load", body: #"return load("return allow()")()"#),
        Attempt(name: "load a binary chunk", body: #"return load(string.char(27) .. "Lua", "x", "b")()"#),
        Attempt(name: "run a file with dofile", body: #"dofile("/etc/passwd") return allow()"#),
        Attempt(name: "read a file with loadfile", body: #"loadfile("/etc/passwd") return allow()"#),
        Attempt(name: "reach the registry through debug", body: "debug.getregistry() return allow()"),
        Attempt(name: "drive the collector with collectgarbage", body: #"collectgarbage("stop") return allow()"#),
        Attempt(name: "dump bytecode with string.dump", body: "return deny(string.dump(function() end))"),
        Attempt(name: "dump bytecode through the string metatable", body: #"return deny(("").dump(function() end))"#),
        Attempt(name: "fetch the string metatable", body: #"local mt = getmetatable("") mt.__index.upper = nil return allow()"#),
        Attempt(name: "set a global for the next evaluation", body: "leaked = true return allow()"),
        Attempt(name: "replace a library function", body: #"string.upper = function() return "pwned" end return allow()"#),
        Attempt(name: "replace a helper of tg", body: "tg.contains = function() return true end return allow()"),
        Attempt(name: "plant a field with rawset", body: #"rawset(string, "upper", print) return allow()"#),
        Attempt(name: "strip a library's protection with setmetatable", body: "setmetatable(string, nil) return allow()"),
        Attempt(name: "write the input", body: #"input.activity.stage = "prod" return allow()"#),
        Attempt(name: "insert into an input array", body: "table.insert(input.tasks, {}) return allow()"),
        Attempt(name: "change the input's metatable", body: "setmetatable(input, {}) return allow()"),
        Attempt(name: "register a __gc finalizer", body: "setmetatable({}, { __gc = function() leaked = 1 end }) return allow()"),
        Attempt(name: "run away in a loop", body: "while true do end", expectedError: .instructionBudget),
        Attempt(
            name: "outlast the budget with pcall",
            body: "for i = 1, 1e9 do pcall(function() while true do end end) end return allow()",
            expectedError: .instructionBudget),
        Attempt(
            name: "recurse without end", body: "local function f(n) return f(n + 1) + 1 end return f(1)",
            expectedError: .memoryLimit),
        Attempt(
            name: "double a string until memory runs out", body: #"local s = "x" while true do s = s .. s end"#,
            expectedError: .memoryLimit),
        Attempt(
            name: "fill a table until memory runs out",
            body: #"local s = string.rep("x", 4096) local t = {} for i = 1, 1e8 do t[i] = s .. i end return allow()"#,
            expectedError: .memoryLimit),
        Attempt(
            name: "build a gigabyte with string.rep", body: #"return deny(string.rep("x", 1e9))"#,
            message: "string.rep would build 1000000000 bytes; the limit is 1048576 bytes"),
        Attempt(
            name: "backtrack exponentially in string.find",
            body: #"return deny(tostring(string.find(string.rep("a", 40), string.rep("a*", 40) .. "b")))"#,
            message: "string.find: pattern 'a*a*"),
        Attempt(
            name: "backtrack through gsub on a long subject",
            body: #"local s = string.rep("a", 5000) return deny(s:gsub(".-.-.-b", "x"))"#,
            message: "could take about"),
        Attempt(name: "spawn a coroutine", body: "coroutine.wrap(function() while true do end end)() return allow()"),
        Attempt(name: "draw a random number", body: "return deny(tostring(math.random()))"),
        Attempt(
            name: "unpack millions of values", body: "return deny(select('#', table.unpack({}, 1, 1e8)))",
            expectedError: .instructionBudget),
        Attempt(
            name: "hang the host in __tostring of an error",
            body: "error(setmetatable({}, { __tostring = function() while true do end end }))"),
        Attempt(
            name: "keep the input for later through an error value", body: "error(input)"),
        Attempt(
            name: "raise an error whose metatable runs code when read",
            body: "error(setmetatable({}, { __index = function() while true do end end }))"),
    ] + hostileAttempts

    /// A policy that checks the state every attempt could have disturbed.
    static let probe = PolicySource.policy(
        name: "probe",
        body: #"""
            local problems = {}
            if rawget(_ENV, "leaked") ~= nil or leaked ~= nil then problems[#problems + 1] = "global leaked" end
            if string.upper("a") ~= "A" or ("a"):upper() ~= "A" then problems[#problems + 1] = "string.upper changed" end
            if not tg.contains({ 1 }, 1) or tg.contains({ 1 }, 2) then problems[#problems + 1] = "tg.contains changed" end
            if getmetatable("") ~= "locked" then problems[#problems + 1] = "string metatable exposed" end
            if input.activity.stage ~= "test" then problems[#problems + 1] = "input changed" end
            if #input.tasks ~= 2 then problems[#problems + 1] = "input array changed" end
            if #problems > 0 then return deny(problems) end
            return allow()
            """#)

    @Test("each attempt is contained", arguments: attempts)
    func contained(_ attempt: Attempt) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let set = try PolicySource.set(
            [("attempt.lua", PolicySource.policy(name: "attempt", body: attempt.body)), ("probe.lua", Self.probe)],
            poolSize: 1)
        let input = PolicyInputs.stageTransitionDocument
        let started = ContinuousClock.now
        let result = try #require(set.evaluate(policy: "attempt", input: input))
        #expect(started.duration(to: .now) < .seconds(2), "containment must be prompt")
        #expect(result.outcome == .error || result.outcome == .deny, "\(attempt.name): \(result.outcome) \(result.reasons)")
        if result.outcome == .error, let expected = attempt.expectedError {
            #expect(result.errorKind == expected, "\(attempt.name): \(result.reasons)")
        }
        if let message = attempt.message {
            #expect(result.reasons.first?.contains(message) == true, "\(result.reasons)")
            #expect(result.reasons.first?.hasPrefix("attempt.lua:") == true, "the error names the policy line")
        }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "no file may be created")
        // The same Lua state (pool of one) runs the probe next: nothing may have leaked.
        let probe = try #require(set.evaluate(policy: "probe", input: input))
        #expect(probe.outcome == .allow, "after \(attempt.name): \(probe.reasons)")
        // And the whole phase still evaluates.
        let decision = set.evaluate(.stageTransition, input: input)
        #expect(decision.results.count == 2)
    }

    @Test func atLeastTwentyFiveDistinctAttempts() {
        #expect(Set(Self.attempts.map(\.name)).count >= 25)
    }

    @Test func topLevelLocalsDoNotSurviveBetweenEvaluations() throws {
        let counter = """
            local count = 0
            return {
              name = "counter", description = "counts", phases = { "ACTIVITY_STAGE_TRANSITION" }, blocking = true,
              evaluate = function(input)
                count = count + 1
                if count > 1 then return deny("saw " .. count .. " evaluations") end
                return allow()
              end,
            }
            """
        let set = try PolicySource.set([("counter.lua", counter)], poolSize: 1)
        for _ in 0..<3 {
            #expect(set.evaluate(policy: "counter", input: PolicyInputs.stageTransitionDocument)?.outcome == .allow)
        }
    }

    @Test func aLoopAtTheTopLevelMakesTheFileBrokenNotStuck() throws {
        let set = try PolicySource.set([("loop.lua", "while true do end")])
        let problem = try #require(set.problems.first)
        #expect(problem.message.contains("instruction budget"))
    }

    @Test func binaryChunkFilesAreRefused() throws {
        let set = try PolicySource.set([("binary.lua", "\u{1B}Lua\u{54}\u{00}")])
        let problem = try #require(set.problems.first)
        #expect(problem.message.contains("binary"))
    }

    @Test func inputKeptPastItsEvaluationCannotBeRead() throws {
        // An error value carrying a view escapes the evaluation; reading it later must fail safely.
        let set = try PolicySource.set([("keep.lua", PolicySource.policy(name: "keep", body: "error(input.activity)"))])
        let result = try #require(set.evaluate(policy: "keep", input: PolicyInputs.stageTransitionDocument))
        #expect(result.outcome == .error)
        #expect(result.reasons.first?.contains("non-string") == true)
    }

    @Test(arguments: [
        #"local s = "key=" .. string.rep("v", 5000) return s:match("key=(.*)") ~= nil"#,
        #"local n = 0 for part in string.rep("x", 5000):gmatch("[^,]+") do n = n + 1 end return n == 1"#,
        #"return select(2, string.rep("a,", 2000):gsub(",", ";")) == 2000"#,
        #"return ("198.168.20.120"):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") == "198""#,
        #"return string.rep("ab", 3000):find("ba", 1, true) == 2"#,
    ])
    func ordinaryPatternsAreNotFenced(_ body: String) throws {
        let set = try PolicySource.set([("p.lua", PolicySource.policy(name: "p", body: body))])
        let result = try #require(set.evaluate(policy: "p", input: PolicyInputs.stageTransitionDocument))
        #expect(result.outcome == .allow, "\(result.reasons)")
    }
}
