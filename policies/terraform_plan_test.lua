local plan = fixture("fixtures/task_result_plan.json")

local function changes(n, action, type_name)
  local list = {}
  for i = 1, n do
    list[i] = { address = type_name .. ".r" .. i, type = type_name, change = { actions = { action } } }
  end
  return list
end

test("the shipped plan (40 creates, 10 updates) is denied for too many creates", function()
  local d = evaluate("terraform-plan-guard", plan)
  expect_deny(d, "the plan creates 40 resources; at most 25")
  expect_equal(d.details.created, 40)
end)

test("a small plan passes and reports what it creates", function()
  local small = with(plan, "result.results.resource_changes", changes(3, "create", "aws_instance"))
  local d = evaluate("terraform-plan-guard", small)
  expect_allow(d)
  expect_equal(d.details.created, 3)
end)

test("deleting a database is denied and named", function()
  local list = changes(2, "create", "aws_instance")
  list[3] = { address = "aws_db_instance.main", type = "aws_db_instance", change = { actions = { "delete", "create" } } }
  local d = evaluate("terraform-plan-guard", with(plan, "result.results.resource_changes", list))
  expect_deny(d, "the plan deletes database aws_db_instance.main")
  expect_equal(d.details.deleted_databases, { "aws_db_instance.main" })
end)

test("deleting a non-database resource is fine", function()
  local d = evaluate("terraform-plan-guard",
    with(plan, "result.results.resource_changes", changes(4, "delete", "aws_instance")))
  expect_allow(d)
end)

test("results without a plan are skipped", function()
  expect_skip(evaluate("terraform-plan-guard", fixture("fixtures/task_result_vm.json")))
end)
