-- Issue the drafts of this thread's slice, each once, in order. A thread that runs past its
-- slice issues invoices again (409s, counted as errors; bench/run.py says the pool ran out).
local common = require("common")

common.serve(function(n)
  local first, size = common.my_slice()
  local id = first + n % size
  return common.request("POST", "/api/v1/invoices/" .. id .. "/issue", common.tenant_of(id), nil)
end)
