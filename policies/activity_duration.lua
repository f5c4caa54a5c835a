-- Slow activities are worth a look; this warns, it never blocks.

local LIMIT_SECONDS = 2 * 60 * 60

return {
  name = "activity-duration",
  description = "Warn when an activity ran longer than two hours",
  phases = { "ACTIVITY_EXECUTION_RESULT" },
  blocking = false,

  evaluate = function(input)
    local started = input.activity.startedAt
    local finished = input.activity.finishedAt or input.now
    if started == nil or finished == nil then return allow() end
    local seconds, err = tg.duration(started, finished)
    if seconds == nil then return deny("cannot measure the activity's duration: " .. err) end
    if seconds > LIMIT_SECONDS then
      return deny(string.format("the activity ran %.0f minutes; the limit is %d", seconds / 60, LIMIT_SECONDS // 60),
        { seconds = seconds, limit = LIMIT_SECONDS })
    end
    return allow({ seconds = seconds })
  end,
}
