return {
  name = "target-declared",
  description = "The target stage has tasks in the descriptor",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  evaluate = function(input)
    local lifecycle = input.dataProduct.descriptor.internalComponents.lifecycleInfo
    if lifecycle[input.lifecycle.target] == nil then
      return deny("stage " .. input.lifecycle.target .. " has no tasks in lifecycleInfo")
    end
    return allow()
  end,
}
