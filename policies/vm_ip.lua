-- A provisioning result must describe the VM it made: a name and a well-formed IPv4 address,
-- because the next task connects to it (${dev.results.task1.vm.ip}).

return {
  name = "vm-ip-wellformed",
  description = "A provisioning result must carry a VM with a name and a well-formed IPv4 address",
  phases = { "TASK_EXECUTION_RESULT" },
  blocking = true,

  -- Provisioning tasks: named so, or returning a vm.
  filter = function(input)
    local results = input.result and input.result.results
    local name = input.task and input.task.name or ""
    return (results ~= nil and results.vm ~= nil) or name:lower():find("provision", 1, true) ~= nil
  end,

  evaluate = function(input)
    if input.result.status ~= "PROCESSED" then return allow() end
    local vm = input.result.results and input.result.results.vm
    if vm == nil then
      return deny("the provisioning result has no vm: return {\"vm\": {\"name\": ..., \"ip\": ...}}")
    end
    local reasons = {}
    if type(vm.name) ~= "string" or vm.name == "" then
      reasons[#reasons + 1] = "vm.name is missing"
    end
    if not tg.is_ipv4(vm.ip) then
      reasons[#reasons + 1] = "vm.ip " .. (vm.ip == nil and "is missing" or ("'" .. tostring(vm.ip) .. "' is not a well-formed IPv4 address"))
    end
    if #reasons > 0 then return deny(reasons) end
    return allow()
  end,
}
