--[[
  enqueue: add a batch of tasks, skipping ids that are already known (dedup).

  Input:
    KEYS[1] waiting set, short lane
    KEYS[2] waiting set, long lane
    KEYS[3] delayed set
    KEYS[4] sequence counter
    KEYS[5] enqueued-by-type counter hash (type → tasks added, duplicates excluded)
    KEYS[6] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix ("tl:{queue}:")
    ARGV[2] wake channel
    ARGV[3] number of tasks N
    ARGV[4 + 8i .. 11 + 8i] task i: id, type, lane, priority, payload JSON,
            delayMs, maxAttempts, timeoutMs (already validated by the client)
    ARGV[4 + 8N] call token (random per script call, so repeated only by a replay)
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Writes:
    HINCRBY KEYS[5] once per distinct type among the added tasks. The hash is
    bounded at MAX_TYPES fields (plus `other`): once it is full, a type it does not
    hold yet is counted under `other`, so existing fields never move (each is a
    metric series; see runtime/metrics/type-labels.ts). Costs one HINCRBY per
    distinct type; a type new to the hash also one HLEN, and once the hash is full an
    HDEL and a HINCRBY of `other`.
    A payload over 64 bytes is stored in its own key (keys.ts payload), marked by
    the record's field `pk`, so the record hash stays a listpack (includes/records.lua).
    No `att`, `fence` or `stalls` (a missing one reads as 0: claim, decode.ts, list-tasks.ts;
    HINCRBY starts it from 0) and no `run` without a delay (it would equal `ct`, which
    readers fall back to), so a plain record has 10 fields, not 14.
    No `rdy` (ready since): until a later transition writes one, a task is
    ready from its `run` (the end of its delay), else its `ct`; see claim.lua.

  Output:
    N integers in input order: 0 added, 1 duplicate (the id has a record or a
    dedup marker; nothing was changed). A repeated id within one batch is a
    duplicate of its first occurrence.

  Replay: each record keeps the token of the call that created it (field `tok`),
  so a replayed call finds its own tasks and answers 0 for them again, adding and
  counting nothing; an id created by another call is still a duplicate. Limit: once
  the record is gone (completed and reaped, or purged) only its dedup marker is left,
  and a replay then answers 1.

  Events:
    PUBLISH <lane> on the wake channel when a lane goes from empty to non-empty;
    PUBLISH 'delayed' when a task becomes the earliest delayed one.
]]
-- includes: base, waiting, batch, records, wake
local prefix = ARGV[1]
local n = tonumber(ARGV[3])
local token = ARGV[4 + 8 * n]
local now = nowMs()

-- The earliest delayed task, read only once a delayed task comes (most batches have none).
local earliestDue, earliestRead = nil, false
local added = { short = false, long = false }
local newEarliest = false

-- Reserve n sequence numbers at once; a duplicate leaves a harmless gap.
local seq = redis.call('INCRBY', KEYS[4], n) - n
local toWait = { short = {}, long = {} }
local addedByType = {}
-- Types in order of first appearance: when the hash fills mid-batch, the earlier type gets the last field.
local typeOrder = {}
local out = {}
-- Ids this run has answered 0 for: a repeat within the batch is a duplicate, on a replay too.
local answered = {}
for i = 0, n - 1 do
  local b = 4 + i * 8
  local id = ARGV[b]
  local taskKey = prefix .. 't:' .. id
  if answered[id] then
    out[#out + 1] = 1
  elseif redis.call('EXISTS', taskKey, prefix .. 'd:' .. id) > 0 then
    -- Ours already when a replay of this call created it (one HGET, only for a known id).
    if redis.call('HGET', taskKey, 'tok') == token then
      answered[id] = true
      out[#out + 1] = 0
    else
      out[#out + 1] = 1
    end
  else
    answered[id] = true
    local lane, pri, delay = ARGV[b + 2], ARGV[b + 3], tonumber(ARGV[b + 5])
    local taskType = ARGV[b + 1]
    if addedByType[taskType] == nil then typeOrder[#typeOrder + 1] = taskType end
    addedByType[taskType] = (addedByType[taskType] or 0) + 1
    seq = seq + 1
    local seqStr = formatSeq(seq)
    local runAt = now + delay
    local state = 'waiting'
    if delay > 0 then state = 'delayed' end
    -- Only fields that differ from their defaults (see the header): a smaller listpack.
    local fields = { 'type', ARGV[b + 1], 'lane', lane, 'pri', pri, 'state', state,
      'max', ARGV[b + 6], 'to', ARGV[b + 7], 'ct', fmt(now), 'seq', seqStr, 'tok', token }
    if delay > 0 then
      fields[#fields + 1] = 'run'
      fields[#fields + 1] = fmt(runAt)
    end
    -- A long payload goes to its own key, marked by `pk` (includes/records.lua INLINE_MAX).
    local payload = ARGV[b + 4]
    if #payload > INLINE_MAX then
      redis.call('SET', payloadKey(prefix, id), payload)
      fields[#fields + 1] = 'pk'
      fields[#fields + 1] = '1'
    else
      fields[#fields + 1] = 'payload'
      fields[#fields + 1] = payload
    end
    redis.call('HSET', taskKey, unpackArgs(fields))
    if delay > 0 then
      if not earliestRead then
        earliestDue = tonumber(redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')[2])
        earliestRead = true
      end
      redis.call('ZADD', KEYS[3], fmt(runAt), id)
      if earliestDue == nil or runAt < earliestDue then
        earliestDue = runAt
        newEarliest = true
      end
    else
      local batch = toWait[lane]
      batch[#batch + 1] = pri
      batch[#batch + 1] = waitMember(seqStr, id)
      added[lane] = true
    end
    out[#out + 1] = 0
  end
end

-- One HINCRBY per type rather than per task: a 500-task batch of one type is one write.
-- Producers invent types, and each field is a time series wherever the hash is exported,
-- so the bound is kept here, where the counts are written: a field once created keeps
-- counting (its series never turns into `other`), and a type arriving late goes to `other`.
local MAX_TYPES = 100
for _, taskType in ipairs(typeOrder) do
  local count = addedByType[taskType]
  -- Counts only grow, so a total equal to this batch's count means the field is new: only
  -- then is the hash's size read, and a field past the bound is taken back into `other`.
  if redis.call('HINCRBY', KEYS[5], taskType, count) == count and taskType ~= 'other'
      and redis.call('HLEN', KEYS[5]) > MAX_TYPES then
    redis.call('HDEL', KEYS[5], taskType)
    redis.call('HINCRBY', KEYS[5], 'other', count)
  end
end
-- A lane whose set is empty before these additions wakes its idle consumers.
for i, lane in ipairs({ 'short', 'long' }) do
  if added[lane] then
    local wasEmpty = redis.call('ZCARD', KEYS[i]) == 0
    zaddMany(KEYS[i], toWait[lane])
    if wasEmpty then publish(ARGV[2], lane) end
  end
end
if newEarliest then publish(ARGV[2], 'delayed') end
return reply(out)
