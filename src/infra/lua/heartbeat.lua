--[[
  heartbeat: extend a lease, only while the caller's fence is still current.

  Input:
    KEYS[1] active set
    ARGV[1] per-task key prefix
    ARGV[2] task id
    ARGV[3] fence held by the caller
    ARGV[4] new lease length, ms from now (server clock)
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    new expiry (server ms) on success; 0 when the lease is lost (stale fence,
    or the task is no longer active).
]]
-- includes: base
local taskKey = ARGV[1] .. 't:' .. ARGV[2]
local f = hmget(taskKey, 'state', 'fence')
if f[1] ~= 'active' or tonumber(f[2]) ~= tonumber(ARGV[3]) then return 0 end
local exp = nowMs() + tonumber(ARGV[4])
redis.call('HSET', taskKey, 'exp', fmt(exp))
redis.call('ZADD', KEYS[1], fmt(exp), ARGV[2])
return fmt(exp)
