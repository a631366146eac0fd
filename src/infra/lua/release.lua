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
    KEYS[5] slot guard: a key never written (keys.ts slotGuard)
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
    1 released, 0 stale (nothing written),
    2 the throttle count would pass the cap (nothing written; the task stays leased)

  Replay: a release leaves its fence and outcome on the record (fields `sf`, `so`,
  as fail does). A call that finds the task no longer active, still under its fence,
  and `sf` that fence, answers `so` again and writes nothing (no second 429 counted).
  A capped call writes nothing, so its replay computes the same 2. Limits: once the
  task is claimed anew, or its record is deleted, the replay answers 0.

  Events:
    PUBLISH <lane> on the wake channel (no delay), or 'delayed' when the parked task
    is the earliest delayed one.
]]
-- includes: base, waiting, settle, wake
local prefix, id = ARGV[1], ARGV[3]
local taskKey = prefix .. 't:' .. id
local f = hmget(taskKey, 'state', 'fence', 'lane', 'pri', 'seq', 'sf', 'so')
local delay = tonumber(ARGV[5]) or 0
local answer = settledAnswer(f[1], f[2], f[6], f[7], tonumber(ARGV[4]))
if answer then return answer end
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
  redis.call('HSET', taskKey, 'state', 'delayed', 'run', fmt(runAt), 'sf', ARGV[4], 'so', '1')
  redis.call('ZADD', KEYS[4], fmt(runAt), id)
  local first = redis.call('ZRANGE', KEYS[4], 0, 0)
  if first[1] == id then publish(ARGV[2], 'delayed') end
  return 1
end
redis.call('HSET', taskKey, 'state', 'waiting', 'rdy', fmt(nowMs()), 'sf', ARGV[4], 'so', '1')
redis.call('ZADD', laneKey(f[3], KEYS[2], KEYS[3]), f[4], waitMember(f[5], id))
publish(ARGV[2], f[3])
return 1
