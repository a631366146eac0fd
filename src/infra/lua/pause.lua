--[[
  pause: stop claims on one lane. Waiting tasks stay where they are; leases
  already out run to their end (complete, fail and heartbeat ignore the pause).

  Input:
    KEYS[1] pause marker of the lane
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    1 when the lane was running and is now paused, 0 when it was already paused
    (the marker keeps its first time, so a replayed call changes nothing).
]]
-- includes: base
-- EXISTS then SET rather than SET NX: ioredis-mock answers a refused NX with a truthy null.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], fmt(nowMs()))
return 1
