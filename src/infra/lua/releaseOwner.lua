--[[
  releaseOwner: put every task leased by one owner (a worker known to be dead)
  back to waiting at once, without waiting for the leases to expire. Each counts
  as a stall, like an expiry, so a task that kills its worker is bounded.

  Input:
    KEYS[1] active set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] dead set
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] max stalls
    ARGV[4] dead retention ms
    ARGV[5] dedup window ms
    ARGV[6] owner
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { requeued, deadLettered }

  Events:
    PUBLISH <lane> on the wake channel for each lane that got tasks back.
]]
-- includes: base, recovery
local prefix, owner = ARGV[1], ARGV[6]
local now = nowMs()
local keys = { active = KEYS[1], waitShort = KEYS[2], waitLong = KEYS[3], dead = KEYS[4] }
-- The active set holds only leased tasks (bounded by total consumer capacity), so a scan is cheap.
local active = redis.call('ZRANGE', KEYS[1], 0, -1)
local requeued, dead = 0, 0
local woke = {}
for _, id in ipairs(active) do
  local f = hmget(prefix .. 't:' .. id, 'state', 'owner', 'lane')
  if f[1] == 'active' and f[2] == owner then
    if requeueLost(prefix, keys, id, now, ARGV[3], ARGV[4], ARGV[5], 'worker died') == 'dead' then
      dead = dead + 1
    else
      requeued = requeued + 1
      woke[f[3]] = true
    end
  end
end
for lane in pairs(woke) do redis.call('PUBLISH', ARGV[2], lane) end
return { requeued, dead }
