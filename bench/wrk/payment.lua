-- A small payment on a random invoice of the payable pool: each is issued for 1,200,000.00, so
-- no run of the benchmark pays one off.
local common = require("common")
local BODY = '{"amount": "0.01", "method": "bank_transfer"}'

common.serve(function(n)
  local id = common.random_id(common.options.first, common.options.count)
  return common.request("POST", "/api/v1/invoices/" .. id .. "/payments", common.tenant_of(id), BODY)
end)
