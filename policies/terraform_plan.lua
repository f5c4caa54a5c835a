-- Judges a Terraform plan returned by a provisioning task (results.resource_changes,
-- the shape of `terraform show -json plan`): no database may be destroyed, and one
-- run may not create more than MAX_CREATES resources.

local MAX_CREATES = 25

local DATABASE_TYPES = {
  aws_db_instance = true, aws_rds_cluster = true, aws_dynamodb_table = true,
  google_sql_database_instance = true, google_bigquery_dataset = true,
  azurerm_mssql_database = true, azurerm_postgresql_flexible_server = true,
  azurerm_cosmosdb_account = true,
}

return {
  name = "terraform-plan-guard",
  description = "A Terraform plan must not delete a database nor create more than " .. MAX_CREATES .. " resources",
  phases = { "TASK_EXECUTION_RESULT" },
  blocking = true,

  -- Only results that carry a plan are judged.
  filter = function(input)
    local results = input.result and input.result.results
    return results ~= nil and results.resource_changes ~= nil
  end,

  evaluate = function(input)
    local reasons = {}
    local deleted, created = {}, 0
    for _, change in ipairs(input.result.results.resource_changes) do
      local actions = change.change.actions
      if tg.contains(actions, "delete") and DATABASE_TYPES[change.type] then
        deleted[#deleted + 1] = change.address
        reasons[#reasons + 1] = "the plan deletes database " .. change.address
      end
      if tg.contains(actions, "create") then created = created + 1 end
    end
    if created > MAX_CREATES then
      reasons[#reasons + 1] = string.format("the plan creates %d resources; at most %d are allowed in one run",
        created, MAX_CREATES)
    end
    if #reasons > 0 then
      return deny(reasons, { deleted_databases = deleted, created = created })
    end
    return allow({ created = created })
  end,
}
