-- Cancel and revert the invoices of this thread's slice of the cycle pool, each invoice only
-- after the answer to its previous transition came back: an invoice's cancel and revert never
-- race, however long one request takes. Requests alternate between cancelling the next issued
-- invoice (untouched ones first, then those reverted longest ago) and reverting the invoice
-- cancelled longest ago, so the load walks the whole slice.
local common = require("common")

local function queue()
  return { first = 1, last = 0 }
end

local function push(items, value)
  items.last = items.last + 1
  items[items.last] = value
end

local function pop(items)
  if items.first > items.last then
    return nil
  end
  local value = items[items.first]
  items[items.first] = nil
  items.first = items.first + 1
  return value
end

local issued, cancelled = queue(), queue()
local untouched = 0

local function next_issued()
  local first, size = common.my_slice()
  if untouched < size then
    untouched = untouched + 1
    return first + untouched - 1
  end
  return pop(issued)
end

local function transition(id, action)
  local body = string.format('{"id": %d}', id)
  return common.request("POST", "/api/v1/invoices/" .. id .. "/" .. action, common.tenant_of(id), body)
end

common.serve(function(n)
  local id
  if n % 2 == 0 then
    id = pop(cancelled)
    if id then
      return transition(id, "revert-cancel")
    end
  end
  id = next_issued()
  if id then
    return transition(id, "cancel")
  end
  id = pop(cancelled)
  if id then
    return transition(id, "revert-cancel")
  end
  -- Every invoice of the slice is in flight: the slice is too small for the connections.
  local first = common.my_slice()
  return transition(first, "cancel")
end, function(status, body)
  if status ~= 200 then
    return
  end
  -- The answer is {"data": {"invoice": {"id": N, ..., "status": "..."}}}: the first id and status are the invoice's.
  local id = tonumber(body:match('"id":(%d+)'))
  local state = body:match('"status":"(%a+)"')
  if id and state == "cancelled" then
    push(cancelled, id)
  elseif id and state == "issued" then
    push(issued, id)
  end
end)
