-- GET one page with wrk: `wrk -s bench/wrk/get.lua URL -- SESSIONS_FILE`. Each line of the
-- file is a path and the Cookie header of a signed-in session (empty: an anonymous visitor).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  read_sessions(args[1])
end

function request()
  local line = next_line()
  if line.cookie == "" then
    return wrk.format("GET", line.path)
  end
  return wrk.format("GET", line.path, { Cookie = line.cookie })
end

function response(status, headers, body)
  count(status)
end
