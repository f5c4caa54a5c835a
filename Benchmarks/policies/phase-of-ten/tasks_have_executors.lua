return {
  name = "tasks-have-executors",
  description = "Every planned task names an executor",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = false,
  evaluate = function(input)
    for _, task in ipairs(input.tasks) do
      if task.executor == nil then return deny("task " .. task.key .. " has no executor") end
    end
    return allow()
  end,
}
