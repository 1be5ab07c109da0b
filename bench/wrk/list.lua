-- A page of 50, newest first, continuing after a random invoice of its tenant (the cursor is an
-- id). The range starts high enough that every page is full.
local common = require("common")

common.serve(function(n)
  local cursor = common.random_id(common.options.first, common.options.count)
  local path = "/api/v1/invoices?limit=50&cursor=" .. cursor
  return common.request("GET", path, common.tenant_of(cursor), nil)
end)
