-- Stages are entered in the order the descriptor's lifecycleInfo declares them:
-- the first stage may always start; any later stage only when the stage before it is current.
-- Going back to an earlier stage (a re-run) is allowed.

return {
  name = "stage-order",
  description = "A stage may start only when the stage before it (in lifecycleInfo order) is the current stage",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,

  evaluate = function(input)
    local lifecycle = input.lifecycle
    local stages, target, current = lifecycle.stages, lifecycle.target, lifecycle.current
    local target_index = tg.index_of(stages, target)
    if not target_index then
      return deny(string.format("stage '%s' is not declared in the descriptor's lifecycleInfo (stages: %s)",
        tostring(target), table.concat(stages, ", ")))
    end
    if target_index == 1 then return allow() end
    local current_index = current and tg.index_of(stages, current)
    if current_index and target_index <= current_index + 1 then return allow() end
    local required = stages[target_index - 1]
    return deny(
      string.format("stage '%s' requires '%s' to be the current stage; the current stage is %s",
        target, required, current and ("'" .. current .. "'") or "none"),
      { target = target, required = required, current = current })
  end,
}
