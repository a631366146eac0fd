--[[
  Finished records: errors raised by scripts, dedup markers, retention.
]]
-- includes:

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
