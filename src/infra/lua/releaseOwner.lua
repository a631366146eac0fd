--[[
  releaseOwner: put the tasks leased by one owner (a worker known to be dead)
  back to waiting, without waiting for the leases to expire, one chunk of the
  active set per call. Each counts as a stall, like an expiry, so a task that
  kills its worker is bounded. TaskQueue.releaseOwner calls it in a loop, so one
  call's cost follows its chunk, never the size of the active set.

  Only entries scored at or before the cutoff are looked at: the highest lease
  expiry when the first call ran (it passes an empty cutoff and gets it back). A
  dead owner claims nothing new and heartbeats nothing, so all its leases are
  there; leases other workers take meanwhile do not make the sweep endless.

  Each call resumes after the last entry the previous one looked at (its score
  and id: includes/cursor.lua rankAfter), so entries removed meanwhile (this owner's, as
  they are requeued, or any other) never make it skip one.

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
    ARGV[6] owner
    ARGV[7] chunk size: active-set entries looked at by this call
    ARGV[8] score of the last entry the previous call looked at, '' on the first call
    ARGV[9] id of that entry
    ARGV[10] cutoff (lease expiry, server ms), or '' for the highest one now
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { released, deadLettered, looked at, cutoff, last score, last id }
    released: the owner's leases handled by this call, requeued or dead-lettered;
    last score and id: the cursor for the next call ('' when nothing was looked at).

  Events:
    PUBLISH <lane> on the wake channel for each lane that got tasks back.
]]
-- includes: base, recovery, cursor, wake
local prefix, owner, cutoff = ARGV[1], ARGV[6], ARGV[10]
local now = nowMs()
local keys = { active = KEYS[1], waitShort = KEYS[2], waitLong = KEYS[3], dead = KEYS[4] }
if cutoff == '' then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if not last[2] then return { 0, 0, 0, '', '', '' } end
  cutoff = last[2]
end
local entries = chunkAfter(KEYS[1], ARGV[8], ARGV[9], ARGV[7], cutoff)
local ids = {}
for i = 1, #entries, 2 do ids[#ids + 1] = entries[i] end
local requeued, dead, woke = recoverLeases(prefix, keys, ids, now, ARGV[3], ARGV[4], ARGV[5], 'worker died', owner)
for lane in pairs(woke) do publish(ARGV[2], lane) end
return { requeued + dead, dead, #ids, cutoff, entries[#entries] or '', entries[#entries - 1] or '' }
