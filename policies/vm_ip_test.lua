local input = fixture("fixtures/task_result_vm.json")

test("the walk-through's provisioning result passes", function()
  expect_allow(evaluate("vm-ip-wellformed", input))
end)

test("a malformed address is denied", function()
  expect_deny(evaluate("vm-ip-wellformed", with(input, "result.results.vm.ip", "198.168.20")),
    "'198.168.20' is not a well-formed IPv4 address")
end)

test("an octet above 255 is denied", function()
  expect_deny(evaluate("vm-ip-wellformed", with(input, "result.results.vm.ip", "10.0.0.256")))
end)

test("a missing name is denied", function()
  expect_deny(evaluate("vm-ip-wellformed", with(input, "result.results.vm.name", nil)), "vm.name is missing")
end)

test("a provisioning task that returns no vm is denied", function()
  local named = with(with(input, "task.name", "provision-vm"), "result.results", { other = true })
  expect_deny(evaluate("vm-ip-wellformed", named), "has no vm")
end)

test("results of other tasks are skipped", function()
  expect_skip(evaluate("vm-ip-wellformed", with(input, "result.results", { url = "localhost:8121/helloWorld" })))
end)

test("the whole task-result phase passes on the walk-through", function()
  expect_verdict(evaluate_phase("TASK_EXECUTION_RESULT", input), "pass")
end)
