-- wrk script shared by every scenario. Environment:
--   CODES_FILE  one code per line (GET /v1/enterprises/{code}/credit picks one at random)
--   SCENARIO    credit | batch | search | intake
--   BODY_FILE   request body for batch and intake
--   AUTH        bearer token, if any
local scenario = os.getenv("SCENARIO") or "credit"
local codes = {}
local body = nil

function init(args)
  local f = os.getenv("CODES_FILE")
  if f then for line in io.lines(f) do codes[#codes + 1] = line end end
  local b = os.getenv("BODY_FILE")
  if b then local h = io.open(b, "r"); body = h:read("*a"); h:close() end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

local words = {"食品", "电器", "乳业", "机械", "五金"}

function request()
  local headers = {["Content-Type"] = "application/json"}
  local auth = os.getenv("AUTH")
  if auth then
    headers["Authorization"] = "Bearer " .. auth
    headers["X-Purpose"] = "benchmark"  -- partners must state why they look
  end
  if scenario == "credit" then
    return wrk.format("GET", "/v1/enterprises/" .. codes[math.random(#codes)] .. "/credit", headers)
  elseif scenario == "search" then
    local q = words[math.random(#words)] .. "有限公司" .. math.random(0, 99)
    return wrk.format("GET", "/v1/enterprises?q=" .. q:gsub("[^%w]", function(c)
      return string.format("%%%02X", string.byte(c)) end), headers)
  elseif scenario == "batch" then
    return wrk.format("POST", "/v1/credit-status:batch", headers, body)
  else
    return wrk.format("POST", "/v1/complaints", headers, body)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
