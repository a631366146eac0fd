--[[
  apiForce: an operator holds the circuit breaker open or closed, or hands it back.

  Input:
    KEYS[1] breaker (hash)
    KEYS[2] outcome window (hash)
    KEYS[3] failing reporters (sorted set)
    ARGV[1] 'open' (no calls until released), 'closed' (failures never open it), or
            'auto' (back to the measured state, starting closed with a clean window)
    ARGV[2] first cooldown, ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output: the mode now in force ('open', 'closed' or 'auto').
]]
-- includes:
local mode = ARGV[1]
if mode == 'auto' then
  redis.call('HSET', KEYS[1], 'forced', '', 'state', 'closed', 'until', '0', 'cooldown', ARGV[2], 'probe', '', 'probeExp', '0')
  redis.call('DEL', KEYS[2], KEYS[3])
else
  redis.call('HSET', KEYS[1], 'forced', mode)
end
return mode
