-- Shared by every scenario script (found through LUA_PATH, which bench/load.py sets).
--
-- A scenario calls common.serve(next_request[, on_response]), where next_request(n) builds the
-- n-th request (n counts from 0 in each wrk thread) and on_response(status, body), if given, sees
-- every answer (wrk then hands each body to Lua, a small cost on the load generator). Options come after `--` on wrk's command line as
-- key=value pairs: tokens (a file, line t = tenant t's bearer token), tenants, threads, and the
-- scenario's id range (first, count). With rate=R (requests/s in all) each thread sends on a
-- fixed schedule instead of as fast as it can: the latency run at half the peak rate.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *now);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local common = {}

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local function parse(args)
  local options = {}
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    options[key] = tonumber(value) or value
  end
  return options
end

local function read_tokens(path)
  local tokens = {}
  for line in io.lines(path) do
    tokens[#tokens + 1] = line
  end
  return tokens
end

-- Invoice ids are dealt round-robin over the tenants (bench/layout.py).
function common.tenant_of(invoice_id)
  return (invoice_id - 1) % common.options.tenants + 1
end

function common.random_id(first, count)
  return math.random(first, first + count - 1)
end

-- The part of [first, first + count) that this thread owns.
function common.my_slice()
  local size = math.floor(common.options.count / common.options.threads)
  return common.options.first + thread_index * size, size
end

function common.request(method, path, tenant, body)
  local headers = {
    ["Authorization"] = "Bearer " .. common.tokens[tenant],
    ["X-Tenant"] = tostring(tenant),
  }
  if body then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end

function common.serve(next_request, on_response)
  local threads = {}
  local counter = 0

  function setup(thread)
    thread:set("thread_index", counter)
    counter = counter + 1
    threads[#threads + 1] = thread
  end

  function init(args)
    common.options = parse(args)
    common.tokens = read_tokens(common.options.tokens)
    math.randomseed(os.time() * 1000 + thread_index)
    sent = 0
    if (common.options.rate or 0) > 0 then
      local interval = 1000 * common.options.threads / common.options.rate
      local next_at = nil
      -- wrk asks before each request how many ms to wait: keep this thread on its schedule.
      function delay()
        local now = now_ms()
        next_at = math.max(next_at or now, now - interval) + interval
        return math.max(0, math.floor(next_at - now))
      end
    end
  end

  function request()
    local built = next_request(sent)
    sent = sent + 1
    return built
  end

  if on_response then
    function response(status, headers, body)
      on_response(status, body)
    end
  end

  function done(summary, latency, requests)
    local most = 0
    for _, thread in ipairs(threads) do
      most = math.max(most, thread:get("sent") or 0)
    end
    local errors = summary.errors
    io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, ' ..
      '"p50_us": %d, "p99_us": %d, "most_sent_by_a_thread": %d}\n',
      summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.status + errors.timeout,
      errors.status, latency:percentile(50), latency:percentile(99), most))
  end
end

return common
