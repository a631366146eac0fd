--[[
  Reaping of completed records past their retention (complete, stats).
]]
-- includes: base, batch

-- Completed records past their retention are deleted here, not only by their own
-- PEXPIRE: Redis frees expired keys by sampling, and at thousands of completions a
-- second it falls behind, so its memory would follow throughput instead of the
-- window. A record is deleted only while it is still the one indexed: once it and
-- its dedup marker have expired, a new task may reuse the id. At most REAP_MAX
-- records per call, so a call stays short; a completion adds fewer than that, so
-- under load nothing is left over. After a burst, the index entries beyond the bound
-- are dropped and their records left to Redis expiry, which keeps up when the load
-- has passed: the index itself must not outlive the window when completions stop.
local REAP_MAX = 200
local function reapCompleted(prefix, completedKey, now, retentionMs)
  local cutoff = fmt(now - tonumber(retentionMs))
  local old = redis.call('ZRANGEBYSCORE', completedKey, '-inf', '(' .. cutoff, 'WITHSCORES', 'LIMIT', 0, REAP_MAX)
  if #old == 0 then return end
  local ids, records = {}, {}
  for i = 1, #old, 2 do
    local taskKey = prefix .. 't:' .. old[i]
    local f = hmget(taskKey, 'state', 'ft')
    if f[1] == 'completed' and tonumber(f[2]) == tonumber(old[i + 1]) then records[#records + 1] = taskKey end
    ids[#ids + 1] = old[i]
  end
  delMany(records)
  zremMany(completedKey, ids)
  if #ids == REAP_MAX then redis.call('ZREMRANGEBYSCORE', completedKey, '-inf', '(' .. cutoff) end
end
