-- wrk script for bench/perf.py: GETs of one path, or POSTs of prepared bodies (one per line
-- of BENCH_BODIES.<thread>; each sent once, then the thread stops). Every answer's status is
-- counted and every 303's Location kept, so the benchmark can check each one was stored once.
-- done() writes a JSON report to BENCH_OUT.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  locations = {}
  bodies = nil
  sent = 0
  local prefix = os.getenv("BENCH_BODIES")
  if prefix ~= nil and prefix ~= "" then
    bodies = {}
    for line in io.lines(prefix .. "." .. id) do
      table.insert(bodies, line)
    end
  end
  extra = os.getenv("BENCH_HEADER")
end

function request()
  local headers = {}
  if extra ~= nil and extra ~= "" then
    local name, value = extra:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  if bodies == nil then
    return wrk.format("GET", nil, headers)
  end
  sent = sent + 1
  if sent > #bodies then
    wrk.thread:stop()
    return wrk.format("GET", "/favicon-not-there", headers)
  end
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", nil, headers, bodies[sent])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 303 then
    table.insert(locations, headers["Location"] or "")
  end
end

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  local parts = {}
  for _, thread in ipairs(threads) do
    local st = thread:get("statuses")
    for code, n in pairs(st) do
      table.insert(parts, '{"status":' .. code .. ',"count":' .. n .. '}')
    end
  end
  local locs = {}
  for _, thread in ipairs(threads) do
    for _, loc in ipairs(thread:get("locations")) do
      table.insert(locs, json_string(loc))
    end
  end
  out:write('{"duration_us":' .. summary.duration .. ',"requests":' .. summary.requests ..
    ',"errors":{"connect":' .. summary.errors.connect .. ',"read":' .. summary.errors.read ..
    ',"write":' .. summary.errors.write .. ',"status":' .. summary.errors.status ..
    ',"timeout":' .. summary.errors.timeout .. '}' ..
    ',"p50_us":' .. latency:percentile(50) .. ',"p99_us":' .. latency:percentile(99) ..
    ',"statuses":[' .. table.concat(parts, ",") .. ']' ..
    ',"locations":[' .. table.concat(locs, ",") .. ']}')
  out:close()
end
