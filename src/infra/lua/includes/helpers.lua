--[[
  Shared helpers, pasted in front of every script by scripts.ts at load time.

  Numbers: ioredis-mock runs Lua on fengari, whose integers are 32-bit, so all
  time and score arithmetic is done in floats (`* 1000.0`), and numbers are
  written to Redis as formatted strings because the mock would otherwise store
  a float as a float.
]]
local unpackArgs = unpack or table.unpack

-- Milliseconds from the server's own clock, so leases never depend on a
-- client's. The last ARGV of every script is empty for a real server. For
-- ioredis-mock it carries the host's clock: the mock's TIME answers rounded
-- seconds with unrelated microseconds, and the mock *is* the host process, so
-- the host clock is its server clock (it expires keys by it too).
local function nowMs()
  local hostClock = ARGV[#ARGV]
  if hostClock ~= '' then return tonumber(hostClock) + 0.0 end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000.0 + math.floor(tonumber(t[2]) / 1000.0)
end

-- ioredis-mock (fengari) returns a table as an array only if its keys were
-- inserted last to first; a table filled by a loop must be copied this way.
-- Real Redis is indifferent. Apply to every table a script returns.
local function reply(t)
  local r = {}
  for i = #t, 1, -1 do r[i] = t[i] end
  return r
end

-- HMGET with every missing field as false, as real Redis gives it. ioredis-mock gives a
-- null userdata instead, which is truthy: `not f[i]` and `f[i] or default` would then
-- take a missing field for a present one.
local function hmget(key, ...)
  local f = redis.call('HMGET', key, ...)
  for i = 1, select('#', ...) do
    if type(f[i]) ~= 'string' then f[i] = false end
  end
  return f
end

local function fmt(n)
  return string.format('%.0f', n)
end

-- Waiting-set member: the fixed-width sequence number sorts members of one
-- priority FIFO (ties in a sorted set are ordered bytewise); the id follows it.
local SEQ_WIDTH = 15
local function waitMember(seqStr, id)
  return seqStr .. id
end
local function memberId(member)
  return string.sub(member, SEQ_WIDTH + 1)
end
local function formatSeq(n)
  return string.format('%015d', n)
end
local function nextSeq(seqKey)
  return formatSeq(redis.call('INCR', seqKey))
end

-- Batches of writes to one sorted set or one set of members become one command
-- per 500, instead of one per task: the hot scripts spend most of their time on
-- command dispatch. 500 stays well inside Lua's limit on unpacked arguments.
local BATCH = 500
local function zaddMany(key, pairs)
  for i = 1, #pairs, 2 * BATCH do
    redis.call('ZADD', key, unpackArgs(pairs, i, math.min(i + 2 * BATCH - 1, #pairs)))
  end
end
local function zremMany(key, members)
  for i = 1, #members, BATCH do
    redis.call('ZREM', key, unpackArgs(members, i, math.min(i + BATCH - 1, #members)))
  end
end

local function delMany(keys)
  for i = 1, #keys, BATCH do
    redis.call('DEL', unpackArgs(keys, i, math.min(i + BATCH - 1, #keys)))
  end
end

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
    local f = hmget(taskKey, 'state', 'ft')
    if f[1] == 'completed' and tonumber(f[2]) == tonumber(old[i + 1]) then records[#records + 1] = taskKey end
    ids[#ids + 1] = old[i]
  end
  delMany(records)
  zremMany(completedKey, ids)
  return #ids
end

-- Dead-set entries past the dead retention, at most `limit` per call (DEAD_TRIM by default):
-- their records expire by their own PEXPIRE, only the index is trimmed here. A dead letter
-- adds one entry and trims up to DEAD_TRIM, so the index keeps up without a call ever
-- walking all of it. Returns how many entries were removed.
local DEAD_TRIM = 10
local function trimDead(deadKey, now, deadRetentionMs, limit)
  local cutoff = '(' .. fmt(now - tonumber(deadRetentionMs))
  local old = redis.call('ZRANGEBYSCORE', deadKey, '-inf', cutoff, 'LIMIT', 0, limit or DEAD_TRIM)
  zremMany(deadKey, old)
  return #old
end

-- Bytewise a > b: the order of a sorted set's members of equal score. (Lua's own `>`
-- goes through strcoll, and Redis takes LC_COLLATE from its environment.)
local function bytesAfter(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end

-- Rank of the first entry of a sorted set that comes after (score, member), in the set's
-- order: by score, then bytewise by member. The member need not be in the set any more.
-- The bulk dead-letter scripts resume from the last entry they looked at this way, not
-- from a count of entries to skip, which removals before it (a purgeDead, a retryDead,
-- an expiry) would shift past live entries. Equal scores are common (one releaseOwner
-- dead-letters many tasks in the same ms), so they are searched by rank: O(log n) calls.
local function rankAfter(key, score, member)
  local lo = redis.call('ZCOUNT', key, '-inf', '(' .. score)
  local hi = redis.call('ZCOUNT', key, '-inf', score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if bytesAfter(redis.call('ZRANGE', key, mid, mid)[1], member) then hi = mid else lo = mid + 1 end
  end
  return lo
end

-- The next chunk of a sweep over a sorted set (the bulk dead-letter scripts, releaseOwner):
-- up to `size` entries (flat: id, score, ...) scored at most `cutoff`, after the cursor
-- (lastScore, lastId), which is '' on the first call.
local function chunkAfter(key, lastScore, lastId, size, cutoff)
  local start = 0
  if lastScore ~= '' then start = rankAfter(key, lastScore, lastId) end
  local stop = math.min(start + tonumber(size), redis.call('ZCOUNT', key, '-inf', cutoff)) - 1
  if stop < start then return {} end
  return redis.call('ZRANGE', key, start, stop, 'WITHSCORES')
end
local deadChunk = chunkAfter

-- Puts a dead letter back to waiting, attempts and stalls reset, at the back of its
-- priority's FIFO, ready from `nowStr`. Returns 'stale' (no record: the caller drops
-- its index entry), 'skipped' (another state, or a dead letter made from a corrupt
-- record, which cannot run: it stays), or the lane, priority and waiting-set member
-- for the caller to add (retryDeadMany batches them).
local function replayDead(prefix, id, seqKey, nowStr)
  local taskKey = prefix .. 't:' .. id
  local f = hmget(taskKey, 'state', 'lane', 'pri', 'payload')
  if not f[1] then return 'stale' end
  if f[1] ~= 'dead' or (f[2] ~= 'short' and f[2] ~= 'long') or tonumber(f[3]) == nil or not f[4] then return 'skipped' end
  local seqStr = nextSeq(seqKey)
  redis.call('PERSIST', taskKey)
  redis.call('HSET', taskKey, 'state', 'waiting', 'att', '0', 'stalls', '0', 'seq', seqStr, 'rdy', nowStr)
  redis.call('HDEL', taskKey, 'ft')
  return f[2], f[3], waitMember(seqStr, id)
end

local function laneKey(lane, shortKey, longKey)
  if lane == 'long' then return longKey end
  return shortKey
end

-- JSON for errors raised inside scripts. Only [%w _.-] survives, so the text
-- needs no escaping (there is no cjson on ioredis-mock).
local function scriptError(code, message)
  local safe = string.gsub(message, '[^%w _.:-]', '?')
  return '{"name":"TaskRecordError","code":"' .. code .. '","message":"' .. safe .. '"}'
end

-- Finished records keep a small marker for the dedup window, so a repeated id
-- is still refused after the full record has expired.
local function rememberId(prefix, id, dedupWindowMs)
  if tonumber(dedupWindowMs) > 0 then
    redis.call('SET', prefix .. 'd:' .. id, '1', 'PX', dedupWindowMs)
  end
end

local function expireRecord(taskKey, retentionMs)
  redis.call('PEXPIRE', taskKey, retentionMs)
end

-- Moves a record to the dead letters. The record may be partial or missing
-- (a corrupt record found by a claim): HSET then creates a minimal one.
local function deadLetter(prefix, deadKey, id, now, errJson, deadRetentionMs, dedupWindowMs)
  local taskKey = prefix .. 't:' .. id
  redis.call('HSET', taskKey, 'state', 'dead', 'err', errJson, 'ft', fmt(now))
  redis.call('HDEL', taskKey, 'owner', 'exp')
  redis.call('ZADD', deadKey, now, id)
  expireRecord(taskKey, deadRetentionMs)
  rememberId(prefix, id, dedupWindowMs)
  trimDead(deadKey, now, deadRetentionMs)
end

-- A lease that was lost (expired, or its worker died) goes back to waiting at
-- its old FIFO position, without counting the attempt. Each loss counts as a
-- stall; past maxStalls the task is dead-lettered, so a task that kills every
-- worker it touches cannot loop forever. It is ready again from `now` (`rdy`).
-- Returns 'waiting' or 'dead'.
local function requeueLost(prefix, keys, id, now, maxStalls, deadRetentionMs, dedupWindowMs, reason)
  local taskKey = prefix .. 't:' .. id
  redis.call('ZREM', keys.active, id)
  local stalls = redis.call('HINCRBY', taskKey, 'stalls', 1)
  redis.call('HINCRBY', taskKey, 'att', -1)
  if stalls > tonumber(maxStalls) then
    local msg = 'lease lost ' .. fmt(stalls) .. ' times (' .. reason .. '); the task may be crashing its workers'
    deadLetter(prefix, keys.dead, id, now, scriptError('TASKLANE_ERR_STALLED', msg), deadRetentionMs, dedupWindowMs)
    return 'dead'
  end
  local f = hmget(taskKey, 'lane', 'pri', 'seq')
  redis.call('HSET', taskKey, 'state', 'waiting', 'rdy', fmt(now))
  redis.call('HDEL', taskKey, 'owner', 'exp')
  redis.call('ZADD', laneKey(f[1], keys.waitShort, keys.waitLong), f[2], waitMember(f[3], id))
  return 'waiting'
end

-- Requeues (requeueLost) the leases among `ids` that are still active and, when `owner`
-- is given, held by it. An index entry whose record is not active (it expired or was
-- deleted) is dropped. Returns the counts requeued and dead-lettered, and the lanes that
-- got tasks back (for the caller's wake-ups).
local function recoverLeases(prefix, keys, ids, now, maxStalls, deadRetentionMs, dedupWindowMs, reason, owner)
  local requeued, dead, woke = 0, 0, {}
  for _, id in ipairs(ids) do
    local f = hmget(prefix .. 't:' .. id, 'state', 'lane', 'owner')
    if f[1] ~= 'active' then
      redis.call('ZREM', keys.active, id)
    elseif not owner or f[3] == owner then
      if requeueLost(prefix, keys, id, now, maxStalls, deadRetentionMs, dedupWindowMs, reason) == 'dead' then
        dead = dead + 1
      else
        requeued = requeued + 1
        woke[f[2] or 'short'] = true
      end
    end
  end
  return requeued, dead, woke
end

-- Up to `limit` leases whose expiry has passed, requeued as recoverLeases does.
local function requeueExpiredLeases(prefix, keys, now, limit, maxStalls, deadRetentionMs, dedupWindowMs)
  if tonumber(limit) <= 0 then return 0, 0, {} end
  local expired = redis.call('ZRANGEBYSCORE', keys.active, '-inf', fmt(now), 'LIMIT', 0, tonumber(limit))
  return recoverLeases(prefix, keys, expired, now, maxStalls, deadRetentionMs, dedupWindowMs, 'lease expired')
end
