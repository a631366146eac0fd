--[[
  Cursors over sorted sets that survive removals: resume after (score, member), not
  after a count (listTasks, the bulk dead-letter scripts).
]]
-- includes:

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
