-- Every data product names an accountable owner before it moves anywhere.

return {
  name = "owner-required",
  description = "The data product descriptor must name an owner (info.owner.id)",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,

  evaluate = function(input)
    local owner = tg.get(input, "dataProduct.descriptor.info.owner.id")
    if type(owner) ~= "string" or owner:match("^%s*$") then
      return deny("the descriptor names no owner: set info.owner.id to the accountable team or person")
    end
    return allow()
  end,
}
