local input = fixture("fixtures/stage_transition.json")

test("test may start when dev is current", function()
  expect_allow(evaluate("stage-order", input))
end)

test("the first stage may always start", function()
  local first = with(with(input, "lifecycle.target", "dev"), "lifecycle.current", nil)
  expect_allow(evaluate("stage-order", first))
end)

test("test may not start before dev has succeeded", function()
  local d = evaluate("stage-order", with(input, "lifecycle.current", nil))
  expect_deny(d, "requires 'dev' to be the current stage; the current stage is none")
  expect_equal(d.details.required, "dev")
end)

test("prod may not skip test", function()
  expect_deny(evaluate("stage-order", with(input, "lifecycle.target", "prod")), "requires 'test'")
end)

test("going back to an earlier stage is a re-run, allowed", function()
  local rerun = with(with(input, "lifecycle.target", "dev"), "lifecycle.current", "prod")
  expect_allow(evaluate("stage-order", rerun))
end)

test("an undeclared stage is denied and named", function()
  expect_deny(evaluate("stage-order", with(input, "lifecycle.target", "staging")),
    "stage 'staging' is not declared in the descriptor's lifecycleInfo (stages: dev, test, prod)")
end)

test("stage order comes from the descriptor, not from fixed names", function()
  local custom = with(input, "lifecycle.stages", { "build", "qa", "live" })
  custom = with(with(custom, "lifecycle.current", "build"), "lifecycle.target", "live")
  expect_deny(evaluate("stage-order", custom), "requires 'qa'")
end)
