--[[
  cancel: withdraw a task that has not started (waiting or delayed). Its record
  stays, in state `cancelled`, for the completed retention; its id stays known
  for the dedup window.

  Input:
    KEYS[1] waiting set, short lane
    KEYS[2] waiting set, long lane
    KEYS[3] delayed set
    KEYS[4] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] task id
    ARGV[3] completed retention ms
    ARGV[4] dedup window ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    1 cancelled, 0 not cancellable (unknown, active or already finished)
]]
-- includes: base, waiting, records
local prefix, id = ARGV[1], ARGV[2]
local taskKey = prefix .. 't:' .. id
local f = hmget(taskKey, 'state', 'lane', 'seq', 'pk')
if f[1] == 'waiting' then
  redis.call('ZREM', laneKey(f[2], KEYS[1], KEYS[2]), waitMember(f[3], id))
elseif f[1] == 'delayed' then
  redis.call('ZREM', KEYS[3], id)
else
  return 0
end
redis.call('HSET', taskKey, 'state', 'cancelled', 'ft', fmt(nowMs()))
expireRecord(prefix, id, ARGV[3], f[4])
rememberId(prefix, id, ARGV[4])
return 1
