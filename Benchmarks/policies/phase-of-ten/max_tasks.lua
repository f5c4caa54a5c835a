return {
  name = "max-tasks",
  description = "A stage runs at most 20 tasks",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = false,
  evaluate = function(input)
    if #input.tasks > 20 then return deny(#input.tasks .. " tasks planned; at most 20") end
    return allow()
  end,
}
