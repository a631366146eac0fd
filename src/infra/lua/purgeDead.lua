--[[
  purgeDead: delete a dead letter's record. The id stays known for the dedup
  window counted from the purge (its marker is renewed here: the one set when it
  died may be about to expire), so a purged task is not accidentally re-run by a
  repeated enqueue.

  Input:
    KEYS[1] dead set
    KEYS[2] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] task id
    ARGV[3] dedup window ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    1 purged, 0 not a dead letter
]]
-- includes: base, batch, records
local f = hmget(ARGV[1] .. 't:' .. ARGV[2], 'state', 'pk', 'rk')
local state = f[1]
if state ~= 'dead' then
  -- Drop a stale index entry whose record has expired.
  if not state then redis.call('ZREM', KEYS[1], ARGV[2]) end
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[2])
delMany(recordKeys({}, ARGV[1], ARGV[2], f[2], f[3]))
rememberId(ARGV[1], ARGV[2], ARGV[3])
return 1
