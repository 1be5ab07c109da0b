-- One invoice, any state, by a random id.
local common = require("common")

common.serve(function(n)
  local id = common.random_id(common.options.first, common.options.count)
  return common.request("GET", "/api/v1/invoices/" .. id, common.tenant_of(id), nil)
end)
