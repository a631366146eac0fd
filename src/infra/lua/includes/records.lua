--[[
  Records: payloads and results kept outside the hash, errors raised by scripts,
  dedup markers, retention.
]]
-- includes: batch

-- A payload or result longer than INLINE_MAX lives in its own string key beside the
-- record hash (keys.ts payload/result; the hash's field `pk` or `rk` = 1 says so), so
-- the hash keeps only short fields and stays a listpack: one value over Redis's
-- hash-max-listpack-value (64 by default) turns the whole hash into a hashtable, about
-- 0.6 to 1 kB more per task. Short ones stay inline: an extra key costs more than it saves.
-- Records written before this (payload and res always inline, no marker) read as before.
local INLINE_MAX = 64
local function payloadKey(prefix, id)
  return prefix .. 'p:' .. id
end
local function resultKey(prefix, id)
  return prefix .. 'r:' .. id
end

-- The keys of a record: its hash and the outside keys its markers name (fields
-- `pk`, `rk` as read by hmget). Appended to `into`, for delMany.
local function recordKeys(into, prefix, id, pk, rk)
  into[#into + 1] = prefix .. 't:' .. id
  if pk then into[#into + 1] = payloadKey(prefix, id) end
  if rk then into[#into + 1] = resultKey(prefix, id) end
  return into
end

-- Puts the outside payload into rows[i][at] for each row whose rows[i][marker] is set
-- (ids[i] names the row's task): one MGET per BATCH rows, not one GET per task. A
-- missing key leaves false there, as a missing field would (a corrupt record).
local function readPayloads(prefix, ids, rows, at, marker)
  local keys, which = {}, {}
  for i = 1, #rows do
    if rows[i][marker] then
      keys[#keys + 1] = payloadKey(prefix, ids[i])
      which[#which + 1] = i
    end
  end
  for from = 1, #keys, BATCH do
    local values = redis.call('MGET', unpackArgs(keys, from, math.min(from + BATCH - 1, #keys)))
    for k = 1, #values do
      local v = values[k]
      rows[which[from + k - 1]][at] = type(v) == 'string' and v or false
    end
  end
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

-- The record and its outside payload expire together. `pk` is the record's `pk` field
-- as read (false: no payload key); nil when the caller did not read it: the payload key
-- is then expired anyway (a no-op when there is none).
local function expireRecord(prefix, id, retentionMs, pk)
  redis.call('PEXPIRE', prefix .. 't:' .. id, retentionMs)
  if pk ~= false then redis.call('PEXPIRE', payloadKey(prefix, id), retentionMs) end
end
