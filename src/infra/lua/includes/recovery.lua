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
