--[[
  Records: payloads and results kept outside the hash, errors raised by scripts,
  dedup markers, retention.
]]
-- includes:

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
