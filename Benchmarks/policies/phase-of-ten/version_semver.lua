return {
  name = "version-semver",
  description = "The data product version is a semantic version",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  evaluate = function(input)
    local v = input.dataProduct.version
    if type(v) == "string" and v:match("^%d+%.%d+%.%d+$") then return allow() end
    return deny("version '" .. tostring(v) .. "' is not MAJOR.MINOR.PATCH")
  end,
}
