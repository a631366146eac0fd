--[[
  Numbers. ioredis-mock runs Lua on fengari, whose integers are 32-bit, so all
  time and score arithmetic is done in floats (`* 1000.0`), and numbers are
  written to Redis as formatted strings because the mock would otherwise store
  a float as a float.

  base.server.lua or base.mock.lua follows this file (scripts.ts picks by client):
  nowMs, reply and hmget, which differ between a real server and ioredis-mock.
]]
-- includes:

local function fmt(n)
  return string.format('%.0f', n)
end
