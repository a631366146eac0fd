--[[
  release: hand a leased task back unfinished (e.g. on graceful shutdown). The
  attempt is not counted. Without a delay the task keeps its FIFO position and is
  ready again from now (`rdy`), so the next claim's wait starts here. With a delay
  (a task parked because no running worker handles its type) it goes to the delayed
  set like a retry, still uncounted, and rejoins its lane at its priority when due.

  Input:
    KEYS[1] active set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] delayed set
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] task id
    ARGV[4] fence held by the caller
    ARGV[5] delay ms, 0 for none
    ARGV[6] 429s to add to the task's throttle count (field `thr`), 0 for none
    ARGV[7] throttle cap: past it nothing is written and 2 is returned, so the caller
            dead-letters the task instead (0: no cap)
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    1 released (with a delay, also when a replay finds it parked already with this fence),
    0 stale (nothing written),
    2 the throttle count would pass the cap (nothing written; the task stays leased)

  Events:
    PUBLISH <lane> on the wake channel (no delay), or 'delayed' when the parked task
    is the earliest delayed one.
]]
-- includes: base, waiting
local prefix, id = ARGV[1], ARGV[3]
local taskKey = prefix .. 't:' .. id
local f = hmget(taskKey, 'state', 'fence', 'lane', 'pri', 'seq', 'owner')
local delay = tonumber(ARGV[5]) or 0
if tonumber(f[2]) ~= tonumber(ARGV[4]) then return 0 end
-- A replayed park (its reply was lost) finds the task delayed with the same fence and no owner.
-- Only this caller could have put it there: a lapsed lease is requeued to waiting, not delayed,
-- and a retry is the same holder's fail(). (Without a delay a replay stays 0, as it always was:
-- waiting with this fence may equally mean the lease lapsed and was requeued.)
if delay > 0 and f[1] == 'delayed' and not f[6] then return 1 end
if f[1] ~= 'active' then return 0 end
local throttles, cap = tonumber(ARGV[6]) or 0, tonumber(ARGV[7]) or 0
if throttles > 0 then
  local count = (tonumber(redis.call('HGET', taskKey, 'thr')) or 0) + throttles
  if cap > 0 and count > cap then return 2 end
  redis.call('HSET', taskKey, 'thr', count)
end
redis.call('ZREM', KEYS[1], id)
redis.call('HINCRBY', taskKey, 'att', -1)
redis.call('HDEL', taskKey, 'owner', 'exp')
if delay > 0 then
  local runAt = nowMs() + delay
  redis.call('HSET', taskKey, 'state', 'delayed', 'run', fmt(runAt))
  redis.call('ZADD', KEYS[4], fmt(runAt), id)
  local first = redis.call('ZRANGE', KEYS[4], 0, 0)
  if first[1] == id then redis.call('PUBLISH', ARGV[2], 'delayed') end
  return 1
end
redis.call('HSET', taskKey, 'state', 'waiting', 'rdy', fmt(nowMs()))
redis.call('ZADD', laneKey(f[3], KEYS[2], KEYS[3]), f[4], waitMember(f[5], id))
redis.call('PUBLISH', ARGV[2], f[3])
return 1
