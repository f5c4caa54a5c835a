import TollgatePolicy

/// Attacks of a hostile policy author on the host rather than on the sandbox's walls: work that
/// never ends, C work the instruction budget could not see, memory outside the Lua heap, and limits
/// caught and ignored. Each must end in `error` promptly, and leave the state clean.
extension SandboxEscapeTests {
    static let bigString = #"local big = string.rep("a", 1 << 20)"#

    static let hostileAttempts: [Attempt] = [
        // Evaluations that never end.
        Attempt(
            name: "loop forever in an xpcall message handler",
            body: "return xpcall(function() while true do end end, function() while true do end end)",
            expectedError: .instructionBudget),
        Attempt(
            name: "move 2^40 elements with table.move", body: "table.move({}, 1, 1 << 40, 2) return allow()",
            expectedError: .instructionBudget),
        // Long C work the instruction budget could not see.
        Attempt(
            name: "unpack a long list over and over",
            body: "local t = {} for i = 1, 7000 do t[i] = i end for i = 1, 1e6 do select('#', table.unpack(t)) end return allow()",
            expectedError: .instructionBudget),
        Attempt(
            name: "count utf8 characters of a megabyte over and over",
            body: #"local s = string.rep("é", 1 << 19) for i = 1, 1e6 do utf8.len(s) end return allow()"#,
            expectedError: .instructionBudget),
        Attempt(
            name: "search a megabyte for plain text over and over",
            body: bigString + #" local p = string.rep("a", 1 << 18) .. "b" for i = 1, 1e4 do big:find(p, 1, true) end return allow()"#,
            expectedError: .instructionBudget),
        Attempt(
            name: "match a long literal pattern",
            body: bigString + #" return deny(tostring(big:match(string.rep("a", 1000) .. "b")))"#,
            message: "could take about"),
        Attempt(
            name: "make the pattern fence scan a megabyte per item",
            body: bigString + #" return deny(tostring(big:match(string.rep("b*", 5000) .. "c")))"#,
            expectedError: .instructionBudget),
        Attempt(
            name: "sort many references to a long string",
            body: bigString + " local t = {} for i = 1, 2000 do t[i] = big end table.sort(t) return allow()",
            expectedError: .instructionBudget),
        // Memory outside the Lua heap.
        Attempt(
            name: "give thousands of reasons",
            body: #"local s = string.rep("x", 65536) local r = {} for i = 1, 16384 do r[i] = s end return deny(r)"#,
            message: "at most 100 reasons"),
        Attempt(
            name: "give a reason of a megabyte", body: bigString + " return deny(big)",
            message: "a reason may be at most 4096 bytes"),
        Attempt(
            name: "attach details sharing one long string thousands of times",
            body: #"local s = string.rep("x", 65536) local d = {} for i = 1, 16384 do d[i] = s end return deny("x", d)"#,
            message: "the result is larger than"),
        Attempt(
            name: "declare a billion-element array in details",
            body: #"return deny("x", setmetatable({}, { __jsonarray = 1e9 }))"#,
            message: "the result is larger than"),
        Attempt(
            name: "attach details that double thirty times when written out",
            body: #"local t = { "x" } for i = 1, 30 do t = { t, t } end return deny("x", t)"#,
            message: "the result is larger than"),
        // Limits caught and ignored.
        Attempt(
            name: "catch the memory cap of table.concat with pcall",
            body: bigString + " local t = {} for i = 1, 20 do t[i] = big end local ok = pcall(table.concat, t) return allow()",
            expectedError: .memoryLimit),
        Attempt(
            name: "catch the memory cap with xpcall",
            body: #"xpcall(function() local s = "x" while true do s = s .. s end end, function() return "caught" end) return allow()"#,
            expectedError: .memoryLimit),
        Attempt(
            name: "show an address with string.format %p", body: #"return deny(string.format("%p", {}))"#,
            message: "'%p' is not available"),
    ]
}
