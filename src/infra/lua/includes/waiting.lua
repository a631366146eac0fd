--[[
  Waiting sets: members that keep FIFO order within a priority, and the set of a lane.
]]
-- includes:

-- Waiting-set member: the fixed-width sequence number sorts members of one
-- priority FIFO (ties in a sorted set are ordered bytewise); the id follows it.
local SEQ_WIDTH = 15
local function waitMember(seqStr, id)
  return seqStr .. id
end
local function memberId(member)
  return string.sub(member, SEQ_WIDTH + 1)
end
local function formatSeq(n)
  return string.format('%015d', n)
end
local function nextSeq(seqKey)
  return formatSeq(redis.call('INCR', seqKey))
end
local function laneKey(lane, shortKey, longKey)
  if lane == 'long' then return longKey end
  return shortKey
end
