-- Shared by get.lua and post.lua (bench/load.py runs wrk with one of them): the sessions file,
-- what each thread counted, and one line of JSON for bench/load.py when wrk is done.
--
-- The sessions file has one request target a line, tab-separated: path, Cookie header (empty for
-- an anonymous visitor), CSRF token (POSTs only). Each thread takes the lines in turn, starting
-- at a different one, so the connections of a run spread over every session and school.

local threads = {}
local numbered = 0

-- Main state, once per thread before its init: number the threads (a POST's form key holds the
-- number, so two threads never make the same key).
function setup(thread)
  numbered = numbered + 1
  thread:set("id", numbered)
  table.insert(threads, thread)
end

-- Per thread (globals of the thread's own Lua state, read back in done()).
sent = 0       -- requests written (request() was asked for them), answered or not
codes = {}     -- status -> answers
recorded = 0   -- POST answers that confirm an entry (a 303, or a 200 with the saved lines)
lines = {}
at = 0

function read_sessions(file)
  for line in io.lines(file) do
    local path, cookie, csrf = line:match("^([^\t]*)\t?([^\t]*)\t?([^\t]*)$")
    if path and path ~= "" then
      table.insert(lines, { path = path, cookie = cookie or "", csrf = csrf or "" })
    end
  end
  if #lines == 0 then
    error("no sessions in " .. file)
  end
  at = (id - 1) * 7 % #lines -- a different first line per thread
end

function next_line()
  at = at % #lines + 1
  sent = sent + 1
  return lines[at]
end

function count(status)
  codes[status] = (codes[status] or 0) + 1
end

-- Main state: the summary and every thread's counts as one line, "SASWRK {json}".
function done(summary, latency, requests)
  local total_sent, total_recorded, merged = 0, 0, {}
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_recorded = total_recorded + thread:get("recorded")
    for status, n in pairs(thread:get("codes")) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local statuses = {}
  for status, n in pairs(merged) do
    table.insert(statuses, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'SASWRK {"duration_us": %d, "requests": %d, "bytes": %d, "sent": %d, "recorded": %d, '
      .. '"p50_us": %d, "p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.duration, summary.requests, summary.bytes, total_sent, total_recorded,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(statuses, ", ")))
end
