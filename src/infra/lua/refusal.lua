--[[
  refusal: why enqueue would refuse an id that has no record to show.

  Input:
    KEYS[1] task record
    KEYS[2] dedup marker
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    { 1, 0 } the record exists (get shows it);
    { 0, 'untilMs' } no record, and the marker refuses the id until untilMs (server ms);
    { 0, 0 } no record and no marker: the id is free;
    { 0, -1 } no record, and a marker without an expiry (set by hand).
]]
-- includes: base
if redis.call('EXISTS', KEYS[1]) == 1 then return reply({ 1, 0 }) end
local ttl = tonumber(redis.call('PTTL', KEYS[2]))
if ttl == -2 then return reply({ 0, 0 }) end
if ttl == -1 then return reply({ 0, -1 }) end
-- A string: server ms exceed the mock's 32-bit integers.
return reply({ 0, fmt(nowMs() + ttl) })
