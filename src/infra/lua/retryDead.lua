--[[
  retryDead: replay a dead letter. It goes back to waiting at its priority, at
  the back of the FIFO, with attempts and stalls reset, ready from now (`rdy`).
  Its last error is kept until it finishes again.

  Input:
    KEYS[1] dead set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] sequence counter
    KEYS[5] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] task id
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    1 replayed, 0 not a dead letter (unknown, expired or in another state)

  Events:
    PUBLISH <lane> on the wake channel.
]]
-- includes: base, waiting, dead, wake
local id = ARGV[3]
local lane, pri, member = replayDead(ARGV[1], id, KEYS[4], fmt(nowMs()))
if lane == 'stale' then redis.call('ZREM', KEYS[1], id) end
if lane == 'stale' or lane == 'skipped' then return 0 end
redis.call('ZREM', KEYS[1], id)
redis.call('ZADD', laneKey(lane, KEYS[2], KEYS[3]), pri, member)
publish(ARGV[2], lane)
return 1
