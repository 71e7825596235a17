-- POST a contribution with wrk: `wrk -s bench/wrk/post.lua URL -- SESSIONS_FILE TAG DAY`.
-- Each line of the file is the form's path, a committee member's Cookie header and the CSRF
-- token of that session. Every POST carries a new one-time form key: TAG (16 hex digits, one
-- per run, so bench/load.py finds this run's entries), the thread's number and a counter.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local tag, day

function init(args)
  read_sessions(args[1])
  tag, day = args[2], args[3]
end

function request()
  local line = next_line()
  local body = "csrf_token=" .. line.csrf
    .. "&form_key=" .. tag .. string.format("%04x%012x", id, sent)
    .. "&amount=5.000&occurred_on=" .. day .. "&source=anonymous"
  return wrk.format("POST", line.path, {
    Cookie = line.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

-- A recording answers with a redirect to its entry or with the confirmation page listing it;
-- anything else (a 422 form, a 5xx) recorded nothing that bench/load.py should expect.
function response(status, headers, body)
  count(status)
  if status == 303 or status == 302 or (status == 200 and body:find('id="saved-lines"', 1, true)) then
    recorded = recorded + 1
  end
end
