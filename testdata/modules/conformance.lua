-- Server-side fixtures for gonakama's conformance suite
-- (nakamatest/conformance). Load it into a Nakama server with
--   nakama --runtime.path <this folder> ...
-- The suite calls these functions as server-to-server RPCs with the http
-- key; their payloads are described in nakamatest/conformance/fixtures.go.
local nk = require("nakama")

local function echo(_, payload)
  return payload
end
nk.register_rpc(echo, "conformance_echo")

local function create_leaderboard(_, payload)
  local p = nk.json_decode(payload)
  nk.leaderboard_create(p.id, p.authoritative or false, p.sort_order or "desc", p.operator or "best",
    p.reset_schedule ~= "" and p.reset_schedule or nil, p.metadata or {}, p.enable_ranks or false)
  return nk.json_encode({ id = p.id })
end
nk.register_rpc(create_leaderboard, "conformance_create_leaderboard")

local function create_tournament(_, payload)
  local p = nk.json_decode(payload)
  nk.tournament_create(p.id, p.authoritative or false, p.sort_order or "desc", p.operator or "best",
    p.duration or 0, p.reset_schedule ~= "" and p.reset_schedule or nil, p.metadata or {},
    p.title or "", p.description or "", p.category or 0, p.start_time or 0, p.end_time or 0,
    p.max_size or 0, p.max_num_score or 0, p.join_required or false, p.enable_ranks or false)
  return nk.json_encode({ id = p.id })
end
nk.register_rpc(create_tournament, "conformance_create_tournament")

local function send_notification(_, payload)
  local p = nk.json_decode(payload)
  local sender = p.sender_id
  if sender == "" then sender = nil end
  nk.notification_send(p.user_id, p.subject, p.content or {}, p.code, sender, p.persistent or false)
  return "{}"
end
nk.register_rpc(send_notification, "conformance_send_notification")
