-- The authoritative match handler of gonakama's conformance suite, the twin
-- of conformanceMatch in nakamatest/conformance/realtime.go. A Lua match
-- handler is a module of its own, named after its file: the fixture
-- conformance_create_match (conformance.lua) starts it by that name.
-- It accepts every join, ignores data, answers a signal with its data, and
-- ends on the tick after the signal "stop".
local M = {}

function M.match_init(_, params)
  return { stop = false }, 1, params.label or ""
end

function M.match_join_attempt(_, _, _, state, _, _)
  return state, true
end

function M.match_join(_, _, _, state, _)
  return state
end

function M.match_leave(_, _, _, state, _)
  return state
end

function M.match_loop(_, _, _, state, _)
  if state.stop then
    return nil
  end
  return state
end

function M.match_terminate(_, _, _, _, _)
  return nil
end

function M.match_signal(_, _, _, state, data)
  if data == "stop" then
    state.stop = true
  end
  return state, data
end

return M
