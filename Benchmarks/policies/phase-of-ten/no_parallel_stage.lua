return {
  name = "previous-stage-finished",
  description = "The current stage's activity has finished before the next one starts",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  evaluate = function(input)
    local history = input.lifecycle.history
    local last = history[#history]
    if last and last.stage == input.lifecycle.target and last.finishedAt == nil then
      return deny("stage " .. last.stage .. " is still running")
    end
    return allow()
  end,
}
