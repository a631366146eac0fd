--[[
  Dead letters: moving a record to the dead set, and replaying one.
]]
-- includes: base, waiting, records

-- Dead-set entries past the dead retention, at most `limit` per call (DEAD_TRIM by default):
-- their records expire by their own PEXPIRE, only the index is trimmed here. A dead letter
-- adds one entry and trims up to DEAD_TRIM, so the index keeps up without a call ever
-- walking all of it. Returns how many entries were removed.
local DEAD_TRIM = 10
local function trimDead(deadKey, now, deadRetentionMs, limit)
  -- The oldest entries are a prefix of the set by rank, so one ranged removal trims them.
  local past = redis.call('ZCOUNT', deadKey, '-inf', '(' .. fmt(now - tonumber(deadRetentionMs)))
  local n = math.min(past, tonumber(limit or DEAD_TRIM))
  if n > 0 then redis.call('ZREMRANGEBYRANK', deadKey, 0, n - 1) end
  return n
end

-- Moves a record to the dead letters. The record may be partial or missing
-- (a corrupt record found by a claim): HSET then creates a minimal one.
local function deadLetter(prefix, deadKey, id, now, errJson, deadRetentionMs, dedupWindowMs)
  local taskKey = prefix .. 't:' .. id
  redis.call('HSET', taskKey, 'state', 'dead', 'err', errJson, 'ft', fmt(now))
  redis.call('HDEL', taskKey, 'owner', 'exp')
  redis.call('ZADD', deadKey, now, id)
  expireRecord(prefix, id, deadRetentionMs)
  rememberId(prefix, id, dedupWindowMs)
  trimDead(deadKey, now, deadRetentionMs)
end

-- Puts a dead letter back to waiting, attempts and stalls reset, at the back of its
-- priority's FIFO, ready from `nowStr`. Returns 'stale' (no record: the caller drops
-- its index entry), 'skipped' (another state, or a dead letter made from a corrupt
-- record, which cannot run: it stays), or the lane, priority and waiting-set member
-- for the caller to add (retryDeadMany batches them).
local function replayDead(prefix, id, seqKey, nowStr)
  local taskKey = prefix .. 't:' .. id
  local f = hmget(taskKey, 'state', 'lane', 'pri', 'payload', 'pk')
  if not f[1] then return 'stale' end
  local payload = f[4] or (f[5] and redis.call('EXISTS', payloadKey(prefix, id)) == 1)
  if f[1] ~= 'dead' or (f[2] ~= 'short' and f[2] ~= 'long') or tonumber(f[3]) == nil or not payload then return 'skipped' end
  local seqStr = nextSeq(seqKey)
  redis.call('PERSIST', taskKey)
  if f[5] then redis.call('PERSIST', payloadKey(prefix, id)) end
  redis.call('HSET', taskKey, 'state', 'waiting', 'att', '0', 'stalls', '0', 'seq', seqStr, 'rdy', nowStr)
  -- A fresh run: no finish time, no throttle count, and no settle outcome a late replay of
  -- the dead run's fail or release could answer with (fail.lua, release.lua).
  redis.call('HDEL', taskKey, 'ft', 'thr', 'sf', 'so')
  return f[2], f[3], waitMember(seqStr, id)
end
