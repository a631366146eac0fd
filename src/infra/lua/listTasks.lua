--[[
  listTasks: one page of the tasks in one state, read-only. Walks the state's
  index (one sorted set, or both waiting sets merged) after a cursor and
  returns the records' summary fields (never payloads or results, so a page's
  size is bounded by its row count).

  Order: by (score, member), ascending, or descending when ARGV[2] is 1.
  Members are unique across both waiting sets (the 15-digit sequence is
  queue-wide), so one (score, member) cursor orders the merged lanes too. A
  cursor is the last entry the previous page looked at; it need not exist any
  more (includes/cursor.lua rankAfter), so removals never make a page skip an entry.

  Bounded work: at most ARGV[5] index entries are looked at (the caller passes
  the page size, or a larger fixed bound when filtering by type or lane), with
  one HMGET each; a filtered call reads three fields of each entry and the
  whole row only of a match. A filter that matches rarely therefore returns a
  short page, or an empty one, with a cursor to continue.

  Input:
    KEYS[1] index (sorted set)
    KEYS[2] second waiting set, merged with KEYS[1] when ARGV[3] is 2; else unused
    KEYS[3] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] 1: descending (finished states, most recent first); 0 ascending
    ARGV[3] number of index sets to read: 1 or 2
    ARGV[4] page size: at most this many rows
    ARGV[5] scan bound: at most this many index entries looked at
    ARGV[6] state the records must be in
    ARGV[7] type filter, '' for any
    ARGV[8] lane filter, '' for any
    ARGV[9] 1 when members carry the waiting-set sequence prefix (includes/waiting.lua memberId)
    ARGV[10] cursor score, '' for the first page
    ARGV[11] cursor member
    ARGV[last] host clock for ioredis-mock, empty for real Redis (unused here)

  Output (flat):
    [1] 1 when entries remain after the last one looked at, else 0
    [2] score of the last entry looked at ('' when none)
    [3] member of that entry
    then 19 fields per row: id, state, type, lane, pri, att, max, to, fence,
    stalls, owner, err, ct, st, ft, run, exp ('' for a missing field), then the
    row's index score and member (a sharded queue merges its shards' pages by them)
]]
-- includes: base, waiting, cursor
local prefix = ARGV[1]
local desc = ARGV[2] == '1'
local sets = tonumber(ARGV[3])
local limit, scan = tonumber(ARGV[4]), tonumber(ARGV[5])
local wantState, wantType, wantLane = ARGV[6], ARGV[7], ARGV[8]
local prefixed = ARGV[9] == '1'
local afterScore, afterMember = ARGV[10], ARGV[11]
local filtered = wantType ~= '' or wantLane ~= ''

-- Up to `n` entries of `key` past the cursor, in page order, as { score, member } pairs.
local function window(key, n)
  local out = {}
  if desc then
    local stop = redis.call('ZCARD', key)
    if afterScore ~= '' then
      stop = rankAfter(key, afterScore, afterMember)
      -- rankAfter is the first entry after the cursor; the cursor itself, if still there, is not wanted.
      local score = redis.call('ZSCORE', key, afterMember)
      if score and tonumber(score) == tonumber(afterScore) then stop = stop - 1 end
    end
    if stop <= 0 then return out end
    local flat = redis.call('ZRANGE', key, math.max(0, stop - n), stop - 1, 'WITHSCORES')
    for i = #flat - 1, 1, -2 do out[#out + 1] = { flat[i + 1], flat[i] } end
  else
    local start = 0
    if afterScore ~= '' then start = rankAfter(key, afterScore, afterMember) end
    local flat = redis.call('ZRANGE', key, start, start + n - 1, 'WITHSCORES')
    for i = 1, #flat, 2 do out[#out + 1] = { flat[i + 1], flat[i] } end
  end
  return out
end

-- a before b in page order.
local function before(a, b)
  local x, y = tonumber(a[1]), tonumber(b[1])
  if x ~= y then
    if desc then return x > y end
    return x < y
  end
  if desc then return bytesAfter(a[2], b[2]) end
  return bytesAfter(b[2], a[2])
end

-- One more than the scan bound tells whether entries remain after it.
local entries = window(KEYS[1], scan + 1)
if sets == 2 then
  local other = window(KEYS[2], scan + 1)
  local merged, i, j = {}, 1, 1
  while #merged < scan + 1 and (i <= #entries or j <= #other) do
    if j > #other or (i <= #entries and before(entries[i], other[j])) then
      merged[#merged + 1] = entries[i]
      i = i + 1
    else
      merged[#merged + 1] = other[j]
      j = j + 1
    end
  end
  entries = merged
end

-- A filtered scan reads three short fields of each entry, and the whole row only of a match.
local function passes(taskKey)
  if not filtered then return true end
  local f = hmget(taskKey, 'state', 'type', 'lane')
  return f[1] == wantState and (wantType == '' or f[2] == wantType) and (wantLane == '' or f[3] == wantLane)
end

local out = { 0, '', '' }
local looked, rows = 0, 0
for _, entry in ipairs(entries) do
  if looked == scan or rows == limit then break end
  looked = looked + 1
  out[2], out[3] = entry[1], entry[2]
  local id = entry[2]
  if prefixed then id = memberId(id) end
  local taskKey = prefix .. 't:' .. id
  local f = passes(taskKey) and hmget(taskKey, 'state', 'type', 'lane', 'pri', 'att', 'max', 'to', 'fence',
    'stalls', 'owner', 'err', 'ct', 'st', 'ft', 'run', 'exp')
  if f and f[1] == wantState then
    rows = rows + 1
    out[#out + 1] = id
    -- Never a Lua false in a reply: real Redis ends the array there, the mock does not.
    for k = 1, 16 do out[#out + 1] = f[k] or '' end
    out[#out + 1] = entry[1]
    out[#out + 1] = entry[2]
  end
end
if #entries > looked then out[1] = 1 end
return reply(out)
