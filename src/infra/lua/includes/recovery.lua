--[[
  Recovery of lost leases (requeueExpired, releaseOwner).
]]
-- includes: base, waiting, records, dead

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
