local input = fixture("fixtures/activity_result.json")

test("every task returned results", function()
  expect_allow(evaluate("task-results-present", input))
end)

test("a task without results is named", function()
  local d = evaluate("task-results-present", with(input, "tasks.2.results", nil))
  expect_deny(d, "tasks returned no results: task2")
end)

test("it only warns: the phase verdict is warn, not block", function()
  local v = evaluate_phase("ACTIVITY_EXECUTION_RESULT", with(input, "tasks.1.results", {}))
  expect_verdict(v, "warn")
end)
