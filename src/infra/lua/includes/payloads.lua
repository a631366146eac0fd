--[[
  Reading payloads kept outside their records (includes/records.lua INLINE_MAX), for claim.
]]
-- includes: batch, records

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
