--[[
  retryDeadMany: replay one chunk of the dead letters, oldest first, like
  retryDead does for one: back to waiting at its priority, at the back of the
  FIFO, with attempts and stalls reset, ready from now (`rdy`).
  TaskQueue.retryAllDead calls it in a loop, so one call never blocks Redis for
  long however big the dead set is.

  Only dead letters that died at or before the cutoff are taken. The first call
  passes an empty cutoff and gets the server's now back; later calls pass it
  on. Without it a task that dies again at once (a worker is running) would be
  replayed again by the same retryAllDead, which could then never finish.

  Each call resumes after the last entry the previous one looked at (its score
  and id: includes/cursor.lua rankAfter), so entries removed meanwhile never make it
  skip a dead letter.

  Input:
    KEYS[1] dead set
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] sequence counter
    KEYS[5] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] chunk size: dead-set entries looked at by this call
    ARGV[4] score of the last entry the previous call looked at, '' on the first call
    ARGV[5] id of that entry
    ARGV[6] cutoff (dead-set score, ms), or '' for the server's now
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { replayed, skipped, looked at, cutoff, last score, last id }
    skipped: records in another state or corrupt; they stay in the dead set.
    Entries whose record has expired are dropped from the dead set and counted
    in neither. last score and id: the cursor for the next call ('' when
    nothing was looked at).

  Events:
    PUBLISH <lane> on the wake channel, once per lane that got tasks.
]]
-- includes: base, batch, cursor, dead, wake
local prefix, cutoff = ARGV[1], ARGV[6]
local nowStr = fmt(nowMs())
if cutoff == '' then cutoff = nowStr end
local entries = chunkAfter(KEYS[1], ARGV[4], ARGV[5], ARGV[3], cutoff)
-- (A count, not #entries / 2: that is a float on ioredis-mock's Lua 5.3.)
local looked = 0
local drop, byLane = {}, { short = {}, long = {} }
local replayed, skipped = 0, 0
for i = 1, #entries, 2 do
  local id = entries[i]
  looked = looked + 1
  local lane, pri, member = replayDead(prefix, id, KEYS[4], nowStr)
  if lane == 'stale' then
    drop[#drop + 1] = id
  elseif lane == 'skipped' then
    skipped = skipped + 1
  else
    drop[#drop + 1] = id
    local scored = byLane[lane]
    scored[#scored + 1] = pri
    scored[#scored + 1] = member
    replayed = replayed + 1
  end
end
zremMany(KEYS[1], drop)
zaddMany(KEYS[2], byLane.short)
zaddMany(KEYS[3], byLane.long)
if #byLane.short > 0 then publish(ARGV[2], 'short') end
if #byLane.long > 0 then publish(ARGV[2], 'long') end
return { replayed, skipped, looked, cutoff, entries[#entries] or '', entries[#entries - 1] or '' }
