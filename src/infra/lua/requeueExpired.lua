--[[
  requeueExpired: put tasks whose lease has lapsed back to waiting (or into the
  dead letters once they have stalled more than maxStalls times). Safe to run
  from any number of hosts at once.

  Input:
    KEYS[1] active set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] dead set
    KEYS[5] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] max stalls
    ARGV[4] dead retention ms
    ARGV[5] dedup window ms
    ARGV[6] max tasks to handle in this call
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { requeued, deadLettered }

  Events:
    PUBLISH <lane> on the wake channel for each lane that got tasks back.
]]
-- includes: base, recovery, wake
local prefix = ARGV[1]
local now = nowMs()
local keys = { active = KEYS[1], waitShort = KEYS[2], waitLong = KEYS[3], dead = KEYS[4] }
-- Index entries without an active record (expired or deleted) are dropped (includes/recovery.lua recoverLeases).
local requeued, dead, woke = requeueExpiredLeases(prefix, keys, now, ARGV[6], ARGV[3], ARGV[4], ARGV[5])
for lane in pairs(woke) do publish(ARGV[2], lane) end
return { requeued, dead }
