local FRIDAY = 5
return {
  name = "weekend-freeze",
  description = "No promotion to prod from Friday to Sunday (UTC)",
  phases = { "ACTIVITY_STAGE_TRANSITION" },
  blocking = true,
  filter = { stages = { "prod" } },
  evaluate = function(input)
    local seconds = tg.time(input.now)
    local weekday = (seconds // 86400 + 4) % 7 -- 0 = Sunday
    if weekday == 0 or weekday >= FRIDAY then return deny("prod is frozen from Friday to Sunday") end
    return allow()
  end,
}
