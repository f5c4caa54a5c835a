local input = fixture("fixtures/activity_result.json")

test("a two-minute activity passes", function()
  local d = evaluate("activity-duration", input)
  expect_allow(d)
  expect_equal(d.details.seconds, 119)
end)

test("a three-hour activity warns", function()
  local slow = with(input, "activity.finishedAt", "2023-11-23T17:30:01+00:00")
  expect_deny(evaluate("activity-duration", slow), "the activity ran 180 minutes; the limit is 120")
end)

test("time zones are honoured", function()
  local zoned = with(input, "activity.finishedAt", "2023-11-23T16:32:00+02:00")
  expect_allow(evaluate("activity-duration", zoned))
end)

test("an unreadable timestamp is reported, not ignored", function()
  expect_deny(evaluate("activity-duration", with(input, "activity.startedAt", "yesterday")),
    "not an ISO-8601 timestamp")
end)
