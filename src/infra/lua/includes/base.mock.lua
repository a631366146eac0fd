--[[
  base for ioredis-mock: the workarounds for fengari and for the mock's clock.
]]
-- Milliseconds from the server's own clock, so leases never depend on a
-- client's. The last ARGV of every script is empty for a real server. For
-- ioredis-mock it carries the host's clock: the mock's TIME answers rounded
-- seconds with unrelated microseconds, and the mock *is* the host process, so
-- the host clock is its server clock (it expires keys by it too).
local function nowMs()
  local hostClock = ARGV[#ARGV]
  if hostClock ~= '' then return tonumber(hostClock) + 0.0 end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000.0 + math.floor(tonumber(t[2]) / 1000.0)
end

-- ioredis-mock (fengari) returns a table as an array only if its keys were
-- inserted last to first; a table filled by a loop must be copied this way.
-- Real Redis is indifferent. Apply to every table a script returns.
local function reply(t)
  local r = {}
  for i = #t, 1, -1 do r[i] = t[i] end
  return r
end

-- HMGET with every missing field as false, as real Redis gives it. ioredis-mock gives a
-- null userdata instead, which is truthy: `not f[i]` and `f[i] or default` would then
-- take a missing field for a present one.
local function hmget(key, ...)
  local f = redis.call('HMGET', key, ...)
  for i = 1, select('#', ...) do
    if type(f[i]) ~= 'string' then f[i] = false end
  end
  return f
end
