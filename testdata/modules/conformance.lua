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

-- opt treats an absent or empty string field as unset, as the Go side's
-- zero values are sent.
local function opt(v, default)
  if v == nil or v == "" then return default end
  return v
end

local function create_leaderboard(_, payload)
  local p = nk.json_decode(payload)
  nk.leaderboard_create(p.id, p.authoritative or false, opt(p.sort_order, "desc"), opt(p.operator, "best"),
    opt(p.reset_schedule, nil), p.metadata or {}, p.enable_ranks or false)
  return nk.json_encode({ id = p.id })
end
nk.register_rpc(create_leaderboard, "conformance_create_leaderboard")

local function create_tournament(_, payload)
  local p = nk.json_decode(payload)
  nk.tournament_create(p.id, p.authoritative or false, opt(p.sort_order, "desc"), opt(p.operator, "best"),
    p.duration or 0, opt(p.reset_schedule, nil), p.metadata or {},
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

-- Fails with the payload's code and message ({"code": 3, "message": "..."}).
local function fail(_, payload)
  local p = nk.json_decode(payload)
  error({ p.message, p.code })
end
nk.register_rpc(fail, "conformance_fail")

-- Sends a persistent chat message (payload: channel_id, content, sender_id,
-- username) and answers with its message_id.
local function send_channel_message(_, payload)
  local p = nk.json_decode(payload)
  local ack = nk.channel_message_send(p.channel_id, p.content or {}, p.sender_id, p.username, true)
  return nk.json_encode({ message_id = ack.messageId })
end
nk.register_rpc(send_channel_message, "conformance_send_channel_message")

-- Authoritative matches: conformance_match.lua is the handler; its payloads
-- are MatchCreate and MatchCreated in nakamatest/conformance/realtime.go.
local function create_match(_, payload)
  local p = nk.json_decode(payload)
  local id = nk.match_create("conformance_match", { label = p.label or "" })
  return nk.json_encode({ match_id = id })
end
nk.register_rpc(create_match, "conformance_create_match")

local function stop_match(_, payload)
  local p = nk.json_decode(payload)
  nk.match_signal(p.match_id, "stop")
  return "{}"
end
nk.register_rpc(stop_match, "conformance_stop_match")
