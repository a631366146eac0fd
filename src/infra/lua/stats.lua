--[[
  stats: count tasks per state. Trims index entries of finished records that
  have passed their retention first, so the counts match what `get` can see.

  Input:
    KEYS[1] waiting set, short lane
    KEYS[2] waiting set, long lane
    KEYS[3] delayed set
    KEYS[4] active set
    KEYS[5] completed set
    KEYS[6] dead set
    ARGV[1] completed retention ms
    ARGV[2] dead retention ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (helpers.lua nowMs)

  Output:
    { waitingShort, waitingLong, delayed, active, completed, dead }
]]
local now = nowMs()
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. fmt(now - tonumber(ARGV[1])))
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. fmt(now - tonumber(ARGV[2])))
return {
  redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]), redis.call('ZCARD', KEYS[5]), redis.call('ZCARD', KEYS[6]),
}
