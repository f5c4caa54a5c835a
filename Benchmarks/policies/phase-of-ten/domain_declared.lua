return {
  name = "domain-declared",
  description = "The descriptor names its business domain",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = false,
  evaluate = function(input)
    local domain = tg.get(input, "dataProduct.descriptor.info.domain")
    if domain == nil or domain == "" then return deny("info.domain is empty") end
    return allow()
  end,
}
