return {
  name = "principal-may-submit",
  description = "Only principals with the submitter role start activities",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  evaluate = function(input)
    if tg.contains(input.principal.roles, "submitter") then return allow() end
    return deny(input.principal.name .. " lacks the submitter role")
  end,
}
