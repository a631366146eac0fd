--[[
  Wake-ups for idle consumers. A script names its shard's wake channel in an
  ARGV; a name starting with '!' is a shard channel (the queue is on a Redis
  Cluster): SPUBLISH delivers it only on the nodes serving the channel's slot,
  which is the slot of the shard's keys, where PUBLISH would broadcast it to
  every node of the cluster.
]]
-- includes:

local function publish(channel, message)
  if string.byte(channel, 1) == 33 then
    redis.call('SPUBLISH', string.sub(channel, 2), message)
  else
    redis.call('PUBLISH', channel, message)
  end
end
