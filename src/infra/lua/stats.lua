--[[
  stats: count tasks per state. Counts only finished records inside their
  retention (time and count), so the counts match what `get` can see. Completed
  records past it are reaped as a completion does (includes/reap.lua reapCompleted:
  record and index entry together, up to 200 per call); trimming only the index
  here would leave those records to Redis's lagging expiry. Up to 200 dead index
  entries past their retention are trimmed (includes/dead.lua trimDead).

  Input:
    KEYS[1] waiting set, short lane
    KEYS[2] waiting set, long lane
    KEYS[3] delayed set
    KEYS[4] active set
    KEYS[5] completed set
    KEYS[6] dead set
    KEYS[7] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] completed retention ms
    ARGV[2] dead retention ms
    ARGV[3] per-task key prefix
    ARGV[4] completed retention count: only the newest this many are kept
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { waitingShort, waitingLong, delayed, active, completed, dead }
]]
-- includes: base, reap, dead
local now = nowMs()
reapCompleted(ARGV[3], KEYS[5], now, ARGV[1], ARGV[4])
trimDead(KEYS[6], now, ARGV[2], REAP_MAX)
return {
  redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]), math.min(redis.call('ZCOUNT', KEYS[5], fmt(now - tonumber(ARGV[1])), '+inf'), tonumber(ARGV[4])),
  redis.call('ZCARD', KEYS[6]),
}
