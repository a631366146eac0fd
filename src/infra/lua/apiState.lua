--[[
  apiState: what the guard of one external API is doing now, on the server's clock.
  Read-only; for `tasklane api`, the dashboard and the metrics.

  Input:
    KEYS[1] calls log (sorted set)
    KEYS[2] permits in flight (sorted set)
    KEYS[3] breaker (hash)
    KEYS[4] outcome window (hash)
    KEYS[5] pause (string)
    ARGV[1] period of the rate limit, ms (calls are counted over the last one)
    ARGV[2] breaker window, ms (outcomes are counted over the last one)
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output: { now, state, until, cooldown, forced, probing, callsInPeriod, inFlight,
            pausedUntil, windowOk, windowFail }
]]
-- includes: base
local now = nowMs()
local b = hmget(KEYS[3], 'state', 'until', 'cooldown', 'forced', 'probe')
local pausedMs = redis.call('PTTL', KEYS[5])
local windowMs = tonumber(ARGV[2])
local oldest = windowMs > 0 and math.floor(now / (windowMs / 20)) - 20 or math.huge
local ok, fail = 0, 0
local fields = redis.call('HGETALL', KEYS[4])
for i = 1, #fields, 2 do
  local sep = string.find(fields[i], ':', 1, true)
  if tonumber(string.sub(fields[i], 1, sep - 1)) > oldest then
    if string.sub(fields[i], sep + 1) == 'fail' then fail = fail + tonumber(fields[i + 1]) else ok = ok + tonumber(fields[i + 1]) end
  end
end
return {
  fmt(now), b[1] or 'closed', b[2] or '0', b[3] or '0', b[4] or '',
  (b[5] and b[5] ~= '') and 1 or 0,
  redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now - tonumber(ARGV[1])), '+inf'),
  redis.call('ZCOUNT', KEYS[2], '(' .. fmt(now), '+inf'),
  pausedMs > 0 and fmt(now + pausedMs) or '0', ok, fail,
}
