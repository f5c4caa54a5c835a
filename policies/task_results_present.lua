-- Tasks that report nothing leave later stages and auditors blind. Not blocking: a warning.

return {
  name = "task-results-present",
  description = "Every task of an activity should return results",
  phases = { "ACTIVITY_EXECUTION_RESULT" },
  blocking = false,

  evaluate = function(input)
    local silent = {}
    for _, task in ipairs(input.tasks) do
      local results = task.results
      if results == nil or (type(results) == "table" and next(results) == nil) then
        silent[#silent + 1] = task.key or tostring(task.id)
      end
    end
    if #silent > 0 then
      return deny("tasks returned no results: " .. table.concat(silent, ", "), { tasks = silent })
    end
    return allow()
  end,
}
