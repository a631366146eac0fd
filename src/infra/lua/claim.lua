--[[
  claim: lease up to `max` waiting tasks of one lane, lowest priority first and
  FIFO within a priority. Due delayed tasks (of either lane) are promoted first.
  Before that, up to `max` expired leases (of either lane) go back to waiting as
  requeueExpired does (each counts a stall), so a consumer that never runs
  requeueExpired still never strands a task; this claim may take them at once.

  Input:
    KEYS[1] waiting set of the lane being claimed
    KEYS[2] waiting set, short lane
    KEYS[3] waiting set, long lane
    KEYS[4] delayed set
    KEYS[5] active set (score: lease expiry, server ms)
    KEYS[6] dead set
    KEYS[7] sequence counter
    KEYS[8] pause marker of the lane being claimed (its existence pauses the lane)
    KEYS[9] memo of this claim call (keys.ts claimMemo): what it leased, for a replay
    KEYS[10] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] wake channel
    ARGV[3] max tasks to claim
    ARGV[4] lease ms
    ARGV[5] owner
    ARGV[6] lease margin ms: a task with a timeout gets at least timeout + margin
    ARGV[7] dead retention ms
    ARGV[8] dedup window ms
    ARGV[9] name of the lane being claimed
    ARGV[10] claim id (random per call; in KEYS[9]'s name, repeated only by a replay)
    ARGV[11] max stalls (for the expired leases this claim recovers)
    ARGV[12] priority bound, or '': take no task of a priority above it (a
      sharded queue's claim passes the best head it knows of in other shards,
      so one shard's batch does not run on into tasks less urgent than theirs)
    ARGV[13] '1': also take no task less urgent than this lane's best one here
      (the caller does not know every other shard's best yet), else ''
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output (flat):
    [1] ms until the earliest delayed task is due, or -1 when none is delayed
    [2] records found corrupt or missing, now dead-lettered
    [3] 1 when the lane is paused (nothing was claimed), else 0
    [4] the lane's best waiting priority after this call, or -1 when it has
      no waiting task (or is paused)
    then 12 fields per lease: id, fence, attempt, type, payload, priority,
    timeoutMs, maxAttempts, createdAt, expiresAt, readyAt, claimedAt
    readyAt: when the task last became claimable (field `rdy`; before any
    transition wrote it, `run`: the enqueue time, or the due time of a delay);
    claimedAt: this call's server now. Their difference is this claim's wait.
    payload: read from its own key (one MGET per call) when the record's `pk` says
    it is kept outside the hash (includes/records.lua).

  Replay: ioredis resends a call whose reply was lost, and the first run's leases
  would then be orphaned until they lapse. So a call that leases anything stores
  `fence:len:id` per lease in KEYS[9] (one SET, PX the longest lease it gave), and a run that
  finds that memo pops nothing: it answers the same leases again, rebuilt from their
  records, leaving out any no longer active under the memo's fence. Limit: a replay
  later than its leases finds no memo and claims afresh.

  Paused lane: due delayed tasks are still promoted (of either lane), but none
  is claimed, and the lane's own wake-up is not published: idle consumers of a
  paused lane would otherwise wake one another for tasks none of them may take.

  Events:
    PUBLISH <lane> on the wake channel when a lane still has waiting tasks
    after this call (so other idle consumers claim them too), or got promoted (or recovered)
    ones; never for the claimed lane while it is paused, nor after a probe (max 0),
    which a sharded queue sends to learn a shard's best waiting priority.
]]
-- includes: base, waiting, batch, records, payloads, dead, recovery, wake
local prefix, channel, owner, lane = ARGV[1], ARGV[2], ARGV[5], ARGV[9]
local max, leaseMs, margin = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local now = nowMs()
local nowStr = fmt(now)

-- Recover expired leases first, bounded by this claim's max (includes/recovery.lua requeueExpiredLeases).
local lost = { active = KEYS[5], waitShort = KEYS[2], waitLong = KEYS[3], dead = KEYS[6] }
local _, _, recovered = requeueExpiredLeases(prefix, lost, now, max, ARGV[11], ARGV[7], ARGV[8])

-- Promote due delayed tasks. Bounded so one call stays short; the rest follow on the next.
-- The earliest delayed task says whether any is due and, when none is, how long until the
-- next: one read in the common case, which the reply's wait reuses.
local earliest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
local due = {}
if earliest[2] and tonumber(earliest[2]) <= now then
  due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', nowStr, 'LIMIT', 0, 1000)
end
local promoted = { short = recovered.short or false, long = recovered.long or false }
for _, id in ipairs(due) do
  local taskKey = prefix .. 't:' .. id
  local f = hmget(taskKey, 'lane', 'pri', 'state', 'run')
  redis.call('ZREM', KEYS[4], id)
  if f[3] == 'delayed' and (f[1] == 'short' or f[1] == 'long') and tonumber(f[2]) ~= nil then
    local seqStr = nextSeq(KEYS[7])
    -- Ready since its due time, not since this promotion: no consumer may have claimed for a while.
    redis.call('HSET', taskKey, 'state', 'waiting', 'seq', seqStr, 'rdy', f[4] or nowStr)
    redis.call('ZADD', laneKey(f[1], KEYS[2], KEYS[3]), f[2], waitMember(seqStr, id))
    promoted[f[1]] = true
  else
    deadLetter(prefix, KEYS[6], id, now, scriptError('TASKLANE_ERR_CORRUPT_TASK',
      'delayed task record is missing or corrupt'), ARGV[7], ARGV[8])
  end
end

local paused = redis.call('EXISTS', KEYS[8]) == 1
local out = { -1, 0, paused and 1 or 0, -1 }
local corrupt = 0
local memo = redis.call('GET', KEYS[9])
local drained = nil
if memo then
  -- A replay: the same leases again, from the records, where that fence still holds them.
  local ids, fences, rows = {}, {}, {}
  local at = 1
  while at <= #memo do
    local fenceEnd = string.find(memo, ':', at, true)
    local lenEnd = string.find(memo, ':', fenceEnd + 1, true)
    local fence = string.sub(memo, at, fenceEnd - 1)
    local idEnd = lenEnd + tonumber(string.sub(memo, fenceEnd + 1, lenEnd - 1))
    local id = string.sub(memo, lenEnd + 1, idEnd)
    at = idEnd + 1
    ids[#ids + 1] = id
    fences[#fences + 1] = fence
    rows[#rows + 1] = hmget(prefix .. 't:' .. id, 'state', 'type', 'payload', 'pri', 'to', 'max', 'ct', 'fence', 'att', 'rdy', 'run', 'exp', 'st', 'pk')
  end
  readPayloads(prefix, ids, rows, 3, 14)
  for r = 1, #rows do
    local id, fence, f = ids[r], fences[r], rows[r]
    if f[1] == 'active' and f[8] == fence then
      local claimedAt = f[13] or '0'
      local lease = { id, tonumber(fence), tonumber(f[9]) or 0, f[2] or '', f[3] or '', f[4] or '0', tonumber(f[5]) or 0,
        f[6] or '0', f[7] or '0', f[12] or '0', f[10] or f[11] or f[7] or claimedAt, claimedAt }
      for k = 1, 12 do out[#out + 1] = lease[k] end
    end
  end
elseif max > 0 and not paused then
  local popped = redis.call('ZPOPMIN', KEYS[1], max)
  -- Fewer than max popped: the lane is empty now, and needs no head read below.
  drained = #popped < 2 * max
  local bound = tonumber(ARGV[12])
  if ARGV[13] == '1' and #popped > 0 then
    local head = tonumber(popped[2])
    if bound == nil or head < bound then bound = head end
  end
  if bound ~= nil and #popped > 0 and tonumber(popped[#popped]) > bound then
    -- Over the bound: put those back (their members keep their FIFO place).
    local kept, back = {}, {}
    for i = 1, #popped, 2 do
      if tonumber(popped[i + 1]) <= bound then
        kept[#kept + 1] = popped[i]
        kept[#kept + 1] = popped[i + 1]
      else
        back[#back + 1] = popped[i + 1]
        back[#back + 1] = popped[i]
      end
    end
    zaddMany(KEYS[1], back)
    popped = kept
    drained = false
  end
  local leased, remembered = {}, {}
  -- The memo lasts as long as the longest lease it names (a task's timeout can stretch one).
  local memoTtl = leaseMs
  local ids, rows = {}, {}
  for i = 1, #popped, 2 do
    local id = memberId(popped[i])
    ids[#ids + 1] = id
    rows[#rows + 1] = hmget(prefix .. 't:' .. id, 'state', 'type', 'payload', 'pri', 'to', 'max', 'ct', 'fence', 'att', 'rdy', 'run', 'pk')
  end
  -- Payloads kept outside their records, one MGET for the batch (includes/records.lua).
  readPayloads(prefix, ids, rows, 3, 12)
  for r = 1, #rows do
    local id, f = ids[r], rows[r]
    local taskKey = prefix .. 't:' .. id
    if f[1] ~= 'waiting' or not f[2] or not f[3] or tonumber(f[4]) == nil or tonumber(f[6]) == nil then
      corrupt = corrupt + 1
      deadLetter(prefix, KEYS[6], id, now, scriptError('TASKLANE_ERR_CORRUPT_TASK',
        'waiting task record is missing or corrupt'), ARGV[7], ARGV[8])
    else
      local fence = (tonumber(f[8]) or 0) + 1
      local attempt = (tonumber(f[9]) or 0) + 1
      local timeout = tonumber(f[5]) or 0
      local ttl = leaseMs
      if timeout > 0 and timeout + margin > ttl then ttl = timeout + margin end
      if ttl > memoTtl then memoTtl = ttl end
      local exp = fmt(now + ttl)
      redis.call('HSET', taskKey, 'state', 'active', 'owner', owner, 'exp', exp, 'st', nowStr,
        'fence', fmt(fence), 'att', fmt(attempt))
      leased[#leased + 1] = exp
      leased[#leased + 1] = id
      remembered[#remembered + 1] = fmt(fence) .. ':' .. #id .. ':' .. id
      out[#out + 1] = id
      out[#out + 1] = fence
      out[#out + 1] = attempt
      out[#out + 1] = f[2]
      out[#out + 1] = f[3]
      out[#out + 1] = f[4]
      out[#out + 1] = timeout
      out[#out + 1] = f[6]
      out[#out + 1] = f[7] or '0'
      out[#out + 1] = exp
      out[#out + 1] = f[10] or f[11] or f[7] or nowStr
      out[#out + 1] = nowStr
    end
  end
  zaddMany(KEYS[5], leased)
  if #leased > 0 then redis.call('SET', KEYS[9], table.concat(remembered), 'PX', fmt(memoTtl)) end
end
out[2] = corrupt

-- Only the promotions above change the delayed set in this call.
if #due > 0 then earliest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES') end
if earliest[2] then
  local wait = tonumber(earliest[2]) - now
  if wait < 0 then wait = 0 end
  out[1] = math.floor(wait)
end

if not paused and drained ~= true then
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if head[2] then
    out[4] = head[2]
    -- A probe (max 0) takes nothing, so it leaves no one new work to wake for.
    if max > 0 then publish(channel, lane) end
  end
end
for _, other in ipairs({ 'short', 'long' }) do
  if other ~= lane and promoted[other] then publish(channel, other) end
end
return reply(out)
