--[[
  resume: let claims on one lane go on.

  Input:
    KEYS[1] pause marker of the lane
    ARGV[1] wake channel
    ARGV[2] lane name

  Output:
    1 when the lane was paused, 0 when it was running already.

  Events:
    PUBLISH 'resume:<lane>' on the wake channel, even when the lane was running:
    idle consumers of the lane claim at once, and a consumer that missed an earlier
    resume (its subscriber was reconnecting) gets another chance.
]]
-- includes: wake
local was = redis.call('DEL', KEYS[1])
publish(ARGV[1], 'resume:' .. ARGV[2])
return was
