--[[
  purgeDeadMany: delete one chunk of the dead letters, oldest first, like
  purgeDead does for one. Their ids stay known for the dedup window (the marker
  was set when they died). TaskQueue.purgeAllDead calls it in a loop, so one
  call never blocks Redis for long however big the dead set is.

  Only dead letters that died at or before the cutoff are taken, so a purge
  that runs while tasks keep dying still ends. The first call passes an empty
  cutoff and gets the server's now back; later calls pass it on.

  Input:
    KEYS[1] dead set
    ARGV[1] per-task key prefix
    ARGV[2] chunk size: dead-set entries looked at by this call
    ARGV[3] offset: entries before the cutoff that earlier calls skipped
    ARGV[4] cutoff (dead-set score, ms), or '' for the server's now
    ARGV[last] host clock for ioredis-mock, empty for real Redis (helpers.lua nowMs)

  Output:
    { purged, skipped, looked at, cutoff }
    skipped: records in another state; they stay in the dead set and the caller
    adds them to its offset. Entries whose record has expired are dropped from
    the dead set and counted in neither.
]]
local prefix, cutoff = ARGV[1], ARGV[4]
if cutoff == '' then cutoff = fmt(nowMs()) end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff, 'LIMIT', tonumber(ARGV[3]), tonumber(ARGV[2]))
local drop, taskKeys = {}, {}
local skipped = 0
for _, id in ipairs(ids) do
  local taskKey = prefix .. 't:' .. id
  local state = redis.call('HGET', taskKey, 'state')
  if state == 'dead' then
    drop[#drop + 1] = id
    taskKeys[#taskKeys + 1] = taskKey
  elseif not state then
    -- A stale index entry whose record has expired.
    drop[#drop + 1] = id
  else
    skipped = skipped + 1
  end
end
zremMany(KEYS[1], drop)
for i = 1, #taskKeys, BATCH do
  redis.call('DEL', unpackArgs(taskKeys, i, math.min(i + BATCH - 1, #taskKeys)))
end
return { #taskKeys, skipped, #ids, cutoff }
