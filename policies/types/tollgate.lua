---@meta _

-- LuaLS annotations for Tollgate policies and policy tests.
--
-- This file is never run: the policy loader skips the `types/` folder. It describes what the
-- sandbox offers, so that the Lua language server completes input fields and helpers and
-- flags what a policy cannot use. `.luarc.json` in the folder above disables LuaLS's own
-- `basic`, `string` and `math` definitions, because this file declares the sandbox's subsets of
-- them (see README.md, "The sandbox").

-----------------------------------------------------------------------------------------------
-- Names
-----------------------------------------------------------------------------------------------

---@alias TollgatePhase
---| "ACTIVITY_STAGE_TRANSITION" # Before an activity starts: may the version move to the target stage?
---| "TASK_EXECUTION_RESULT"     # After a task reports back: are its results acceptable?
---| "ACTIVITY_EXECUTION_RESULT" # After the last task: may the stage be promoted?

---@alias TollgateOutcome
---| "allow"   # The policy found nothing wrong.
---| "deny"    # The policy objected; its reasons say why.
---| "error"   # The policy could not reach a conclusion (error, limit, bad result, broken file).
---| "skipped" # The policy's filter says it does not apply to this input.

---@alias TollgateEffect
---| "none"  # Counts for nothing (allow, skipped, an ignored error).
---| "warn"  # A recorded warning; the phase goes on.
---| "block" # Stops the phase.

---@alias TollgateVerdict
---| "pass"  # Every policy allowed or was skipped.
---| "warn"  # Only warnings: non-blocking denies, errors with on_error = "warn", broken non-blocking policies.
---| "block" # A blocking deny, an error with on_error = "block", or a broken blocking policy.

---@alias TollgateErrorMode
---| "block"  # An error stops the phase (default for blocking policies).
---| "warn"   # An error is recorded as a warning (default for non-blocking policies).
---| "ignore" # An error is recorded and counts for nothing.

---@alias TollgateErrorKind
---| "runtime"            # The policy raised an error, or a library limit refused a call.
---| "instruction-budget" # The instruction budget ran out.
---| "memory-limit"       # The memory cap was reached.
---| "bad-result"         # evaluate returned something that is not a decision.
---| "broken-policy"      # The policy file is broken and was not evaluated.

---@alias TollgateStatus
---| "PLANNED"
---| "PROCESSING"
---| "PROCESSED"
---| "FAILED"
---| "ABORTED"

---@alias TollgateCallbackStatus
---| "PROCESSED" # The task succeeded.
---| "FAILED"    # The task failed; `errors` says why.

---@alias TollgateStageStatus
---| "RUNNING"   # The stage's activity is running.
---| "PROCESSED" # The stage succeeded.

-----------------------------------------------------------------------------------------------
-- The input
--
-- Input values are read-only views of a JSON document: reading works as on tables (`type` says
-- "table", `#`, `ipairs`, `pairs` in document order, `==`), writing raises an error, and a JSON
-- null reads as nil. Any field may be nil when it does not apply.
-----------------------------------------------------------------------------------------------

---What a policy receives: one decision's input, read-only.
---@class TollgateInput
---@field event TollgatePhase The phase being evaluated.
---@field now string ISO-8601 UTC timestamp of the decision, injected by the engine. Policies have no clock: use this.
---@field principal TollgatePrincipal Who asked.
---@field dataProduct TollgateDataProduct The data product version being moved.
---@field lifecycle TollgateLifecycle Stage order, current and target stage, stage history.
---@field activity TollgateActivity The activity that moves the version to the target stage.
---@field tasks TollgateTask[] The activity's tasks, in execution order.
---@field task? TollgateTask The task whose result is judged (TASK_EXECUTION_RESULT only).
---@field result? TollgateCallbackResult The executor's callback (TASK_EXECUTION_RESULT only).
---@field context table<string, TollgateStageContext> The context tasks receive, keyed by stage name.

---Who asked.
---@class TollgatePrincipal
---@field name string User or service name.
---@field roles string[] Their roles.

---The data product version being moved.
---@class TollgateDataProduct
---@field id string The product's id.
---@field fullyQualifiedName string e.g. "urn:org.opendatamesh:dataproducts:hello".
---@field name string Short name.
---@field version string The version being moved, e.g. "1.0.0".
---@field descriptor table The ODM data product descriptor, as JSON. Its lifecycleInfo may be a stage map or a normalized task list: read stage order from `input.lifecycle.stages`.

---The version's lifecycle.
---@class TollgateLifecycle
---@field stages string[] Stages in the order of the descriptor's lifecycleInfo, e.g. { "dev", "test", "prod" }.
---@field current? string The version's current stage; nil until a first stage has completed.
---@field target string The stage the activity promotes the version to.
---@field history TollgateHistoryEntry[] The version's stages so far.

---One stage of the version's history.
---@class TollgateHistoryEntry
---@field stage string Stage name.
---@field startedAt? string ISO-8601 UTC.
---@field finishedAt? string ISO-8601 UTC; nil for the current stage.

---The activity that moves the version to a stage.
---@class TollgateActivity
---@field id integer Activity id.
---@field stage string The stage it runs (the same as lifecycle.target). The `stages` filter reads this.
---@field status TollgateStatus
---@field createdAt? string ISO-8601 UTC.
---@field startedAt? string ISO-8601 UTC.
---@field finishedAt? string ISO-8601 UTC.

---A task of the activity.
---@class TollgateTask
---@field id integer Task id.
---@field key string Key in the context and in placeholders: the descriptor name, or "task<N>".
---@field name? string The descriptor's name for the task.
---@field order integer Position in the stage.
---@field executor? string Executor named by the task's service.$href (nil: nothing to run). The `executors` filter reads this.
---@field status TollgateStatus
---@field results? table Results the task reported.
---@field errors? string Errors the task reported.
---@field startedAt? string ISO-8601 UTC.
---@field finishedAt? string ISO-8601 UTC.

---The body of an executor's callback (TASK_EXECUTION_RESULT only).
---@class TollgateCallbackResult
---@field status TollgateCallbackStatus
---@field results? table Reported results; nil for a success with no results.
---@field errors? string Reported error text.

---One stage's entry in `input.context`.
---@class TollgateStageContext
---@field status TollgateStageStatus
---@field finishedAt? string ISO-8601 UTC.
---@field results? table<string, table> Results keyed by task key; nil while none.

-----------------------------------------------------------------------------------------------
-- The policy table
-----------------------------------------------------------------------------------------------

---The table a policy file returns.
---@class TollgatePolicy
---@field name string Unique name in the folder; results and tests refer to the policy by it.
---@field description string What the policy checks, for people.
---@field phases TollgatePhase|TollgatePhase[] The phases the policy runs at.
---@field blocking boolean true: a deny blocks the phase. false: a deny is a recorded warning.
---@field filter? TollgateFilter|(fun(input: TollgateInput): any) Where the policy applies; elsewhere it is skipped. A function returning false or nil skips.
---@field on_error? TollgateErrorMode What an error means. Default: "block" if blocking, "warn" if not. Ignored when the file is broken: then `blocking` decides.
---@field evaluate fun(input: TollgateInput): (TollgateDecision|boolean), string? Returns allow(...), deny(...), true, or false[, reason]. A bare false denies with the reason "denied without a reason (...)".

---A declarative filter. Each key takes a name or a list of names; `*` matches any run of
---characters. All keys given must match; an empty list restricts nothing.
---@class TollgateFilter
---@field stages? string|string[] Matched against input.activity.stage.
---@field products? string|string[] Matched against input.dataProduct.id, .fullyQualifiedName or .name.
---@field executors? string|string[] Matched against input.task.executor (only TASK_EXECUTION_RESULT has a task).

---A decision, made by allow() or deny(). Its metatable is protected: a table built by hand is
---not a decision.
---@class TollgateDecision
---@field outcome "allow"|"deny"
---@field reasons? string[] Deny reasons.
---@field details? any Structured details, stored as JSON.

-----------------------------------------------------------------------------------------------
-- Decision helpers
-----------------------------------------------------------------------------------------------

---Allows, optionally recording structured details (stored as JSON with the decision).
---@param details? any Plain data or input values; functions cannot be encoded.
---@return TollgateDecision
function allow(details) end

---Denies with one reason or a list of reasons (non-strings go through tostring), optionally
---recording structured details. Raises an error when no reason is given.
---@param reasons string|string[] At least one reason, written for people.
---@param details? any Plain data or input values; functions cannot be encoded.
---@return TollgateDecision
function deny(reasons, details) end

-----------------------------------------------------------------------------------------------
-- tg: helper library (read-only)
-----------------------------------------------------------------------------------------------

---Tollgate's helper library.
---@class TollgateHelpers
tg = {}

---Whether `list[i] == value` for some i (walks with ipairs: stops at the first nil).
---A nil list gives false.
---@param list? any[]
---@param value any
---@return boolean
function tg.contains(list, value) end

---The first i with `list[i] == value` (walks with ipairs), or nil when absent or when the list
---is nil.
---@param list? any[]
---@param value any
---@return integer?
function tg.index_of(list, value) end

---The keys of `t`, sorted by tostring(key). On an input object: its non-null field names.
---@param t table
---@return any[]
function tg.keys(t) end

---The number of entries pairs(t) visits (null input values are not counted).
---@param t table
---@return integer
function tg.count(t) end

---Follows a dotted path ("dataProduct.descriptor.info.owner.id", "tasks.1.key"); numeric parts
---also index arrays. Returns `default` (nil if not given) when a step is missing or not a table.
---@param t table
---@param path string
---@param default? any
---@return any
function tg.get(t, path, default) end

---Whether `s` is a dotted-quad IPv4 address: four parts 0-255, no leading zeros, nothing else.
---Non-strings give false.
---@param s any
---@return boolean
function tg.is_ipv4(s) end

---Seconds since 1970-01-01T00:00:00Z for an ISO-8601 timestamp with a zone
---(`YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm|±hhmm)`; `t` or a space may replace `T`).
---A fraction makes the result a float. Fields are not range-checked.
---@param iso any
---@return number? seconds nil when `iso` is not such a timestamp
---@return string? message why, when seconds is nil
function tg.time(iso) end

---Seconds from `from` to `to` (`tg.time(to) - tg.time(from)`).
---@param from any ISO-8601 timestamp
---@param to any ISO-8601 timestamp
---@return number? seconds nil when either timestamp cannot be read
---@return string? message why, when seconds is nil
function tg.duration(from, to) end

---Whether `s` is a string that starts with `prefix`.
---@param s any false when not a string
---@param prefix string
---@return boolean
function tg.starts_with(s, prefix) end

---Whether `s` is a string that ends with `suffix`.
---@param s any false when not a string
---@param suffix string
---@return boolean
function tg.ends_with(s, suffix) end

-----------------------------------------------------------------------------------------------
-- Test API (available in *_test.lua files only)
-----------------------------------------------------------------------------------------------

---What evaluate() returns in a test: one policy's result, as a plain table.
---@class TollgateEvaluation
---@field policy string The policy's name.
---@field outcome TollgateOutcome
---@field effect TollgateEffect How the outcome counts toward the verdict.
---@field blocking boolean As declared.
---@field reasons string[] Deny reasons, the error message, or the skip reason.
---@field details? any What the policy attached.
---@field error? TollgateErrorKind Set when outcome is "error".
---@field instructions integer VM instructions used, in steps of 100.

---What evaluate_phase() returns in a test.
---@class TollgatePhaseEvaluation
---@field verdict TollgateVerdict
---@field results TollgateEvaluation[] Every policy of the phase, in file order, skips included.
---@field policies table<string, TollgateEvaluation> The same results keyed by policy name.

---Registers a test. Tests run after the file's top level, in declaration order. (Test files only.)
---@param name string What the test checks.
---@param fn fun()
function test(name, fn) end

---Reads a JSON file, relative to the test file's folder (or absolute), as a plain writable
---table. JSON nulls read as nil. The table's metatable (`__jsonorder`, `__jsonarray`) keeps the
---document's key order and array lengths, nulls included, so evaluate() passes them on as in
---production. (Test files only.)
---@param path string e.g. "fixtures/stage_transition.json"
---@return table
function fixture(path) end

---Evaluates one policy by name on `input`; filters apply. With `phase`, first checks the policy
---runs at that phase. Does not set input.event. (Test files only.)
---@param policy string The policy's name.
---@param input table A table shaped like TollgateInput; converted to JSON on the way.
---@param phase? TollgatePhase
---@return TollgateEvaluation
function evaluate(policy, input, phase) end

---Evaluates every policy of `phase` on `input`, as the engine does. (Test files only.)
---@param phase TollgatePhase
---@param input table A table shaped like TollgateInput.
---@return TollgatePhaseEvaluation
function evaluate_phase(phase, input) end

---A deep copy of `t` with the value at a dotted path replaced (nil removes it). Numeric parts
---index arrays; missing tables along the path are created. Keeps a fixture's key order and array
---lengths; keys it adds to a fixture object come after the document's, sorted. (Test files only.)
---@generic T: table
---@param t T
---@param path string e.g. "result.results.vm.ip" or "tasks.2.results"
---@param value any
---@return T
function with(t, path, value) end

---A deep copy of `t`, keeping a fixture's key order and array lengths. (Test files only.)
---@generic T
---@param t T
---@return T
function copy(t) end

---Fails unless `d.outcome == "allow"`. (Test files only.)
---@param d TollgateEvaluation
function expect_allow(d) end

---Fails unless `d.outcome == "deny"` and, given `fragment`, some reason contains it (plain
---text). (Test files only.)
---@param d TollgateEvaluation
---@param fragment? string
function expect_deny(d, fragment) end

---Fails unless `d.outcome == "error"` and, given `fragment`, the message contains it (plain
---text). (Test files only.)
---@param d TollgateEvaluation
---@param fragment? string
function expect_error(d, fragment) end

---Fails unless `d.outcome == "skipped"`. (Test files only.)
---@param d TollgateEvaluation
function expect_skip(d) end

---Fails unless the phase verdict is `verdict`; the failure lists each policy's outcome.
---(Test files only.)
---@param v TollgatePhaseEvaluation
---@param verdict TollgateVerdict
function expect_verdict(v, verdict) end

---Fails unless `actual` and `expected` are deeply equal (tables compared key by key).
---(Test files only.)
---@param actual any
---@param expected any
---@param label? string Prefixed to the failure message.
function expect_equal(actual, expected, label) end

---Fails when `condition` is false or nil. (Test files only.)
---@param condition any
---@param message? string
function expect(condition, message) end

-----------------------------------------------------------------------------------------------
-- The sandbox's base functions (instead of LuaLS's "basic" library).
-- Not available: print, warn, load, loadfile, dofile, require, collectgarbage, rawset, _G.
-----------------------------------------------------------------------------------------------

---@alias TollgateLuaType "nil"|"number"|"string"|"boolean"|"table"|"function"|"thread"|"userdata"

---Raises an error with `message` (default "assertion failed!") when `v` is false or nil;
---otherwise returns all its arguments.
---@generic T
---@param v? T
---@param message? any
---@param ... any
---@return T
---@return any ...
function assert(v, message, ...) end

---Raises an error. A string message gets "file:line: " in front unless `level` is 0.
---@param message any
---@param level? integer
function error(message, level) end

---Iterates `t[1]`, `t[2]`, … up to the first nil.
---@generic V
---@param t V[]|table
---@return fun(t: V[], i?: integer): integer, V
---@return V[]
---@return integer
function ipairs(t) end

---Iterates every key and value (input values: in document order, skipping nulls).
---@generic K, V
---@param t table<K, V>
---@return fun(t: table<K, V>, k?: K): K, V
---@return table<K, V>
---@return nil
function pairs(t) end

---The next key and value after `k` (input values understood).
---@generic K, V
---@param t table<K, V>
---@param k? K
---@return K?
---@return V?
function next(t, k) end

---Calls `f` in protected mode: true and its results, or false and the error. Once the
---instruction budget is spent, every instruction fails, so pcall cannot outlast it.
---@param f function
---@param ... any
---@return boolean ok
---@return any ...
function pcall(f, ...) end

---Like pcall, with a message handler.
---@param f function
---@param handler fun(err: any): any
---@param ... any
---@return boolean ok
---@return any ...
function xpcall(f, handler, ...) end

---With a number n: the arguments from the n-th on. With "#": the number of arguments.
---@param n integer|"#"
---@param ... any
---@return any ...
function select(n, ...) end

---The type of `v`; "table" for input values.
---@param v any
---@return TollgateLuaType
function type(v) end

---Converts to a number, or nil.
---@param v any
---@param base? integer
---@return number?
function tonumber(v, base) end

---Converts to a string (input values: e.g. "object (read-only input, 6 fields)").
---@param v any
---@return string
function tostring(v) end

---The metatable of `v`, or its `__metatable` field: "locked" for strings and library tables,
---"read-only input" for input values, "decision" for decisions.
---@param v any
---@return table|string|nil
function getmetatable(v) end

---Sets the metatable of a table. Refuses `__gc` and protected metatables.
---@generic T: table
---@param t T
---@param mt? table
---@return T
function setmetatable(t, mt) end

---Equality without metamethods.
---@param a any
---@param b any
---@return boolean
function rawequal(a, b) end

---`t[k]` without metamethods (real tables only; not input values).
---@param t table
---@param k any
---@return any
function rawget(t, k) end

---Length without metamethods (real tables and strings only; not input values).
---@param v table|string
---@return integer
function rawlen(v) end

---"Lua 5.4"
---@type string
_VERSION = "Lua 5.4"

-----------------------------------------------------------------------------------------------
-- string (instead of LuaLS's "string" library): everything but string.dump. Read-only.
-- Also available as methods: s:upper(), s:find(...).
-----------------------------------------------------------------------------------------------

---@class stringlib
string = {}

---Byte codes of `s[i..j]`.
---@param s string|number
---@param i? integer
---@param j? integer
---@return integer ...
function string.byte(s, i, j) end

---A string from byte codes.
---@param ... integer
---@return string
function string.char(...) end

---Finds `pattern` in `s`: start, end and captures, or nil. Fenced unless `plain` is true (see
---README, "The pattern fence": refused when the estimated steps exceed 10,000,000); plain find is
---never refused.
---@param s string|number
---@param pattern string|number
---@param init? integer
---@param plain? boolean
---@return integer? start
---@return integer? end
---@return any ... captures
function string.find(s, pattern, init, plain) end

---Formats like C's sprintf (%d %i %u %c %x %X %o %e %E %f %g %G %q %s %a %A %%).
---@param fmt string
---@param ... any
---@return string
function string.format(fmt, ...) end

---An iterator over the matches of `pattern` in `s`. Fenced (a leading ^ is not an anchor here).
---@param s string|number
---@param pattern string|number
---@param init? integer
---@return fun(): string, ...
function string.gmatch(s, pattern, init) end

---Replaces matches of `pattern`; returns the new string and the number of replacements. Fenced.
---@param s string|number
---@param pattern string|number
---@param repl string|number|table|function
---@param n? integer
---@return string
---@return integer count
function string.gsub(s, pattern, repl, n) end

---Length in bytes.
---@param s string|number
---@return integer
function string.len(s) end

---Lower-case copy.
---@param s string|number
---@return string
function string.lower(s) end

---The captures of the first match of `pattern` (or the whole match), or nil. Fenced.
---@param s string|number
---@param pattern string|number
---@param init? integer
---@return any ...
function string.match(s, pattern, init) end

---Packs values into a binary string.
---@param fmt string
---@param ... any
---@return string
function string.pack(fmt, ...) end

---Size of a string.pack result for `fmt`.
---@param fmt string
---@return integer
function string.packsize(fmt) end

---`n` copies of `s` separated by `sep`. Refused when the result would exceed 1 MiB
---("string.rep would build N bytes; the limit is 1048576 bytes").
---@param s string|number
---@param n integer
---@param sep? string|number
---@return string
function string.rep(s, n, sep) end

---Reversed copy.
---@param s string|number
---@return string
function string.reverse(s) end

---Substring from `i` to `j` (negative indices count from the end).
---@param s string|number
---@param i integer
---@param j? integer
---@return string
function string.sub(s, i, j) end

---Unpacks values from a binary string.
---@param fmt string
---@param s string
---@param pos? integer
---@return any ...
function string.unpack(fmt, s, pos) end

---Upper-case copy.
---@param s string|number
---@return string
function string.upper(s) end

-----------------------------------------------------------------------------------------------
-- math (instead of LuaLS's "math" library). Not available: random, randomseed.
-- Read-only.
-----------------------------------------------------------------------------------------------

---@class mathlib
---@field huge number Positive infinity.
---@field pi number
---@field maxinteger integer
---@field mininteger integer
math = {}

---@generic N: number
---@param x N
---@return N
function math.abs(x) end

---@param x number
---@return integer
function math.ceil(x) end

---@param x number
---@return integer
function math.floor(x) end

---Remainder of x / y rounded toward zero.
---@param x number
---@param y number
---@return number
function math.fmod(x, y) end

---@param x number
---@param ... number
---@return number
function math.max(x, ...) end

---@param x number
---@param ... number
---@return number
function math.min(x, ...) end

---Integral and fractional parts.
---@param x number
---@return number
---@return number
function math.modf(x) end

---@param x number
---@return number
function math.sqrt(x) end

---`x` as an integer if it has an exact integer value, else nil.
---@param x any
---@return integer?
function math.tointeger(x) end

---"integer", "float", or nil when `x` is not a number.
---@param x any
---@return "integer"|"float"|nil
function math.type(x) end

---Whether m < n as unsigned integers.
---@param m integer
---@param n integer
---@return boolean
function math.ult(m, n) end

---@param x number
---@return number
function math.exp(x) end

---@param x number
---@param base? number
---@return number
function math.log(x, base) end

---@param x number
---@return number
function math.sin(x) end

---@param x number
---@return number
function math.cos(x) end

---@param x number
---@return number
function math.tan(x) end

---@param x number
---@return number
function math.asin(x) end

---@param x number
---@return number
function math.acos(x) end

---@param y number
---@param x? number
---@return number
function math.atan(y, x) end

---Radians to degrees.
---@param x number
---@return number
function math.deg(x) end

---Degrees to radians.
---@param x number
---@return number
function math.rad(x) end
