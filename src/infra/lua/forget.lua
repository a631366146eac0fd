--[[
  forget: clear the dedup marker of a finished id on purpose, so the id may be
  enqueued again before its dedup window ends. Never touches a record.

  Input:
    KEYS[1] task record
    KEYS[2] dedup marker

  Output:
    -1 the record still exists: nothing was changed (forgetting it would let a
       second task overwrite a stored one)
    1 the marker was cleared; 0 there was none
]]
-- includes:
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
return redis.call('DEL', KEYS[2])
