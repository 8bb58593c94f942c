-- wrk script: POST one JSON body over and over, optionally with a unique Idempotency-Key per request.
--
--   wrk ... -s bench/lua/post_json.lua URL -- BODY_FILE TOKEN NONCE USE_KEY
--
-- BODY_FILE  path of the JSON body
-- TOKEN      bearer token, or "-" for none
-- NONCE      prefix of the Idempotency-Keys (unique per wrk run, so runs never replay each other)
-- USE_KEY    "1": send Idempotency-Key = NONCE-<thread id>-<counter>; "0": no key
--
-- done() prints one line "BENCH_JSON {...}" with exact percentiles (microseconds), wrk's error counters
-- and the count of every HTTP status seen, which the Python driver parses.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   local f = assert(io.open(args[1], "rb"))
   local body = f:read("*a")
   f:close()
   token = args[2] or "-"
   nonce = args[3] or "run"
   use_key = args[4] == "1"
   counter = 0
   statuses = {}
   wrk.method = "POST"
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
   if token ~= "-" and token ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. token
   end
   if not use_key then
      static_request = wrk.format()
   end
end

function request()
   if static_request then
      return static_request
   end
   counter = counter + 1
   wrk.headers["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. counter
   return wrk.format()
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local merged = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses") or {}
      for status, n in pairs(counts) do
         merged[status] = (merged[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(merged) do
      table.insert(parts, string.format('"%d":%d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
      '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d},"statuses":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9),
      table.concat(parts, ",")))
end
