--[[
  heartbeat: extend a lease, only while the caller's fence is still current.

  Input:
    KEYS[1] active set
    KEYS[2] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] task id
    ARGV[3] fence held by the caller
    ARGV[4] new lease length, ms from now (server clock)
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    new expiry (server ms) on success; 0 when the lease is lost (stale fence,
    or the task is no longer active).

  Replay: commands on one connection run in order, so a heartbeat that finds its
  lease settled by its own fence (completed under it, or `sf` of fail/release) and
  not claimed since ran before that settle the first time, while the lease was held:
  it succeeded, and answers the record's expiry (`exp`, else now + the lease length)
  without writing. Limits: once the task is claimed anew, or its record is deleted,
  the replay answers 0.
]]
-- includes: base
local taskKey = ARGV[1] .. 't:' .. ARGV[2]
local f = hmget(taskKey, 'state', 'fence', 'sf', 'exp')
local fence = tonumber(ARGV[3])
if tonumber(f[2]) ~= fence then return 0 end
if f[1] ~= 'active' then
  if f[1] == 'completed' or tonumber(f[3]) == fence then return f[4] or fmt(nowMs() + tonumber(ARGV[4])) end
  return 0
end
local exp = nowMs() + tonumber(ARGV[4])
redis.call('HSET', taskKey, 'exp', fmt(exp))
redis.call('ZADD', KEYS[1], fmt(exp), ARGV[2])
return fmt(exp)
