--[[
  layout: the key layout a queue is stored in, stamped on first use. Run once
  per TaskQueue, before its first operation (src/infra/layout.ts).

  Input:
    KEYS[1] layout version key
    KEYS[2..11] the queue's own keys (waiting sets, delayed, active,
      completed, dead, sequence counter, enqueued counts, pause markers):
      a queue stored without a stamp has at least one of them
    ARGV[1] the layout this version reads and writes (with the shard count:
      layout.ts layoutStamp)
    ARGV[2] '1' when the caller reads the queue in several shards: keys without
      a stamp were stored in one shard, so they are left unstamped ('unstamped')
    ARGV[last] host clock for ioredis-mock, empty for real Redis (unused)

  Output (flat): how, layout
    'new', ARGV[1]      no key of the queue exists: stamped ARGV[1]
    'adopted', ARGV[1]  keys but no stamp, the pre-versioned layout (1), which
                        layout 2 reads as it is: stamped ARGV[1]
    'stamped', <stamp>  a stamp was there; it is returned as it is, and
                        nothing is written whatever it holds
    'unstamped', ''     keys but no stamp, and ARGV[2] is '1': nothing written
]]
-- includes: base, batch
local stamp = redis.call('GET', KEYS[1])
if stamp then return reply({ 'stamped', stamp }) end
local how = 'new'
if redis.call('EXISTS', unpackArgs(KEYS, 2, #KEYS)) > 0 then how = 'adopted' end
if how == 'adopted' and ARGV[2] == '1' then return reply({ 'unstamped', '' }) end
redis.call('SET', KEYS[1], ARGV[1])
return reply({ how, ARGV[1] })
