--[[
  purgeDead: delete a dead letter's record. The id stays known for the dedup
  window, so a purged task is not accidentally re-run by a repeated enqueue.

  Input:
    KEYS[1] dead set
    ARGV[1] per-task key prefix
    ARGV[2] task id
    ARGV[last] host clock for ioredis-mock, empty for real Redis (helpers.lua nowMs)

  Output:
    1 purged, 0 not a dead letter
]]
local taskKey = ARGV[1] .. 't:' .. ARGV[2]
local state = redis.call('HGET', taskKey, 'state')
if state ~= 'dead' then
  -- Drop a stale index entry whose record has expired.
  if not state then redis.call('ZREM', KEYS[1], ARGV[2]) end
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('DEL', taskKey)
return 1
