return {
  name = "fqn-is-odm-urn",
  description = "The fully qualified name is an ODM data product URN",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  evaluate = function(input)
    if tg.starts_with(input.dataProduct.fullyQualifiedName, "urn:org.opendatamesh:dataproducts:") then
      return allow()
    end
    return deny("fully qualified name is not an ODM URN")
  end,
}
