--[[
  apiSettle: report how a guarded call went, and give its permit back. Feeds the
  shared circuit breaker and the 429 pause.

  Input:
    KEYS[1] permits in flight (sorted set: permit id → lease expiry)
    KEYS[2] breaker (hash: state, until, cooldown, probe, probeExp, forced, openedAt)
    KEYS[3] outcome window (hash: '<bucket>:ok' / '<bucket>:fail' → count)
    KEYS[4] failing reporters (sorted set: reporter → last failure, server ms)
    KEYS[5] callers (sorted set: reporter → last call, server ms)
    KEYS[6] pause (string; its TTL is the pause after a 429)
    ARGV[1] permit id
    ARGV[2] outcome: 'ok' (the API answered), 'fail' (5xx, timeout, network error),
            'throttled' (429), 'neutral' (aborted before an answer: says nothing)
    ARGV[3] reporter: the host, so one host's local fault cannot open the breaker
    ARGV[4] with 'throttled': pause every worker this long, ms (0: none)
    ARGV[5] breaker window, ms (0: breaker off)
    ARGV[6] minimum calls before the breaker may open: the ratio is measured over the
            newest buckets that together hold at least this many calls
    ARGV[7] failure ratio that opens it (0 < r ≤ 1)
    ARGV[8] first cooldown, ms
    ARGV[9] cooldown cap, ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output: { state, until }
    state  'closed', 'open' (until: when a probe may go), or 'replayed' (the permit was
           already settled or had expired: nothing is counted twice)
]]
-- includes: base
local permit, outcome, reporter = ARGV[1], ARGV[2], ARGV[3]
local pauseMs, windowMs, minCalls = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ratio, baseCooldown, maxCooldown = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local now = nowMs()
-- Twenty buckets make the rolling window; a bucket's counts leave it whole.
local BUCKETS = 20

if outcome == 'throttled' and pauseMs > 0 and redis.call('PTTL', KEYS[6]) < pauseMs then
  redis.call('SET', KEYS[6], fmt(now + pauseMs), 'PX', fmt(pauseMs))
end

local removed = redis.call('ZREM', KEYS[1], permit)
local b = hmget(KEYS[2], 'state', 'until', 'cooldown', 'probe', 'forced')
local state = b[1] or 'closed'

if b[4] == permit then
  -- The trial call after a cooldown decides alone: an answer closes the breaker, a
  -- failure opens it again for twice as long (up to the cap).
  if outcome == 'fail' then
    local cooldown = math.min(math.max(tonumber(b[3]) or baseCooldown, baseCooldown) * 2, maxCooldown)
    redis.call('HSET', KEYS[2], 'state', 'open', 'until', fmt(now + cooldown), 'cooldown', fmt(cooldown), 'probe', '', 'probeExp', '0')
    return { 'open', fmt(now + cooldown) }
  elseif outcome ~= 'neutral' then
    redis.call('HSET', KEYS[2], 'state', 'closed', 'until', '0', 'cooldown', fmt(baseCooldown), 'probe', '', 'probeExp', '0')
    redis.call('DEL', KEYS[3], KEYS[4])
    return { 'closed', '0' }
  end
  -- An aborted probe says nothing: free the probe for another worker at once.
  redis.call('HSET', KEYS[2], 'probe', '', 'probeExp', '0')
  return { state, b[2] or '0' }
end
if removed == 0 then return { 'replayed', b[2] or '0' } end
if windowMs <= 0 or (outcome ~= 'ok' and outcome ~= 'fail') then return { state, b[2] or '0' } end

local bucketMs = windowMs / BUCKETS
local bucket = math.floor(now / bucketMs)
redis.call('HINCRBY', KEYS[3], fmt(bucket) .. ':' .. outcome, 1)
redis.call('PEXPIRE', KEYS[3], fmt(windowMs * 2))
redis.call('ZADD', KEYS[5], fmt(now), reporter)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', fmt(now - windowMs))
redis.call('PEXPIRE', KEYS[5], fmt(windowMs * 2))
if outcome ~= 'fail' then return { state, b[2] or '0' } end

redis.call('ZADD', KEYS[4], fmt(now), reporter)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', fmt(now - windowMs))
redis.call('PEXPIRE', KEYS[4], fmt(windowMs * 2))
if state == 'open' or b[5] == 'closed' then return { state, b[2] or '0' } end

-- At most 2 × (BUCKETS + 1) fields: older buckets are dropped as they are passed.
local oks, fails = {}, {}
local fields = redis.call('HGETALL', KEYS[3])
for i = 1, #fields, 2 do
  local sep = string.find(fields[i], ':', 1, true)
  local at = tonumber(string.sub(fields[i], 1, sep - 1))
  if at <= bucket - BUCKETS then
    redis.call('HDEL', KEYS[3], fields[i])
  elseif string.sub(fields[i], sep + 1) == 'fail' then
    fails[bucket - at] = tonumber(fields[i + 1])
  else
    oks[bucket - at] = tonumber(fields[i + 1])
  end
end
-- The ratio is that of the newest calls: the newest buckets that together hold minCalls
-- calls (or the whole window). A busy window's successes from before an outage would
-- otherwise keep it closed while hundreds of calls fail.
local ok, fail, tripped = 0, 0, false
for age = 0, BUCKETS - 1 do
  ok, fail = ok + (oks[age] or 0), fail + (fails[age] or 0)
  if ok + fail >= minCalls then
    tripped = fail >= ratio * (ok + fail)
    break
  end
end
-- One host alone may open it only when it is the only host calling: a host with a
-- local network fault must not stop every other host.
local reporters = redis.call('ZCARD', KEYS[4])
local callers = redis.call('ZCARD', KEYS[5])
if tripped and reporters >= math.min(2, callers) then
  redis.call('HSET', KEYS[2], 'state', 'open', 'until', fmt(now + baseCooldown), 'cooldown', fmt(baseCooldown),
    'probe', '', 'probeExp', '0', 'openedAt', fmt(now))
  redis.call('DEL', KEYS[3], KEYS[4])
  return { 'open', fmt(now + baseCooldown) }
end
return { state, b[2] or '0' }
