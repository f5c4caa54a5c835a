local input = fixture("fixtures/stage_transition.json")

test("a named owner passes", function()
  expect_allow(evaluate("owner-required", input))
end)

test("a missing owner is denied", function()
  expect_deny(evaluate("owner-required", with(input, "dataProduct.descriptor.info.owner", nil)), "names no owner")
end)

test("a blank owner id is denied", function()
  expect_deny(evaluate("owner-required", with(input, "dataProduct.descriptor.info.owner.id", "   ")))
end)

test("the whole stage-transition phase blocks without an owner", function()
  local v = evaluate_phase("ACTIVITY_STAGE_TRANSITION", with(input, "dataProduct.descriptor.info.owner", nil))
  expect_verdict(v, "block")
  expect_equal(v.policies["stage-order"].outcome, "allow")
end)
