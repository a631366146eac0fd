--[[
  fail: record a failed attempt. A retryable failure below maxAttempts becomes
  a durable delayed retry; otherwise the task is dead-lettered with its error.

  Input:
    KEYS[1] active set
    KEYS[2] delayed set
    KEYS[3] dead set
    KEYS[4] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] task id
    ARGV[4] fence held by the caller
    ARGV[5] error JSON
    ARGV[6] 1 retryable, 0 not
    ARGV[7] retry delay ms
    ARGV[8] dead retention ms
    ARGV[9] dedup window ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    0 stale (nothing written), 1 retrying, 2 dead

  Replay: the settle leaves its fence and outcome on the record (fields `sf`, `so`).
  A call that finds the task no longer active, still under its fence, and `sf` that
  fence, answers `so` again and writes nothing. Limits: once the task is claimed anew
  (a retry due at once), or its record is deleted (dead retention, a purge), the
  replay answers 0, like any stale fence.

  Events:
    PUBLISH 'delayed' on the wake channel when the retry is the earliest delayed task.
]]
-- includes: base, dead, settle, wake
local prefix, id = ARGV[1], ARGV[3]
local taskKey = prefix .. 't:' .. id
local f = hmget(taskKey, 'state', 'fence', 'att', 'max', 'sf', 'so')
local answer = settledAnswer(f[1], f[2], f[5], f[6], tonumber(ARGV[4]))
if answer then return answer end
local now = nowMs()
redis.call('ZREM', KEYS[1], id)
if ARGV[6] == '1' and tonumber(f[3]) < tonumber(f[4]) then
  local runAt = now + tonumber(ARGV[7])
  redis.call('HSET', taskKey, 'state', 'delayed', 'err', ARGV[5], 'run', fmt(runAt), 'sf', ARGV[4], 'so', '1')
  redis.call('HDEL', taskKey, 'owner', 'exp')
  redis.call('ZADD', KEYS[2], fmt(runAt), id)
  local first = redis.call('ZRANGE', KEYS[2], 0, 0)
  if first[1] == id then publish(ARGV[2], 'delayed') end
  return 1
end
deadLetter(prefix, KEYS[3], id, now, ARGV[5], ARGV[8], ARGV[9])
redis.call('HSET', taskKey, 'sf', ARGV[4], 'so', '2')
return 2
