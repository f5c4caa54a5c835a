/// Lua code that every sandbox runs once, before any policy: the decision helpers and the `tg`
/// helper library. It receives the decision metatable, the sandbox's base environment, the full
/// global table and the host functions, and returns (exports, internals).
enum PolicyPrelude {
    static let policy = common + """
        return exports, {}
        """

    static let test = common + testAPI

    private static let common = #"""
        local DECISION, base, G, host = ...
        local setmetatable, tostring, tonumber, ipairs, pairs, error, select, rawequal =
            G.setmetatable, G.tostring, G.tonumber, base.ipairs, G.pairs, G.error, G.select, G.rawequal
        local type, next = base.type, base.next
        local floor, tointeger = G.math.floor, G.math.tointeger
        local gmatch, match, format, find, sort, concat =
            G.string.gmatch, G.string.match, G.string.format, G.string.find, G.table.sort, G.table.concat

        local function as_reasons(reasons)
            if type(reasons) == "string" then return { reasons } end
            local out = {}
            if type(reasons) == "table" then
                for i, r in ipairs(reasons) do out[i] = tostring(r) end
            elseif reasons ~= nil then
                out[1] = tostring(reasons)
            end
            return out
        end

        local function allow(details)
            return setmetatable({ outcome = "allow", details = details }, DECISION)
        end

        local function deny(reasons, details)
            local list = as_reasons(reasons)
            if #list == 0 then error("deny() needs a reason: deny(\"why\") or deny({\"why\", ...})", 2) end
            return setmetatable({ outcome = "deny", reasons = list, details = details }, DECISION)
        end

        local tg = {}

        function tg.contains(list, value)
            if list == nil then return false end
            for _, v in ipairs(list) do
                if v == value then return true end
            end
            return false
        end

        function tg.index_of(list, value)
            if list == nil then return nil end
            for i, v in ipairs(list) do
                if v == value then return i end
            end
            return nil
        end

        function tg.keys(t)
            local keys = {}
            for k in pairs(t) do keys[#keys + 1] = k end
            sort(keys, function(a, b) return tostring(a) < tostring(b) end)
            return keys
        end

        function tg.count(t)
            local n = 0
            for _ in pairs(t) do n = n + 1 end
            return n
        end

        function tg.get(t, path, default)
            local v = t
            for part in gmatch(path, "[^%.]+") do
                if type(v) ~= "table" then return default end
                local found = v[part]
                if found == nil then
                    local index = tointeger(tonumber(part))
                    if index then found = v[index] end
                end
                if found == nil then return default end
                v = found
            end
            return v
        end

        function tg.is_ipv4(s)
            if type(s) ~= "string" then return false end
            local a, b, c, d = match(s, "^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)$")
            if not a then return false end
            for _, part in ipairs({ a, b, c, d }) do
                if #part > 1 and part:sub(1, 1) == "0" then return false end
                if tonumber(part) > 255 then return false end
            end
            return true
        end

        local function days_from_civil(y, m, d)
            y = m <= 2 and y - 1 or y
            local era = (y >= 0 and y or y - 399) // 400
            local yoe = y - era * 400
            local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
            local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
            return era * 146097 + doe - 719468
        end

        function tg.time(iso)
            if type(iso) ~= "string" then return nil, "not a timestamp: " .. tostring(iso) end
            local y, mo, d, h, mi, s, rest = match(iso, "^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
            if not y then return nil, "not an ISO-8601 timestamp: " .. iso end
            local fraction, zone = match(rest, "^(%.?%d*)(.*)$")
            local seconds = days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400
                + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
            if fraction ~= "" and fraction ~= "." then seconds = seconds + tonumber("0" .. fraction) end
            if zone == "Z" or zone == "z" then return seconds end
            local sign, zh, zm = match(zone, "^([%+%-])(%d%d):?(%d%d)$")
            if not sign then return nil, "timestamp has no time zone (end it with Z or +hh:mm): " .. iso end
            local offset = tonumber(zh) * 3600 + tonumber(zm) * 60
            return sign == "+" and seconds - offset or seconds + offset
        end

        function tg.duration(from, to)
            local a, err = tg.time(from)
            if not a then return nil, err end
            local b, err2 = tg.time(to)
            if not b then return nil, err2 end
            return b - a
        end

        function tg.starts_with(s, prefix)
            return type(s) == "string" and s:sub(1, #prefix) == prefix
        end

        function tg.ends_with(s, suffix)
            return type(s) == "string" and (suffix == "" or s:sub(-#suffix) == suffix)
        end

        local exports = { allow = allow, deny = deny, tg = tg }

        """#

    private static let testAPI = #"""
        local tests = {}

        local function where(level)
            return host.where(level + 1)
        end

        local function fail(message)
            -- level 3: the test code that called the expect_* helper
            error({ assertion = true, message = where(3) .. message }, 0)
        end

        local function describe(v)
            if type(v) == "string" then return format("%q", v) end
            if type(v) ~= "table" then return tostring(v) end
            local parts = {}
            for _, k in ipairs(tg.keys(v)) do
                parts[#parts + 1] = tostring(k) .. "=" .. describe(v[k])
                if #parts > 8 then parts[#parts + 1] = "..." break end
            end
            return "{" .. concat(parts, ", ") .. "}"
        end

        local function deep_equal(a, b)
            if type(a) ~= "table" or type(b) ~= "table" then return a == b end
            for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
            for k in pairs(b) do if a[k] == nil then return false end end
            return true
        end

        local getmetatable = G.getmetatable

        -- Copies keep the metatable that remembers the document's key order and array length.
        local function copy(t)
            if type(t) ~= "table" then return t end
            local out = {}
            for k, v in pairs(t) do out[k] = copy(v) end
            return setmetatable(out, getmetatable(t))
        end

        function exports.test(name, fn)
            if type(name) ~= "string" or type(fn) ~= "function" then
                error("usage: test(\"what it checks\", function() ... end)", 2)
            end
            local line = tonumber(match(where(2), ":(%d+):"))
            tests[#tests + 1] = { name = name, fn = fn, line = line }
        end

        function exports.fixture(path)
            if type(path) ~= "string" then error("usage: fixture(\"fixtures/name.json\")", 2) end
            return host.fixture(path, nil)
        end

        function exports.evaluate(policy, input, phase)
            if type(policy) ~= "string" or type(input) ~= "table" then
                error("usage: evaluate(\"policy-name\", input [, phase])", 2)
            end
            return host.evaluate(policy, { input = input, phase = phase })
        end

        function exports.evaluate_phase(phase, input)
            if type(phase) ~= "string" or type(input) ~= "table" then
                error("usage: evaluate_phase(\"ACTIVITY_STAGE_TRANSITION\", input)", 2)
            end
            return host.evaluate_phase(phase, { input = input })
        end

        exports.copy = copy

        function exports.with(t, path, value)
            local out = copy(t)
            local node = out
            local parts = {}
            for part in gmatch(path, "[^%.]+") do parts[#parts + 1] = part end
            if #parts == 0 then error("with(): empty path", 2) end
            for i = 1, #parts - 1 do
                local key = tointeger(tonumber(parts[i])) or parts[i]
                if type(node[key]) ~= "table" then node[key] = {} end
                node = node[key]
            end
            local last = tointeger(tonumber(parts[#parts])) or parts[#parts]
            node[last] = value
            return out
        end

        local function outcome_of(d, what)
            if type(d) ~= "table" or d.outcome == nil then
                fail(what .. " expects the result of evaluate(...), got " .. describe(d))
            end
            return d.outcome
        end

        local function reasons_text(d)
            return concat(d.reasons or {}, "; ")
        end

        function exports.expect_allow(d)
            local o = outcome_of(d, "expect_allow")
            if o ~= "allow" then
                fail("expected allow from " .. tostring(d.policy) .. ", got " .. o .. ": " .. reasons_text(d))
            end
        end

        function exports.expect_deny(d, fragment)
            local o = outcome_of(d, "expect_deny")
            if o ~= "deny" then
                fail("expected deny from " .. tostring(d.policy) .. ", got " .. o
                    .. (o == "error" and (": " .. reasons_text(d)) or ""))
            end
            if fragment ~= nil then
                for _, r in ipairs(d.reasons or {}) do
                    if find(r, fragment, 1, true) then return end
                end
                fail("expected a reason containing " .. format("%q", fragment) .. ", got: " .. reasons_text(d))
            end
        end

        function exports.expect_error(d, fragment)
            local o = outcome_of(d, "expect_error")
            if o ~= "error" then fail("expected error from " .. tostring(d.policy) .. ", got " .. o) end
            if fragment ~= nil and not find(reasons_text(d), fragment, 1, true) then
                fail("expected an error containing " .. format("%q", fragment) .. ", got: " .. reasons_text(d))
            end
        end

        function exports.expect_skip(d)
            local o = outcome_of(d, "expect_skip")
            if o ~= "skipped" then fail("expected the policy to be skipped, got " .. o) end
        end

        function exports.expect_verdict(v, verdict)
            if type(v) ~= "table" or v.verdict == nil then
                fail("expect_verdict expects the result of evaluate_phase(...), got " .. describe(v))
            end
            if v.verdict ~= verdict then
                local lines = {}
                for _, r in ipairs(v.results or {}) do
                    lines[#lines + 1] = r.policy .. "=" .. r.outcome
                end
                fail("expected verdict " .. verdict .. ", got " .. v.verdict .. " (" .. concat(lines, ", ") .. ")")
            end
        end

        function exports.expect_equal(actual, expected, label)
            if not deep_equal(actual, expected) then
                fail((label and (label .. ": ") or "") .. "expected " .. describe(expected) .. ", got " .. describe(actual))
            end
        end

        function exports.expect(condition, message)
            if not condition then fail(message or "expectation failed") end
        end

        return exports, {
            reset = function() tests = {} end,
            tests = function() return tests end,
        }
        """#
}
