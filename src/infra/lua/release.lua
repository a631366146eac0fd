--[[
  release: hand a leased task back unfinished (e.g. on graceful shutdown). The
  attempt is not counted and the task keeps its FIFO position. It is ready
  again from now (`rdy`), so the next claim's wait starts here.

  Input:
    KEYS[1] active set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] task id
    ARGV[4] fence held by the caller
    ARGV[last] host clock for ioredis-mock, empty for real Redis (helpers.lua nowMs)

  Output:
    1 released, 0 stale (nothing written)

  Events:
    PUBLISH <lane> on the wake channel.
]]
local prefix, id = ARGV[1], ARGV[3]
local taskKey = prefix .. 't:' .. id
local f = hmget(taskKey, 'state', 'fence', 'lane', 'pri', 'seq')
if f[1] ~= 'active' or tonumber(f[2]) ~= tonumber(ARGV[4]) then return 0 end
redis.call('ZREM', KEYS[1], id)
redis.call('HINCRBY', taskKey, 'att', -1)
redis.call('HSET', taskKey, 'state', 'waiting', 'rdy', fmt(nowMs()))
redis.call('HDEL', taskKey, 'owner', 'exp')
redis.call('ZADD', laneKey(f[3], KEYS[2], KEYS[3]), f[4], waitMember(f[5], id))
redis.call('PUBLISH', ARGV[2], f[3])
return 1
