return {
  name = "previous-results-present",
  description = "The stage before the target left results in the context",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  evaluate = function(input)
    local current = input.lifecycle.current
    if current == nil or current == input.lifecycle.target then return allow() end
    local entry = input.context[current]
    if entry == nil or entry.results == nil then
      return deny("stage " .. current .. " left no results for " .. input.lifecycle.target)
    end
    return allow()
  end,
}
