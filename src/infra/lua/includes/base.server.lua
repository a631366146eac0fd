--[[
  base for a real Redis server: no workarounds. (base.mock.lua is the same API for
  ioredis-mock.) The last ARGV of every script is empty here.
]]

-- Milliseconds from the server's own clock, so leases never depend on a client's.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000.0 + math.floor(tonumber(t[2]) / 1000.0)
end

-- Real Redis returns any Lua table as an array.
local function reply(t)
  return t
end

-- Real Redis gives a missing field as false already.
local function hmget(key, ...)
  return redis.call('HMGET', key, ...)
end
