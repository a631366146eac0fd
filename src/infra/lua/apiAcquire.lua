--[[
  apiAcquire: up to N permits to call a guarded external API, shared by every worker
  of the queue: the 429 pause, the circuit breaker, a sliding-window rate limit and
  a concurrency cap, checked in that order.

  Input:
    KEYS[1] calls log (sorted set: permit id → call time, server ms)
    KEYS[2] permits in flight (sorted set: permit id → lease expiry, server ms)
    KEYS[3] breaker (hash: state, until, cooldown, probe, probeExp, forced)
    KEYS[4] pause (string; its TTL is the pause after a 429)
    ARGV[1] request id: permits are named '<rid>:<i>', so a replay finds its own
    ARGV[2] permits wanted (≥ 1)
    ARGV[3] rate: calls allowed per period (0: no rate limit)
    ARGV[4] period, ms
    ARGV[5] in-flight cap (0: none)
    ARGV[6] permit lease, ms (a crashed worker's permits come back after it)
    ARGV[7] probe lease, ms (a hung probe is a failed probe after it)
    ARGV[8] breaker cooldown cap, ms (a failed probe doubles the cooldown up to it)
    ARGV[9] burst: calls allowed in any twentieth of the period (0: no smoothing)
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output: { granted, waitUntil, reason, now }
    granted    permits granted, named '<rid>:1' … '<rid>:<granted>'
    waitUntil  with 0 granted: server ms before which asking again is pointless
    reason     'ok', 'probe' (one permit: the breaker's trial call), 'paused',
               'open' (breaker), 'probing' (another worker holds the probe),
               'rate', 'inflight'
    now        the server's clock, so the caller can turn waitUntil into a delay
]]
-- includes: base
local rid, wanted = ARGV[1], tonumber(ARGV[2])
local rate, period = tonumber(ARGV[3]), tonumber(ARGV[4])
local cap, leaseMs, probeMs, maxCooldown = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local now = nowMs()

-- ZSCORE of a missing member: false on Redis, a truthy null on ioredis-mock.
local function held(id)
  local score = redis.call('ZSCORE', KEYS[2], id)
  return type(score) == 'string' or type(score) == 'number'
end

-- A replay (the reply to the first run was lost) gets the permits the first run granted.
if held(rid .. ':1') then
  local granted = 1
  while granted < wanted and held(rid .. ':' .. (granted + 1)) do granted = granted + 1 end
  local b = hmget(KEYS[3], 'probe')
  return { granted, 0, b[1] == rid .. ':1' and 'probe' or 'ok', fmt(now) }
end

local pausedMs = redis.call('PTTL', KEYS[4])
if pausedMs > 0 then return { 0, fmt(now + pausedMs), 'paused', fmt(now) } end

local function grant(count, expiry)
  for i = 1, count do
    local id = rid .. ':' .. i
    if rate > 0 then redis.call('ZADD', KEYS[1], fmt(now), id) end
    redis.call('ZADD', KEYS[2], fmt(expiry), id)
  end
  if rate > 0 then redis.call('PEXPIRE', KEYS[1], fmt(period + 1000)) end
  redis.call('PEXPIRE', KEYS[2], fmt(math.max(leaseMs, probeMs) * 2))
end

local b = hmget(KEYS[3], 'state', 'until', 'cooldown', 'probe', 'probeExp', 'forced')
if b[6] == 'open' then return { 0, fmt(now + 5000), 'open', fmt(now) } end
if b[6] ~= 'closed' and b[1] == 'open' then
  local untilMs = tonumber(b[2]) or 0
  if now < untilMs then return { 0, fmt(untilMs), 'open', fmt(now) } end
  local probeExp = tonumber(b[5]) or 0
  if b[4] and b[4] ~= '' then
    if probeExp > now then return { 0, fmt(probeExp), 'probing', fmt(now) } end
    -- The probe never reported within its lease: a failed probe.
    local cooldown = math.min((tonumber(b[3]) or 1000) * 2, maxCooldown)
    redis.call('HSET', KEYS[3], 'until', fmt(now + cooldown), 'cooldown', fmt(cooldown), 'probe', '', 'probeExp', '0')
    return { 0, fmt(now + cooldown), 'open', fmt(now) }
  end
  -- Cooldown over: exactly one worker in the cluster gets the trial call.
  redis.call('HSET', KEYS[3], 'probe', rid .. ':1', 'probeExp', fmt(now + probeMs))
  grant(1, now + probeMs)
  return { 1, 0, 'probe', fmt(now) }
end

local granted = wanted
if rate > 0 then
  -- The log holds the calls of the last period only, so it never grows past `rate` entries.
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - period))
  granted = math.min(granted, rate - redis.call('ZCARD', KEYS[1]))
  if granted <= 0 then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return { 0, fmt(tonumber(oldest[2]) + period), 'rate', fmt(now) }
  end
  -- Smoothing: at most `burst` calls in any twentieth of the period. A whole period's
  -- calls sent at once arrive spread by the network and the API's own queue, and an API
  -- counting arrivals would then see two periods' bursts in one of its windows.
  local slice, burst = period / 20.0, tonumber(ARGV[9]) or 0
  local recent = burst > 0 and redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. fmt(now - slice), '+inf', 'WITHSCORES', 'LIMIT', 0, burst) or {}
  if burst > 0 then granted = math.min(granted, burst - #recent / 2) end
  if granted <= 0 then
    return { 0, fmt(tonumber(recent[2]) + slice), 'rate', fmt(now) }
  end
end
-- Expired permits belong to workers that died or hung; they no longer count.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', fmt(now))
if cap > 0 then
  granted = math.min(granted, cap - redis.call('ZCARD', KEYS[2]))
  if granted <= 0 then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return { 0, fmt(tonumber(first[2])), 'inflight', fmt(now) }
  end
end
grant(granted, now + leaseMs)
return { granted, 0, 'ok', fmt(now) }
