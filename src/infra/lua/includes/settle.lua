--[[
  Settling a lease (fail, release): what a call answers when the caller's fence no longer
  holds an active lease, so that a resent call answers as its first run did.
]]
-- includes:

-- nil while `fence` (the caller's) holds the task's active lease: the caller goes on.
-- Otherwise the answer: the outcome that this fence's earlier run recorded (`sf`, `so` on
-- the record: this call is its replay), or 0 (stale).
local function settledAnswer(state, currentFence, settledFence, settledOutcome, fence)
  if tonumber(currentFence) ~= fence then return 0 end
  if state == 'active' then return nil end
  if tonumber(settledFence) == fence then return tonumber(settledOutcome) end
  return 0
end
