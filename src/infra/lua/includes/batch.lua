--[[
  Batched writes: one command per BATCH members instead of one per task.
]]
-- includes:

local unpackArgs = unpack or table.unpack

-- Batches of writes to one sorted set or one set of members become one command
-- per 500, instead of one per task: the hot scripts spend most of their time on
-- command dispatch. 500 stays well inside Lua's limit on unpacked arguments.
local BATCH = 500
local function zaddMany(key, pairs)
  for i = 1, #pairs, 2 * BATCH do
    redis.call('ZADD', key, unpackArgs(pairs, i, math.min(i + 2 * BATCH - 1, #pairs)))
  end
end
local function zremMany(key, members)
  for i = 1, #members, BATCH do
    redis.call('ZREM', key, unpackArgs(members, i, math.min(i + BATCH - 1, #members)))
  end
end

local function delMany(keys)
  for i = 1, #keys, BATCH do
    redis.call('DEL', unpackArgs(keys, i, math.min(i + BATCH - 1, #keys)))
  end
end
