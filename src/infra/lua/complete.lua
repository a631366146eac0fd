--[[
  complete: record the results of a batch of leases. Each is written only while
  its fence is still the task's current fence, so a worker that lost its lease
  can never overwrite a newer attempt.

  Input:
    KEYS[1] active set
    KEYS[2] completed set (score: finish time)
    KEYS[3] slot guard: a key never written (keys.ts slotGuard)
    ARGV[1] per-task key prefix
    ARGV[2] completed retention ms (record expiry)
    ARGV[3] dedup window ms
    ARGV[4] number of leases N
    ARGV[5] completed retention count: only the newest this many stay indexed
    ARGV[6 + 3i .. 8 + 3i] lease i: id, fence, result JSON
    ARGV[last] host clock for ioredis-mock, empty for real Redis (includes/base.mock.lua nowMs)

  Output:
    N integers in input order: 1 completed, 0 stale (nothing written)

  Replay: a lease found completed under the caller's fence answers 1 again, and
  nothing is written twice (the first result stays): only this fence's complete can
  have put it there.
  Limit: a replay after the record was reaped (the completed retention) answers 0.

  A result over 64 bytes is stored in its own key (keys.ts result), marked by the
  record's field `rk`, with the record's expiry (includes/records.lua).

  Also deletes completed records past the retention (older than ARGV[2], or
  beyond the newest ARGV[5]), with their index entries: up to twice N, at least
  200 (includes/reap.lua reapCompleted), so reaping keeps pace with completions.
]]
-- includes: base, batch, reap, records
local prefix, retention, window = ARGV[1], ARGV[2], ARGV[3]
local n = tonumber(ARGV[4])
local now = nowMs()
local out = {}
local finished, indexed = {}, {}
local nowStr = fmt(now)
for i = 0, n - 1 do
  local b = 6 + i * 3
  local id = ARGV[b]
  local taskKey = prefix .. 't:' .. id
  local f = hmget(taskKey, 'state', 'fence', 'pk')
  if f[1] == 'active' and tonumber(f[2]) == tonumber(ARGV[b + 1]) then
    -- The owner stays on the record: it says which worker completed the task.
    -- A long result goes to its own key, expiring with the record (includes/records.lua).
    local result = ARGV[b + 2]
    if #result > INLINE_MAX then
      -- A zero retention deletes the record at once (PEXPIRE 0), and SET refuses PX 0.
      if tonumber(retention) > 0 then redis.call('SET', resultKey(prefix, id), result, 'PX', retention) end
      redis.call('HSET', taskKey, 'state', 'completed', 'rk', '1', 'ft', nowStr)
    else
      redis.call('HSET', taskKey, 'state', 'completed', 'res', result, 'ft', nowStr)
    end
    finished[#finished + 1] = id
    indexed[#indexed + 1] = nowStr
    indexed[#indexed + 1] = id
    expireRecord(prefix, id, retention, f[3])
    rememberId(prefix, id, window)
    out[#out + 1] = 1
  elseif f[1] == 'completed' and tonumber(f[2]) == tonumber(ARGV[b + 1]) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
zremMany(KEYS[1], finished)
zaddMany(KEYS[2], indexed)
-- The completed set indexes records that still exist: free what is past the retention.
reapCompleted(prefix, KEYS[2], now, retention, ARGV[5], math.max(REAP_MAX, 2 * n))
return reply(out)
