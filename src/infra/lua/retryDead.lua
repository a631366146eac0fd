--[[
  retryDead: replay a dead letter. It goes back to waiting at its priority, at
  the back of the FIFO, with attempts and stalls reset, ready from now (`rdy`).
  Its last error is kept until it finishes again.

  Input:
    KEYS[1] dead set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] sequence counter
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] task id
    ARGV[last] host clock for ioredis-mock, empty for real Redis (helpers.lua nowMs)

  Output:
    1 replayed, 0 not a dead letter (unknown, expired or in another state)

  Events:
    PUBLISH <lane> on the wake channel.
]]
local prefix, id = ARGV[1], ARGV[3]
local taskKey = prefix .. 't:' .. id
local f = hmget(taskKey, 'state', 'lane', 'pri', 'payload')
if f[1] ~= 'dead' then
  -- Drop a stale index entry whose record has expired.
  if not f[1] then redis.call('ZREM', KEYS[1], id) end
  return 0
end
if (f[2] ~= 'short' and f[2] ~= 'long') or tonumber(f[3]) == nil or not f[4] then
  -- A dead letter made from a corrupt record cannot run; it stays where it is.
  return 0
end
local seqStr = nextSeq(KEYS[4])
redis.call('ZREM', KEYS[1], id)
redis.call('PERSIST', taskKey)
redis.call('HSET', taskKey, 'state', 'waiting', 'att', '0', 'stalls', '0', 'seq', seqStr, 'rdy', fmt(nowMs()))
redis.call('HDEL', taskKey, 'ft')
redis.call('ZADD', laneKey(f[2], KEYS[2], KEYS[3]), f[3], waitMember(seqStr, id))
redis.call('PUBLISH', ARGV[2], f[2])
return 1
