--[[
  reap: one bounded step of the finished indexes' upkeep, for the time when no
  completion or dead letter comes to do it (complete.lua and deadLetter reap as
  they go). Deletes up to ARGV[5] completed records past their retention (older
  than ARGV[2], or beyond the newest ARGV[3]) with their index entries
  (includes/reap.lua reapCompleted), and trims up to as many dead-set entries past the
  dead retention (includes/dead.lua trimDead). TaskQueue.reap calls it until a call
  finds less than a full chunk of either.

  Input:
    KEYS[1] completed set
    KEYS[2] dead set
    KEYS[3] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] completed retention ms
    ARGV[3] completed retention count: only the newest this many are kept
    ARGV[4] dead retention ms
    ARGV[5] chunk size: at most this many entries of each set per call
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { completed entries removed, dead entries removed }
]]
-- includes: base, reap, dead
local now = nowMs()
local limit = tonumber(ARGV[5])
return { reapCompleted(ARGV[1], KEYS[1], now, ARGV[2], ARGV[3], limit), trimDead(KEYS[2], now, ARGV[4], limit) }
