--[[
  Reaping of completed records past their retention (complete, stats).
]]
-- includes: base, batch, records

-- Completed records past their retention are deleted here, not only by their own
-- PEXPIRE: Redis frees expired keys by sampling, and at thousands of completions a
-- second it falls behind, so its memory would follow throughput instead of the
-- window. Past the retention means older than `retentionMs`, or (with `maxKept`)
-- older than the newest `maxKept` entries; either way the oldest entries of the
-- index. A record is deleted only while it is still the one indexed: once it and its
-- dedup marker have expired, a new task may reuse the id.
-- At most `limit` entries per call (REAP_MAX by default), so a call's cost follows its
-- batch, never the index's size. A completion passes twice its batch (complete.lua), so
-- every call removes more than it adds: under load the index never falls behind, and a
-- burst's backlog shrinks with each call. When completions stop, the runtime's periodic
-- reap (reap.lua) takes over. Returns how many index entries were removed.
local REAP_MAX = 200
local function reapCompleted(prefix, completedKey, now, retentionMs, maxKept, limit)
  limit = limit or REAP_MAX
  local old = redis.call('ZRANGEBYSCORE', completedKey, '-inf', '(' .. fmt(now - tonumber(retentionMs)), 'WITHSCORES', 'LIMIT', 0, limit)
  if maxKept then
    -- Entries beyond the newest maxKept are the oldest ranks, a prefix like the old ones.
    local excess = math.min(redis.call('ZCARD', completedKey) - tonumber(maxKept), limit)
    if excess > #old / 2 then old = redis.call('ZRANGE', completedKey, 0, excess - 1, 'WITHSCORES') end
  end
  if #old == 0 then return 0 end
  local ids, records = {}, {}
  for i = 1, #old, 2 do
    local taskKey = prefix .. 't:' .. old[i]
    local f = hmget(taskKey, 'state', 'ft', 'pk', 'rk')
    if f[1] == 'completed' and tonumber(f[2]) == tonumber(old[i + 1]) then recordKeys(records, prefix, old[i], f[3], f[4]) end
    ids[#ids + 1] = old[i]
  end
  delMany(records)
  zremMany(completedKey, ids)
  return #ids
end
