--[[
  purgeDeadMany: delete one chunk of the dead letters, oldest first, like
  purgeDead does for one. Their ids stay known for the dedup window counted from
  the purge (their markers are renewed here). TaskQueue.purgeAllDead calls it in a loop, so one
  call never blocks Redis for long however big the dead set is.

  Only dead letters that died at or before the cutoff are taken, so a purge
  that runs while tasks keep dying still ends. The first call passes an empty
  cutoff and gets the server's now back; later calls pass it on.

  Each call resumes after the last entry the previous one looked at (its score
  and id: includes/cursor.lua rankAfter), so entries removed meanwhile never make it
  skip a dead letter.

  Input:
    KEYS[1] dead set
    KEYS[2] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] chunk size: dead-set entries looked at by this call
    ARGV[3] score of the last entry the previous call looked at, '' on the first call
    ARGV[4] id of that entry
    ARGV[5] cutoff (dead-set score, ms), or '' for the server's now
    ARGV[6] dedup window ms
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { purged, skipped, looked at, cutoff, last score, last id }
    skipped: records in another state; they stay in the dead set. Entries whose
    record has expired are dropped from the dead set and counted in neither.
    last score and id: the cursor for the next call ('' when nothing was
    looked at).
]]
-- includes: base, batch, cursor, records
local prefix, cutoff = ARGV[1], ARGV[5]
if cutoff == '' then cutoff = fmt(nowMs()) end
local entries = chunkAfter(KEYS[1], ARGV[3], ARGV[4], ARGV[2], cutoff)
-- (A count, not #entries / 2: that is a float on ioredis-mock's Lua 5.3.)
local looked = 0
local drop, taskKeys = {}, {}
local skipped, purged = 0, 0
for i = 1, #entries, 2 do
  local id = entries[i]
  looked = looked + 1
  local f = hmget(prefix .. 't:' .. id, 'state', 'pk', 'rk')
  local state = f[1]
  if state == 'dead' then
    drop[#drop + 1] = id
    purged = purged + 1
    recordKeys(taskKeys, prefix, id, f[2], f[3])
    rememberId(prefix, id, ARGV[6])
  elseif type(state) ~= 'string' then
    -- A stale index entry whose record has expired.
    drop[#drop + 1] = id
  else
    skipped = skipped + 1
  end
end
zremMany(KEYS[1], drop)
delMany(taskKeys)
return { purged, skipped, looked, cutoff, entries[#entries] or '', entries[#entries - 1] or '' }
