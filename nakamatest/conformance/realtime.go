package conformance

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
)

// The realtime socket's cases. Each runs once per wire format (the socket
// under test speaks it; its peers mix formats), and checks what reaches
// every party: answers, error envelopes, and the events the server pushes.

// Fixtures for authoritative matches; the Lua module defines the same.
const (
	// FixtureCreateMatch starts a conformance_match with a MatchCreate and
	// answers with a MatchCreated.
	FixtureCreateMatch = "conformance_create_match"
	// FixtureStopMatch ends a conformance_match (a MatchStop): it is
	// signalled "stop" and ends on its next tick.
	FixtureStopMatch = "conformance_stop_match"
	// fixtureMatchModule is the match handler's name: it accepts every
	// join, ignores data, and answers a signal with its data.
	fixtureMatchModule = "conformance_match"
)

// MatchCreate is FixtureCreateMatch's payload.
type MatchCreate struct {
	Label string `json:"label"`
}

// MatchCreated is FixtureCreateMatch's answer, and FixtureStopMatch's
// payload.
type MatchCreated struct {
	MatchID string `json:"match_id"`
}

// conformanceMatch is the Go twin of the Lua module's conformance_match.
type conformanceMatch struct{}

type conformanceMatchState struct{ stop bool }

func (conformanceMatch) MatchInit(_ context.Context, params map[string]any) (any, int, string) {
	label, _ := params["label"].(string)
	return &conformanceMatchState{}, 1, label
}

func (conformanceMatch) MatchJoinAttempt(_ context.Context, _ runtime.MatchDispatcher, _ int64, state any, _ runtime.Presence, _ map[string]string) (any, bool, string) {
	return state, true, ""
}

func (conformanceMatch) MatchJoin(_ context.Context, _ runtime.MatchDispatcher, _ int64, state any, _ []runtime.Presence) any {
	return state
}

func (conformanceMatch) MatchLeave(_ context.Context, _ runtime.MatchDispatcher, _ int64, state any, _ []runtime.Presence) any {
	return state
}

func (conformanceMatch) MatchLoop(_ context.Context, _ runtime.MatchDispatcher, _ int64, state any, _ []runtime.MatchData) any {
	if state.(*conformanceMatchState).stop {
		return nil
	}
	return state
}

func (conformanceMatch) MatchTerminate(context.Context, runtime.MatchDispatcher, int64, any, int) any {
	return nil
}

func (conformanceMatch) MatchSignal(_ context.Context, _ runtime.MatchDispatcher, _ int64, state any, data string) (any, string) {
	if data == "stop" {
		state.(*conformanceMatchState).stop = true
	}
	return state, data
}

func init() {
	installers = append(installers, func(s *nakamatest.Server) {
		s.RegisterMatch(fixtureMatchModule, conformanceMatch{})
		s.RegisterRPC(FixtureCreateMatch, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			var p MatchCreate
			if err := json.Unmarshal([]byte(in.Payload), &p); err != nil {
				return "", err
			}
			id, err := s.CreateMatch(fixtureMatchModule, map[string]any{"label": p.Label})
			if err != nil {
				return "", err
			}
			b, err := json.Marshal(MatchCreated{MatchID: id})
			return string(b), err
		})
		s.RegisterRPC(FixtureStopMatch, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			var p MatchCreated
			if err := json.Unmarshal([]byte(in.Payload), &p); err != nil {
				return "", err
			}
			if _, err := s.SignalMatch(p.MatchID, "stop"); err != nil {
				return "", err
			}
			return "{}", nil
		})
		// A real server runs its matchmaker every 15 seconds; the suite
		// need not wait that long here.
		s.SetMatchmakerInterval(250 * time.Millisecond)
	})

	register(
		Case{Name: "realtime/connect", Run: rtConnect},
		Case{Name: "realtime/chat-room", Run: rtChatRoom},
		Case{Name: "realtime/chat-direct", Run: rtChatDirect},
		Case{Name: "realtime/chat-group", Run: rtChatGroup},
		Case{Name: "realtime/match-relayed", Run: rtMatchRelayed},
		Case{Name: "realtime/match-authoritative", Run: rtMatchAuthoritative},
		Case{Name: "realtime/matchmaker", Run: rtMatchmaker},
		Case{Name: "realtime/party", Run: rtParty},
		Case{Name: "realtime/status", Run: rtStatus},
		Case{Name: "realtime/rpc", Run: rtRPC},
		Case{Name: "realtime/concurrency", Run: rtConcurrency},
	)
}

var rtAllFormats = []nakama.SocketFormat{nakama.SocketJSON, nakama.SocketProtobuf}

// rtEachFormat runs fn once per wire format; other is the format the
// socket's peers use, so every pairing is seen.
func rtEachFormat(t *testing.T, fn func(t *testing.T, f, other nakama.SocketFormat)) {
	for i, f := range rtAllFormats {
		t.Run(f.String(), func(t *testing.T) { fn(t, f, rtAllFormats[1-i]) })
	}
}

// rtWait bounds a wait for a server-pushed event. A real server's tracker
// delivers events from a goroutine of its own, shortly after the answers.
const rtWait = 15 * time.Second

// rtSock is a connected socket whose events queue up for the case.
type rtSock struct {
	t *testing.T
	*nakama.WebSocket
	session *nakama.Session

	mu     sync.Mutex
	events []any
	signal chan struct{}
}

// rtDisconnected is the OnDisconnect event.
type rtDisconnected struct{ err error }

func (h *Harness) socket(t *testing.T, s *nakama.Session, f nakama.SocketFormat, opts *nakama.ConnectOptions) *rtSock {
	t.Helper()
	ws, err := nakama.NewWebSocket(h.Target.URL, &nakama.SocketOptions{Format: f, AutoDispatch: true})
	Must(t, err)
	c := &rtSock{t: t, WebSocket: ws, session: s, signal: make(chan struct{}, 1)}
	push := func(v any) {
		c.mu.Lock()
		c.events = append(c.events, v)
		c.mu.Unlock()
		select {
		case c.signal <- struct{}{}:
		default:
		}
	}
	ws.OnChannelMessage(func(m *api.ChannelMessage) { push(m) })
	ws.OnChannelPresence(func(m *rtapi.ChannelPresenceEvent) { push(m) })
	ws.OnMatchData(func(m *rtapi.MatchData) { push(m) })
	ws.OnMatchPresence(func(m *rtapi.MatchPresenceEvent) { push(m) })
	ws.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) { push(m) })
	ws.OnNotification(func(m *api.Notification) { push(m) })
	ws.OnStatusPresence(func(m *rtapi.StatusPresenceEvent) { push(m) })
	ws.OnParty(func(m *rtapi.Party) { push(m) })
	ws.OnPartyClose(func(m *rtapi.PartyClose) { push(m) })
	ws.OnPartyData(func(m *rtapi.PartyData) { push(m) })
	ws.OnPartyJoinRequest(func(m *rtapi.PartyJoinRequest) { push(m) })
	ws.OnPartyLeader(func(m *rtapi.PartyLeader) { push(m) })
	ws.OnPartyPresence(func(m *rtapi.PartyPresenceEvent) { push(m) })
	ws.OnPartyMatchmakerTicket(func(m *rtapi.PartyMatchmakerTicket) { push(m) })
	ws.OnPartyUpdate(func(m *rtapi.PartyUpdate) { push(m) })
	ws.OnError(func(err error) { push(err) })
	ws.OnDisconnect(func(err error) { push(rtDisconnected{err}) })
	Must(t, ws.Connect(h.Ctx(t), s, opts))
	t.Cleanup(func() { _ = ws.Close() })
	// A real server subscribes a socket to its streams just after the
	// upgrade; the answer to a ping proves it has, so no event is missed.
	Must(t, ws.Ping(h.Ctx(t)))
	return c
}

// await returns the first queued event of type T that match accepts (nil
// accepts any), leaving the others queued; it fails the test after rtWait.
func await[T any](c *rtSock, match func(T) bool) T {
	c.t.Helper()
	return awaitFor(c, rtWait, match)
}

func awaitFor[T any](c *rtSock, wait time.Duration, match func(T) bool) T {
	c.t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		for i, v := range c.events {
			if x, ok := v.(T); ok && (match == nil || match(x)) {
				c.events = append(c.events[:i:i], c.events[i+1:]...)
				c.mu.Unlock()
				return x
			}
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-deadline.C:
			var zero T
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t.Fatalf("no %T within %v; queued: %v", zero, wait, c.events)
			return zero
		}
	}
}

// quiet checks that no event of type T that match accepts arrives within
// a short while.
func quiet[T any](c *rtSock, match func(T) bool) {
	c.t.Helper()
	time.Sleep(300 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.events {
		if x, ok := v.(T); ok && (match == nil || match(x)) {
			c.t.Fatalf("unexpected %T: %v", v, v)
		}
	}
}

// rtErr asserts that err is the server's error envelope with the code and
// message.
func rtErr(t *testing.T, err error, code rtapi.Error_Code, msg string) {
	t.Helper()
	var se *nakama.SocketError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want the error envelope %v %q", err, code, msg)
	}
	if se.Code != code || se.Message != msg {
		t.Fatalf("got %v %q, want %v %q", se.Code, se.Message, code, msg)
	}
}

// eventually polls cond, which a real server may satisfy only after its
// listing indexes catch up (once a second).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(rtWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, rtWait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func rtConnect(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, _ nakama.SocketFormat) {
		s := h.NewUser(t)
		c := h.socket(t, s, f, &nakama.ConnectOptions{AppearOnline: true, Lang: "pt-BR"})
		if !c.IsConnected() {
			t.Fatal("not connected")
		}
		Must(t, c.Ping(h.Ctx(t)))
		// A session that appears online is online to everyone.
		eventually(t, "online", func() bool {
			users, err := h.Client.GetUsers(h.Ctx(t), s, []string{s.UserID()}, nil, nil)
			return err == nil && len(users.Users) == 1 && users.Users[0].Online
		})
		Must(t, c.Close())
		if c.IsConnected() {
			t.Fatal("connected after Close")
		}
		if err := c.Ping(h.Ctx(t)); !errors.Is(err, nakama.ErrSocketClosed) {
			t.Fatalf("ping after close: %v", err)
		}
		eventually(t, "offline after close", func() bool {
			users, err := h.Client.GetUsers(h.Ctx(t), s, []string{s.UserID()}, nil, nil)
			return err == nil && len(users.Users) == 1 && !users.Users[0].Online
		})

		// A socket without AutoDispatch runs its handlers in Tick.
		ws, err := nakama.NewWebSocket(h.Target.URL, &nakama.SocketOptions{Format: f})
		Must(t, err)
		var got []*api.Notification
		ws.OnNotification(func(n *api.Notification) { got = append(got, n) })
		Must(t, ws.Connect(h.Ctx(t), s, nil))
		// A real server registers a socket for notifications only after the
		// upgrade; an answered request proves that is done, so a live
		// notification sent now cannot be lost.
		Must(t, ws.Ping(h.Ctx(t)))
		defer ws.Close()
		subject := h.Unique("tick")
		h.Fixture(t, FixtureSendNotification, Notification{UserID: s.UserID(), Subject: subject,
			Content: map[string]any{"k": 1}, Code: 7}, nil)
		eventually(t, "notification through Tick", func() bool {
			ws.Tick()
			return len(got) > 0
		})
		if got[0].Subject != subject || got[0].Code != 7 || got[0].Persistent || got[0].Content != `{"k":1}` {
			t.Errorf("notification %v", got[0])
		}

		// A token the server did not sign is refused at the handshake.
		bad, err := nakama.RestoreSession(s.Token()[:len(s.Token())-2]+"xx", s.RefreshToken())
		Must(t, err)
		ws2, err := nakama.NewWebSocket(h.Target.URL, &nakama.SocketOptions{Format: f})
		Must(t, err)
		err = ws2.Connect(h.Ctx(t), bad, nil)
		var de *nakama.SocketDialError
		if !errors.As(err, &de) || de.HTTPStatus != 401 || !errors.Is(err, nakama.ErrUnauthenticated) {
			t.Fatalf("bad token: %v", err)
		}
		if e := Code(t, err, nakama.Unauthenticated); e.Message != "Missing or invalid token" {
			t.Errorf("bad token message %q", e.Message)
		}
	})
}

func rtChatRoom(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb := h.NewUser(t), h.NewUser(t)
		a := h.socket(t, sa, f, nil)
		b := h.socket(t, sb, other, nil)
		room := h.Unique("room")
		ch, err := a.JoinChat(h.Ctx(t), room, rtapi.ChannelJoin_ROOM, nil)
		Must(t, err)
		if ch.Id != "2..."+room || ch.RoomName != room || len(ch.Presences) != 0 || ch.Self.GetUserId() != sa.UserID() ||
			ch.Self.GetUsername() != sa.Username() || !ch.Self.GetPersistence() {
			t.Fatalf("joined %v", ch)
		}
		// The joiner hears of their own join.
		ev := await(a, func(ev *rtapi.ChannelPresenceEvent) bool { return len(ev.Joins) == 1 })
		if ev.ChannelId != ch.Id || ev.RoomName != room || ev.Joins[0].SessionId != ch.Self.SessionId {
			t.Fatalf("own join %v", ev)
		}
		chB, err := b.JoinChat(h.Ctx(t), room, rtapi.ChannelJoin_ROOM, nil)
		Must(t, err)
		if len(chB.Presences) != 1 || chB.Presences[0].UserId != sa.UserID() || !chB.Presences[0].Persistence {
			t.Fatalf("second joiner sees %v", chB.Presences)
		}
		await(a, func(ev *rtapi.ChannelPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
		})

		ack, err := a.WriteChatMessage(h.Ctx(t), ch.Id, `{"text":"hi"}`)
		Must(t, err)
		if ack.ChannelId != ch.Id || ack.RoomName != room || ack.Code.GetValue() != 0 || !ack.Persistent.GetValue() ||
			ack.Username != sa.Username() || ack.MessageId == "" {
			t.Fatalf("ack %v", ack)
		}
		for _, c := range []*rtSock{a, b} {
			m := await(c, func(m *api.ChannelMessage) bool { return m.MessageId == ack.MessageId })
			if m.Content != `{"text":"hi"}` || m.SenderId != sa.UserID() || m.Code.GetValue() != 0 || m.RoomName != room ||
				!m.CreateTime.AsTime().Equal(ack.CreateTime.AsTime()) {
				t.Fatalf("message %v", m)
			}
		}
		up, err := a.UpdateChatMessage(h.Ctx(t), ch.Id, ack.MessageId, `{"text":"hello"}`)
		Must(t, err)
		if up.Code.GetValue() != 1 || up.MessageId != ack.MessageId || !up.CreateTime.AsTime().Equal(ack.CreateTime.AsTime().Truncate(time.Microsecond)) {
			t.Fatalf("update ack %v (sent at %v)", up, ack.CreateTime.AsTime())
		}
		m := await(b, func(m *api.ChannelMessage) bool { return m.Code.GetValue() == 1 })
		if m.Content != `{"text":"hello"}` || m.MessageId != ack.MessageId {
			t.Fatalf("update %v", m)
		}
		// Only the sender may change or remove a message.
		_, err = b.UpdateChatMessage(h.Ctx(t), ch.Id, ack.MessageId, `{}`)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Could not find message to update in channel history")
		_, err = b.RemoveChatMessage(h.Ctx(t), ch.Id, ack.MessageId)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Could not find message to remove in channel history")

		// The history holds the message as updated.
		list, err := h.Client.ListChannelMessages(h.Ctx(t), sb, ch.Id, &nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Limit: 10}})
		Must(t, err)
		if len(list.Messages) != 1 || list.Messages[0].MessageId != ack.MessageId || list.Messages[0].Content != `{"text": "hello"}` ||
			list.Messages[0].Code.GetValue() != 0 || list.Messages[0].RoomName != room ||
			!list.Messages[0].CreateTime.AsTime().Equal(ack.CreateTime.AsTime().Truncate(time.Microsecond)) {
			t.Fatalf("history %v", list.Messages)
		}

		rm, err := a.RemoveChatMessage(h.Ctx(t), ch.Id, ack.MessageId)
		Must(t, err)
		if rm.Code.GetValue() != 2 || rm.MessageId != ack.MessageId {
			t.Fatalf("remove ack %v", rm)
		}
		m = await(b, func(m *api.ChannelMessage) bool { return m.Code.GetValue() == 2 })
		if m.Content != "{}" || m.MessageId != ack.MessageId {
			t.Fatalf("removal %v", m)
		}
		list, err = h.Client.ListChannelMessages(h.Ctx(t), sb, ch.Id, nil)
		Must(t, err)
		if len(list.Messages) != 0 {
			t.Fatalf("history after removal %v", list.Messages)
		}

		// A message that is not kept: a member who turned persistence off.
		c := h.socket(t, h.NewUser(t), f, nil)
		if _, err := c.JoinChat(h.Ctx(t), room, rtapi.ChannelJoin_ROOM, &nakama.JoinChatOptions{Persistence: boolPtr(false), Hidden: true}); err != nil {
			t.Fatal(err)
		}
		ack3, err := c.WriteChatMessage(h.Ctx(t), ch.Id, `{"n":3}`)
		Must(t, err)
		if ack3.Persistent.GetValue() {
			t.Fatalf("ephemeral ack %v", ack3)
		}
		await(a, func(m *api.ChannelMessage) bool { return m.MessageId == ack3.MessageId })
		// A hidden member is never announced.
		quiet(a, func(ev *rtapi.ChannelPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].UserId == c.session.UserID()
		})
		list, err = h.Client.ListChannelMessages(h.Ctx(t), sb, ch.Id, nil)
		Must(t, err)
		if len(list.Messages) != 0 {
			t.Fatalf("ephemeral message stored %v", list.Messages)
		}

		// Error envelopes.
		_, err = a.JoinChat(h.Ctx(t), "", rtapi.ChannelJoin_ROOM, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid channel target")
		_, err = a.JoinChat(h.Ctx(t), strings.Repeat("r", 65), rtapi.ChannelJoin_ROOM, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Channel name is required and must be 1-64 chars: Invalid channel target")
		_, err = a.JoinChat(h.Ctx(t), "tab\there", rtapi.ChannelJoin_ROOM, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Channel name must not contain control chars: Invalid channel target")
		_, err = a.JoinChat(h.Ctx(t), "x", rtapi.ChannelJoin_Type(7), nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid channel type")
		for _, content := range []string{"", "[1]", "nope", `"s"`} {
			_, err = a.WriteChatMessage(h.Ctx(t), ch.Id, content)
			rtErr(t, err, rtapi.Error_BAD_INPUT, "Message content must be a valid JSON object")
		}
		_, err = a.WriteChatMessage(h.Ctx(t), "5.x", `{}`)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid channel identifier")
		_, err = a.UpdateChatMessage(h.Ctx(t), ch.Id, "not-a-uuid", `{}`)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid message identifier")
		_, err = a.WriteChatMessage(h.Ctx(t), "2..."+h.Unique("elsewhere"), `{}`)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Must join channel before sending messages")

		Must(t, b.LeaveChat(h.Ctx(t), ch.Id))
		ev = await(a, func(ev *rtapi.ChannelPresenceEvent) bool { return len(ev.Leaves) == 1 })
		if ev.Leaves[0].UserId != sb.UserID() || ev.ChannelId != ch.Id {
			t.Fatalf("leave %v", ev)
		}
		_, err = b.WriteChatMessage(h.Ctx(t), ch.Id, `{}`)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Must join channel before sending messages")
		err = b.LeaveChat(h.Ctx(t), "bad")
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid channel identifier")
	})
}

func rtChatDirect(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb := h.NewUser(t), h.NewUser(t)
		a := h.socket(t, sa, f, nil)
		b := h.socket(t, sb, other, nil)
		ch, err := a.JoinChat(h.Ctx(t), sb.UserID(), rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		Must(t, err)
		one, two := sa.UserID(), sb.UserID()
		if one > two {
			one, two = two, one
		}
		if ch.Id != "4."+one+"."+two+"." || ch.UserIdOne != one || ch.UserIdTwo != two {
			t.Fatalf("channel %v", ch)
		}
		// The other user is told, live and in their stored notifications.
		n := await(b, func(n *api.Notification) bool { return n.Code == -1 })
		var content map[string]string
		if err := json.Unmarshal([]byte(n.Content), &content); err != nil || content["username"] != sa.Username() ||
			n.Subject != sa.Username()+" wants to chat" || n.SenderId != sa.UserID() || !n.Persistent {
			t.Fatalf("notification %v", n)
		}
		stored, err := h.Client.ListNotifications(h.Ctx(t), sb, &nakama.ListNotificationsOptions{Limit: 10})
		Must(t, err)
		if len(stored.Notifications) != 1 || stored.Notifications[0].Id != n.Id {
			t.Fatalf("stored %v", stored.Notifications)
		}
		// Joining a chat the other is already in notifies no one.
		_, err = b.JoinChat(h.Ctx(t), sa.UserID(), rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		Must(t, err)
		quiet[*api.Notification](a, nil)
		ack, err := b.WriteChatMessage(h.Ctx(t), ch.Id, `{"x":1}`)
		Must(t, err)
		if ack.UserIdOne != one || ack.UserIdTwo != two {
			t.Fatalf("ack %v", ack)
		}
		m := await(a, func(m *api.ChannelMessage) bool { return m.MessageId == ack.MessageId })
		if m.UserIdOne != one || m.UserIdTwo != two || m.SenderId != sb.UserID() {
			t.Fatalf("message %v", m)
		}

		_, err = a.JoinChat(h.Ctx(t), "not-a-user", rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid user ID in direct message join: Invalid channel target")
		_, err = a.JoinChat(h.Ctx(t), "4b3b4f0e-1ab4-4dc0-9bd2-"+strings.Repeat("0", 12), rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "User ID not found: Invalid channel target")
		// A user who blocked another cannot be reached by them.
		Must(t, h.Client.BlockFriends(h.Ctx(t), sb, []string{sa.UserID()}, nil))
		c := h.socket(t, sa, f, nil)
		_, err = c.JoinChat(h.Ctx(t), sb.UserID(), rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "User ID not found: Invalid channel target")
	})
}

func rtChatGroup(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		owner, outsider := h.NewUser(t), h.NewUser(t)
		g, err := h.Client.CreateGroup(h.Ctx(t), owner, h.Unique("group"), &nakama.CreateGroupOptions{Open: true})
		Must(t, err)
		a := h.socket(t, owner, f, nil)
		b := h.socket(t, outsider, other, nil)
		ch, err := a.JoinChat(h.Ctx(t), g.Id, rtapi.ChannelJoin_GROUP, nil)
		Must(t, err)
		if ch.Id != "3."+g.Id+".." || ch.GroupId != g.Id {
			t.Fatalf("channel %v", ch)
		}
		_, err = b.JoinChat(h.Ctx(t), g.Id, rtapi.ChannelJoin_GROUP, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Group not found: Invalid channel target")
		_, err = b.JoinChat(h.Ctx(t), "x", rtapi.ChannelJoin_GROUP, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid group ID in group channel join: Invalid channel target")
		Must(t, h.Client.JoinGroup(h.Ctx(t), outsider, g.Id))
		_, err = b.JoinChat(h.Ctx(t), g.Id, rtapi.ChannelJoin_GROUP, nil)
		Must(t, err)
		ack, err := b.WriteChatMessage(h.Ctx(t), ch.Id, `{"m":1}`)
		Must(t, err)
		if ack.GroupId != g.Id {
			t.Fatalf("ack %v", ack)
		}
		if m := await(a, func(m *api.ChannelMessage) bool { return m.MessageId == ack.MessageId }); m.GroupId != g.Id {
			t.Fatalf("message %v", m)
		}
	})
}

// namedMatchID is the id the server derives from a match name: the
// name-based (SHA-1) UUID of the name in the DNS namespace.
func namedMatchID(name string) string {
	ns, _ := hex.DecodeString("6ba7b8109dad11d180b400c04fd430c8")
	sum := sha1.Sum(append(ns, name...))
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	x := hex.EncodeToString(sum[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:] + "."
}

func rtMatchRelayed(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb, sc := h.NewUser(t), h.NewUser(t), h.NewUser(t)
		a := h.socket(t, sa, f, nil)
		b := h.socket(t, sb, other, nil)
		c := h.socket(t, sc, f, nil)
		m, err := a.CreateMatch(h.Ctx(t), nil)
		Must(t, err)
		if !strings.HasSuffix(m.MatchId, ".") || strings.Count(m.MatchId, ".") != 1 || m.Authoritative || m.Size != 1 ||
			len(m.Presences) != 0 || m.Self.GetUserId() != sa.UserID() || m.Label != nil {
			t.Fatalf("created %v", m)
		}
		mb, err := b.JoinMatch(h.Ctx(t), m.MatchId, nil)
		Must(t, err)
		// The size counts the users already there, not the joiner.
		if mb.MatchId != m.MatchId || mb.Size != 1 || len(mb.Presences) != 1 || mb.Presences[0].UserId != sa.UserID() ||
			mb.Self.GetUserId() != sb.UserID() {
			t.Fatalf("joined %v", mb)
		}
		await(a, func(ev *rtapi.MatchPresenceEvent) bool {
			return ev.MatchId == m.MatchId && len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
		})
		mc, err := c.JoinMatch(h.Ctx(t), m.MatchId, nil)
		Must(t, err)
		if mc.Size != 2 {
			t.Fatalf("third joiner %v", mc)
		}
		var listed *api.Match
		l, err := h.Client.ListMatches(h.Ctx(t), sa, &nakama.ListMatchesOptions{Authoritative: boolPtr(false), Limit: 100, MinSize: int32Ptr(3), MaxSize: int32Ptr(3)})
		Must(t, err)
		for _, x := range l.Matches {
			if x.MatchId == m.MatchId {
				listed = x
			}
		}
		if listed == nil || listed.Size != 3 || listed.Authoritative {
			t.Fatalf("listing %v lacks the match", l.Matches)
		}

		Must(t, a.SendMatchData(h.Ctx(t), m.MatchId, 7, []byte("hello"), nil))
		for _, s := range []*rtSock{b, c} {
			d := await(s, func(d *rtapi.MatchData) bool { return d.OpCode == 7 })
			if string(d.Data) != "hello" || d.MatchId != m.MatchId || d.Presence.GetUserId() != sa.UserID() || !d.Reliable {
				t.Fatalf("data %v", d)
			}
		}
		// Data names its recipients; the sender gets it only if named.
		Must(t, a.SendMatchData(h.Ctx(t), m.MatchId, 8, []byte("psst"), &nakama.SendMatchDataOptions{
			Presences: []*rtapi.UserPresence{mc.Self, m.Self}, Unreliable: true}))
		if d := await(c, func(d *rtapi.MatchData) bool { return d.OpCode == 8 }); d.Reliable || string(d.Data) != "psst" {
			t.Fatalf("targeted %v", d)
		}
		await(a, func(d *rtapi.MatchData) bool { return d.OpCode == 8 })
		quiet(b, func(d *rtapi.MatchData) bool { return d.OpCode == 8 })
		quiet(a, func(d *rtapi.MatchData) bool { return d.OpCode == 7 })

		Must(t, c.LeaveMatch(h.Ctx(t), m.MatchId))
		ev := await(b, func(ev *rtapi.MatchPresenceEvent) bool { return len(ev.Leaves) == 1 })
		if ev.Leaves[0].UserId != sc.UserID() {
			t.Fatalf("leave %v", ev)
		}
		// A former member's data goes nowhere.
		Must(t, c.SendMatchData(h.Ctx(t), m.MatchId, 9, []byte("late"), nil))
		quiet(a, func(d *rtapi.MatchData) bool { return d.OpCode == 9 })

		// A named match has the id its name gives, for everyone.
		name := h.Unique("arena")
		n1, err := a.CreateMatch(h.Ctx(t), &nakama.CreateMatchOptions{Name: name})
		Must(t, err)
		if n1.MatchId != namedMatchID(name) || n1.Size != 1 {
			t.Fatalf("named %v, want id %s", n1, namedMatchID(name))
		}
		n2, err := b.CreateMatch(h.Ctx(t), &nakama.CreateMatchOptions{Name: name})
		Must(t, err)
		if n2.MatchId != n1.MatchId || n2.Size != 2 || len(n2.Presences) != 1 || n2.Presences[0].UserId != sa.UserID() {
			t.Fatalf("named again %v", n2)
		}

		// Errors: a match that does not exist, ids that are not ids.
		gone := "0f8e1d2c-3b4a-4596-8777-" + randomID(6) + "."
		_, err = c.JoinMatch(h.Ctx(t), gone, nil)
		rtErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		if !errors.Is(err, nakama.ErrNotFound) {
			t.Errorf("missing match is not NotFound: %v", err)
		}
		_, err = c.JoinMatch(h.Ctx(t), "no-dot", nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match ID")
		_, err = c.JoinMatch(h.Ctx(t), "x.", nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match ID")
		_, err = c.JoinMatchToken(h.Ctx(t), "a.b.c", nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match token")
		err = c.LeaveMatch(h.Ctx(t), "nope")
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match ID")
		Must(t, c.SendMatchData(h.Ctx(t), "nope", 1, nil, nil))
		// Match data has no answer: its error arrives as an event.
		rtErr(t, await[error](c, nil), rtapi.Error_BAD_INPUT, "Invalid match ID")
	})
}

func rtMatchAuthoritative(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb := h.NewUser(t), h.NewUser(t)
		label := h.Unique("label")
		var created MatchCreated
		h.Fixture(t, FixtureCreateMatch, MatchCreate{Label: label}, &created)
		id := created.MatchID
		stopped := false
		t.Cleanup(func() {
			if !stopped {
				h.Fixture(t, FixtureStopMatch, created, nil)
			}
		})
		if !strings.Contains(id, ".") {
			t.Fatalf("match id %q", id)
		}
		var listed *api.Match
		eventually(t, "match listed by label", func() bool {
			l, err := h.Client.ListMatches(h.Ctx(t), sa, &nakama.ListMatchesOptions{Label: label})
			if err != nil || len(l.Matches) != 1 {
				return false
			}
			listed = l.Matches[0]
			return true
		})
		if listed.MatchId != id || !listed.Authoritative || listed.Label.GetValue() != label || listed.TickRate != 1 ||
			listed.HandlerName != fixtureMatchModule || listed.Size != 0 {
			t.Fatalf("listed %v", listed)
		}
		// With a query, the label filter is ignored: clients such as
		// nakama-js send an empty label beside every query.
		l, err := h.Client.ListMatches(h.Ctx(t), sa, &nakama.ListMatchesOptions{Label: "not-" + label,
			Query: "+label_string:" + label, Authoritative: boolPtr(true)})
		Must(t, err)
		if len(l.Matches) != 1 || l.Matches[0].MatchId != id {
			t.Fatalf("listing by query beside another label gave %v", l.Matches)
		}

		a := h.socket(t, sa, f, nil)
		b := h.socket(t, sb, other, nil)
		m, err := a.JoinMatch(h.Ctx(t), id, &nakama.JoinMatchOptions{Metadata: map[string]string{"k": "v"}})
		Must(t, err)
		if m.MatchId != id || !m.Authoritative || m.Label.GetValue() != label || m.Size != 0 || len(m.Presences) != 0 ||
			m.Self.GetUserId() != sa.UserID() {
			t.Fatalf("joined %v", m)
		}
		await(a, func(ev *rtapi.MatchPresenceEvent) bool { return ev.MatchId == id && len(ev.Joins) == 1 })
		mb, err := b.JoinMatch(h.Ctx(t), id, nil)
		Must(t, err)
		if mb.Size != 1 || len(mb.Presences) != 1 || mb.Presences[0].UserId != sa.UserID() {
			t.Fatalf("second joiner %v", mb)
		}
		await(a, func(ev *rtapi.MatchPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
		})
		eventually(t, "size 2 listed", func() bool {
			l, err := h.Client.ListMatches(h.Ctx(t), sa, &nakama.ListMatchesOptions{Label: label})
			return err == nil && len(l.Matches) == 1 && l.Matches[0].Size == 2
		})
		// Data goes to the match's handler, which keeps it to itself.
		Must(t, b.SendMatchData(h.Ctx(t), id, 3, []byte("move"), nil))
		quiet[*rtapi.MatchData](a, nil)

		Must(t, b.LeaveMatch(h.Ctx(t), id))
		await(a, func(ev *rtapi.MatchPresenceEvent) bool {
			return len(ev.Leaves) == 1 && ev.Leaves[0].UserId == sb.UserID()
		})

		h.Fixture(t, FixtureStopMatch, created, nil)
		stopped = true
		eventually(t, "stopped match unlisted", func() bool {
			l, err := h.Client.ListMatches(h.Ctx(t), sa, &nakama.ListMatchesOptions{Label: label})
			return err == nil && len(l.Matches) == 0
		})
		_, err = b.JoinMatch(h.Ctx(t), id, nil)
		rtErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		_, err = b.JoinMatch(h.Ctx(t), strings.TrimSuffix(id, "nakama")+"othernode", nil)
		rtErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
	})
}

// rtMatchmakerWait bounds a wait for matchmaking: a real server runs its
// matchmaker every 15 seconds.
const rtMatchmakerWait = 40 * time.Second

func rtMatchmaker(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb, sc := h.NewUser(t), h.NewUser(t), h.NewUser(t)
		a := h.socket(t, sa, f, nil)
		b := h.socket(t, sb, other, nil)
		c := h.socket(t, sc, f, nil)
		run := h.Unique("run")
		props := func(rank float64) *nakama.MatchmakerOptions {
			return &nakama.MatchmakerOptions{StringProperties: map[string]string{"run": run}, NumericProperties: map[string]float64{"rank": rank}}
		}
		// Unique properties keep other tickets out of these matches.
		ta, err := a.AddMatchmaker(h.Ctx(t), "+properties.run:"+run+" +properties.rank:>=10 +properties.rank:<=20", 2, 2, props(12))
		Must(t, err)
		// A ticket's query excludes what it must not match.
		tc, err := c.AddMatchmaker(h.Ctx(t), "+properties.run:"+run+" -properties.rank:15", 2, 2, props(99))
		Must(t, err)
		Must(t, c.RemoveMatchmaker(h.Ctx(t), tc.Ticket))
		err = c.RemoveMatchmaker(h.Ctx(t), tc.Ticket)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Matchmaker ticket not found")
		tb, err := b.AddMatchmaker(h.Ctx(t), "+properties.run:"+run, 2, 2, props(15))
		Must(t, err)
		if ta.Ticket == "" || ta.Ticket == tb.Ticket {
			t.Fatalf("tickets %q %q", ta.Ticket, tb.Ticket)
		}
		ma := awaitFor(a, rtMatchmakerWait, func(m *rtapi.MatchmakerMatched) bool { return m.Ticket == ta.Ticket })
		mb := awaitFor(b, rtMatchmakerWait, func(m *rtapi.MatchmakerMatched) bool { return m.Ticket == tb.Ticket })
		if ma.GetToken() == "" || ma.GetToken() != mb.GetToken() || len(ma.Users) != 2 {
			t.Fatalf("matched %v / %v", ma, mb)
		}
		if ma.Self.GetPresence().GetUserId() != sa.UserID() || ma.Self.NumericProperties["rank"] != 12 ||
			ma.Self.StringProperties["run"] != run || mb.Self.GetPresence().GetUserId() != sb.UserID() {
			t.Fatalf("selves %v / %v", ma.Self, mb.Self)
		}
		quiet[*rtapi.MatchmakerMatched](c, nil)
		// The token joins a relayed match; the first to use it makes it.
		m1, err := a.JoinMatchToken(h.Ctx(t), ma.GetToken(), nil)
		Must(t, err)
		m2, err := b.JoinMatchToken(h.Ctx(t), mb.GetToken(), nil)
		Must(t, err)
		if m1.MatchId != m2.MatchId || m1.Authoritative || m1.Size != 0 || m2.Size != 1 || !strings.HasSuffix(m1.MatchId, ".") {
			t.Fatalf("token matches %v / %v", m1, m2)
		}
		await(a, func(ev *rtapi.MatchPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
		})
		eventually(t, "completions in the statistics", func() bool {
			st, err := h.Client.GetMatchmakerStats(h.Ctx(t), sa)
			return err == nil && len(st.Completions) > 0
		})

		// Errors.
		_, err = a.AddMatchmaker(h.Ctx(t), "*", 1, 2, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid minimum count, must be >= 2")
		_, err = a.AddMatchmaker(h.Ctx(t), "*", 4, 3, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid maximum count, must be >= minimum count")
		_, err = a.AddMatchmaker(h.Ctx(t), "*", 3, 4, &nakama.MatchmakerOptions{CountMultiple: 2})
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid count multiple for minimum count, must divide")
		_, err = a.AddMatchmaker(h.Ctx(t), "*", 2, 5, &nakama.MatchmakerOptions{CountMultiple: 2})
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid count multiple for maximum count, must divide")
		_, err = a.AddMatchmaker(h.Ctx(t), `properties.run:"open`, 2, 2, nil)
		rtErr(t, err, rtapi.Error_RUNTIME_EXCEPTION, "Error adding to matchmaker")
		err = a.RemoveMatchmaker(h.Ctx(t), "")
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid matchmaker ticket")

		// A party matches as one, with a user who is not in it.
		run2 := h.Unique("run")
		p, err := a.CreateParty(h.Ctx(t), true, 3, nil)
		Must(t, err)
		Must(t, b.JoinParty(h.Ctx(t), p.PartyId))
		await(b, func(x *rtapi.Party) bool { return x.PartyId == p.PartyId })
		partyProps := &nakama.MatchmakerOptions{StringProperties: map[string]string{"run": run2}}
		pt, err := a.AddMatchmakerParty(h.Ctx(t), p.PartyId, "+properties.run:"+run2, 3, 3, partyProps)
		Must(t, err)
		if pt.PartyId != p.PartyId || pt.Ticket == "" {
			t.Fatalf("party ticket %v", pt)
		}
		if ev := await(b, func(x *rtapi.PartyMatchmakerTicket) bool { return x.Ticket == pt.Ticket }); ev.PartyId != p.PartyId {
			t.Fatalf("member's ticket event %v", ev)
		}
		_, err = b.AddMatchmakerParty(h.Ctx(t), p.PartyId, "*", 3, 3, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error adding party to matchmaker: party leader only")
		err = a.RemoveMatchmakerParty(h.Ctx(t), p.PartyId, ta.Ticket)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error closing party: matchmaker ticket not found")
		Must(t, a.RemoveMatchmakerParty(h.Ctx(t), p.PartyId, pt.Ticket))
		pt, err = a.AddMatchmakerParty(h.Ctx(t), p.PartyId, "+properties.run:"+run2, 3, 3, partyProps)
		Must(t, err)
		tc, err = c.AddMatchmaker(h.Ctx(t), "+properties.run:"+run2, 3, 3, partyProps)
		Must(t, err)
		for _, s := range []*rtSock{a, b, c} {
			m := awaitFor(s, rtMatchmakerWait, func(m *rtapi.MatchmakerMatched) bool { return len(m.Users) == 3 })
			want := pt.Ticket
			if s == c {
				want = tc.Ticket
			}
			if m.Ticket != want {
				t.Fatalf("ticket %q, want %q", m.Ticket, want)
			}
			if (s != c) != (m.Self.GetPartyId() == p.PartyId) {
				t.Fatalf("self %v", m.Self)
			}
		}
	})
}

func rtParty(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb, sc := h.NewUser(t), h.NewUser(t), h.NewUser(t)
		a := h.socket(t, sa, f, nil)
		b := h.socket(t, sb, other, nil)
		c := h.socket(t, sc, f, nil)
		run := h.Unique("run")
		label := `{"run":"` + run + `"}`
		p, err := a.CreateParty(h.Ctx(t), false, 3, &nakama.CreatePartyOptions{Label: label})
		Must(t, err)
		if !strings.Contains(p.PartyId, ".") || p.Open || p.Hidden || p.MaxSize != 3 || p.Label != label ||
			p.Leader.GetUserId() != sa.UserID() || p.Self.GetUserId() != sa.UserID() || len(p.Presences) != 1 {
			t.Fatalf("created %v", p)
		}
		await(a, func(ev *rtapi.PartyPresenceEvent) bool { return ev.PartyId == p.PartyId && len(ev.Joins) == 1 })
		eventually(t, "party listed", func() bool {
			l, err := h.Client.ListParties(h.Ctx(t), sa, &nakama.ListPartiesOptions{Query: "+label.run:" + run})
			return err == nil && len(l.Parties) == 1 && l.Parties[0].PartyId == p.PartyId && !l.Parties[0].Open
		})

		// A closed party takes requests to join, which its leader sees.
		Must(t, b.JoinParty(h.Ctx(t), p.PartyId))
		req := await(a, func(r *rtapi.PartyJoinRequest) bool { return r.PartyId == p.PartyId })
		if len(req.Presences) != 1 || req.Presences[0].UserId != sb.UserID() {
			t.Fatalf("request %v", req)
		}
		err = b.JoinParty(h.Ctx(t), p.PartyId)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party join request duplicate")
		Must(t, c.JoinParty(h.Ctx(t), p.PartyId))
		reqs, err := a.ListPartyJoinRequests(h.Ctx(t), p.PartyId)
		Must(t, err)
		if reqs.PartyId != p.PartyId || len(reqs.Presences) != 2 {
			t.Fatalf("requests %v", reqs)
		}
		_, err = b.ListPartyJoinRequests(h.Ctx(t), p.PartyId)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error listing party join requests: party leader only")
		var bp, cp *rtapi.UserPresence
		for _, x := range reqs.Presences {
			switch x.UserId {
			case sb.UserID():
				bp = x
			case sc.UserID():
				cp = x
			}
		}
		// Declining a request is quiet.
		Must(t, a.RemovePartyMember(h.Ctx(t), p.PartyId, cp))
		Must(t, a.AcceptPartyMember(h.Ctx(t), p.PartyId, bp))
		joined := await(b, func(x *rtapi.Party) bool { return x.PartyId == p.PartyId })
		if len(joined.Presences) != 2 || joined.Leader.GetUserId() != sa.UserID() || joined.Self.GetUserId() != sb.UserID() ||
			joined.MaxSize != 3 || joined.Open {
			t.Fatalf("member's party %v", joined)
		}
		for _, s := range []*rtSock{a, b} {
			await(s, func(ev *rtapi.PartyPresenceEvent) bool {
				return len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
			})
		}
		err = a.AcceptPartyMember(h.Ctx(t), p.PartyId, bp)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error accepting party join request: party join request not found")
		reqs, err = a.ListPartyJoinRequests(h.Ctx(t), p.PartyId)
		Must(t, err)
		if len(reqs.Presences) != 0 {
			t.Fatalf("requests left %v", reqs)
		}

		Must(t, b.SendPartyData(h.Ctx(t), p.PartyId, 4, []byte("hi")))
		d := await(a, func(d *rtapi.PartyData) bool { return d.OpCode == 4 })
		if string(d.Data) != "hi" || d.Presence.GetUserId() != sb.UserID() || d.PartyId != p.PartyId {
			t.Fatalf("data %v", d)
		}
		quiet(b, func(d *rtapi.PartyData) bool { return d.OpCode == 4 })
		err = c.SendPartyData(h.Ctx(t), p.PartyId, 4, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error sending party data: party member not found")

		err = b.PromotePartyMember(h.Ctx(t), p.PartyId, joined.Self)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error promoting new party leader: party leader only")
		Must(t, a.PromotePartyMember(h.Ctx(t), p.PartyId, joined.Self))
		for _, s := range []*rtSock{a, b} {
			if l := await[*rtapi.PartyLeader](s, nil); l.Presence.GetUserId() != sb.UserID() || l.PartyId != p.PartyId {
				t.Fatalf("leader %v", l)
			}
		}
		err = a.UpdateParty(h.Ctx(t), p.PartyId, label, true, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error updating party: party leader only")
		err = b.UpdateParty(h.Ctx(t), p.PartyId, label, true, &nakama.UpdatePartyOptions{Hidden: true})
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error updating party: party is hidden and label is not empty, invalid operation")
		Must(t, b.UpdateParty(h.Ctx(t), p.PartyId, label, true, nil))
		// Members hear of the change.
		await(a, func(u *rtapi.PartyUpdate) bool { return u.PartyId == p.PartyId && u.Open && u.Label == label })
		eventually(t, "party open in listing", func() bool {
			l, err := h.Client.ListParties(h.Ctx(t), sa, &nakama.ListPartiesOptions{Query: "+label.run:" + run, Open: boolPtr(true)})
			return err == nil && len(l.Parties) == 1
		})
		// Open now: the third user joins at once.
		Must(t, c.JoinParty(h.Ctx(t), p.PartyId))
		if x := await(c, func(x *rtapi.Party) bool { return x.PartyId == p.PartyId }); len(x.Presences) != 3 || x.Leader.GetUserId() != sb.UserID() {
			t.Fatalf("third member's party %v", x)
		}
		await(a, func(ev *rtapi.PartyPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].UserId == sc.UserID()
		})
		err = h.socket(t, h.NewUser(t), f, nil).JoinParty(h.Ctx(t), p.PartyId)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party full")

		err = b.RemovePartyMember(h.Ctx(t), p.PartyId, joined.Self)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error removing party member or join request: party cannot remove self")
		Must(t, b.RemovePartyMember(h.Ctx(t), p.PartyId, p.Self))
		if x := await[*rtapi.PartyClose](a, nil); x.PartyId != p.PartyId {
			t.Fatalf("kicked %v", x)
		}
		await(c, func(ev *rtapi.PartyPresenceEvent) bool {
			return len(ev.Leaves) == 1 && ev.Leaves[0].UserId == sa.UserID()
		})

		// A leader who leaves hands over to the oldest member.
		Must(t, b.LeaveParty(h.Ctx(t), p.PartyId))
		if l := await(c, func(l *rtapi.PartyLeader) bool { return l.Presence.GetUserId() == sc.UserID() }); l.PartyId != p.PartyId {
			t.Fatalf("new leader %v", l)
		}
		Must(t, c.CloseParty(h.Ctx(t), p.PartyId))
		await[*rtapi.PartyClose](c, nil)
		err = a.JoinParty(h.Ctx(t), p.PartyId)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party not found")
		eventually(t, "closed party unlisted", func() bool {
			l, err := h.Client.ListParties(h.Ctx(t), sa, &nakama.ListPartiesOptions{Query: "+label.run:" + run})
			return err == nil && len(l.Parties) == 0
		})

		// Errors.
		_, err = a.CreateParty(h.Ctx(t), true, 257, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid party max size, must be 1-256")
		_, err = a.CreateParty(h.Ctx(t), true, 2, &nakama.CreatePartyOptions{Label: "[1]"})
		rtErr(t, err, rtapi.Error_BAD_INPUT,
			"Error creating party: failed to unmarshal party label: json: cannot unmarshal array into Go value of type map[string]interface {}")
		err = a.JoinParty(h.Ctx(t), "nope")
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid party ID")
		err = a.PromotePartyMember(h.Ctx(t), p.PartyId, &rtapi.UserPresence{UserId: sa.UserID()})
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid presence")
		err = a.CloseParty(h.Ctx(t), p.PartyId)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Error closing party: party not found")
		Must(t, a.LeaveParty(h.Ctx(t), p.PartyId)) // leaving is always fine
	})
}

func rtStatus(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, other nakama.SocketFormat) {
		sa, sb, sc := h.NewUser(t), h.NewUser(t), h.NewUser(t)
		a := h.socket(t, sa, f, nil)
		// Following a user who is offline gives nothing, and self is skipped.
		st, err := a.FollowUsers(h.Ctx(t), []string{sb.UserID(), sa.UserID()}, []string{sc.Username(), h.Unique("nobody")})
		Must(t, err)
		if len(st.Presences) != 0 {
			t.Fatalf("offline presences %v", st.Presences)
		}
		b := h.socket(t, sb, other, &nakama.ConnectOptions{AppearOnline: true})
		ev := await(a, func(ev *rtapi.StatusPresenceEvent) bool { return len(ev.Joins) == 1 })
		if ev.Joins[0].UserId != sb.UserID() || ev.Joins[0].Status == nil || ev.Joins[0].Status.Value != "" || ev.Joins[0].Username != sb.Username() {
			t.Fatalf("online %v", ev)
		}
		// A user follows their own status.
		await(b, func(ev *rtapi.StatusPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
		})

		Must(t, b.UpdateStatus(h.Ctx(t), nakama.Ptr("busy")))
		ev = await(a, func(ev *rtapi.StatusPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].Status.GetValue() == "busy"
		})
		if len(ev.Leaves) != 1 || ev.Leaves[0].Status.GetValue() != "" {
			t.Fatalf("update %v", ev)
		}
		c := h.socket(t, sc, f, nil)
		st, err = c.FollowUsers(h.Ctx(t), nil, []string{sb.Username()})
		Must(t, err)
		if len(st.Presences) != 1 || st.Presences[0].UserId != sb.UserID() || st.Presences[0].Status.GetValue() != "busy" {
			t.Fatalf("follow by username %v", st.Presences)
		}
		st, err = c.FollowUsers(h.Ctx(t), nil, nil)
		Must(t, err)
		if len(st.Presences) != 0 {
			t.Fatalf("empty follow %v", st.Presences)
		}

		Must(t, a.UnfollowUsers(h.Ctx(t), []string{sb.UserID()}))
		Must(t, b.UpdateStatus(h.Ctx(t), nil))
		ev = await(c, func(ev *rtapi.StatusPresenceEvent) bool { return len(ev.Leaves) == 1 && len(ev.Joins) == 0 })
		if ev.Leaves[0].UserId != sb.UserID() || ev.Leaves[0].Status.GetValue() != "busy" {
			t.Fatalf("offline %v", ev)
		}
		quiet(a, func(ev *rtapi.StatusPresenceEvent) bool { return len(ev.Leaves) == 1 && len(ev.Joins) == 0 })

		_, err = a.FollowUsers(h.Ctx(t), []string{"not-a-uuid"}, nil)
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid user identifier")
		_, err = a.FollowUsers(h.Ctx(t), nil, []string{""})
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid username")
		err = a.UnfollowUsers(h.Ctx(t), []string{"not-a-uuid"})
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Invalid user identifier")
		err = a.UpdateStatus(h.Ctx(t), nakama.Ptr(strings.Repeat("s", 2049)))
		rtErr(t, err, rtapi.Error_BAD_INPUT, "Status must be 2048 characters or less")
	})
}

func rtRPC(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, _ nakama.SocketFormat) {
		c := h.socket(t, h.NewUser(t), f, nil)
		payload := `{"text":"<tag> & é ✓"}`
		res, err := c.RpcFunc(h.Ctx(t), strings.ToUpper(FixtureEcho), payload)
		Must(t, err)
		// The answer names the function as the caller did.
		if res.Payload != payload || res.Id != strings.ToUpper(FixtureEcho) {
			t.Fatalf("echo %v", res)
		}
		_, err = c.RpcFunc(h.Ctx(t), "", "")
		rtErr(t, err, rtapi.Error_BAD_INPUT, "RPC ID must be set")
		_, err = c.RpcFunc(h.Ctx(t), h.Unique("missing"), "")
		rtErr(t, err, rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND, "RPC function not found")
		b, _ := json.Marshal(Failure{Code: int(nakama.InvalidArgument), Message: "bad input"})
		_, err = c.RpcFunc(h.Ctx(t), FixtureFail, string(b))
		rtErr(t, err, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, "bad input")
		Must(t, c.Ping(h.Ctx(t)))
	})
}

// rtConcurrency has many goroutines share one socket, each waiting for its
// own answers among everyone else's.
func rtConcurrency(t *testing.T, h *Harness) {
	rtEachFormat(t, func(t *testing.T, f, _ nakama.SocketFormat) {
		c := h.socket(t, h.NewUser(t), f, nil)
		room := h.Unique("busy")
		ch, err := c.JoinChat(h.Ctx(t), room, rtapi.ChannelJoin_ROOM, &nakama.JoinChatOptions{Persistence: boolPtr(false)})
		Must(t, err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []error
		var acks []string
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 6 {
					p := fmt.Sprintf("%d-%d", i, j)
					var err error
					switch j % 3 {
					case 0:
						var res *api.Rpc
						if res, err = c.RpcFunc(h.Ctx(t), FixtureEcho, p); err == nil && res.Payload != p {
							err = fmt.Errorf("echo %q for %q", res.Payload, p)
						}
					case 1:
						var ack *rtapi.ChannelMessageAck
						if ack, err = c.WriteChatMessage(h.Ctx(t), ch.Id, `{"p":"`+p+`"}`); err == nil {
							mu.Lock()
							acks = append(acks, ack.MessageId)
							mu.Unlock()
						}
					default:
						err = c.Ping(h.Ctx(t))
					}
					if err != nil {
						mu.Lock()
						failures = append(failures, err)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range failures {
			t.Error(err)
		}
		// Every message reached the sender's own socket too.
		for _, id := range acks {
			await(c, func(m *api.ChannelMessage) bool { return m.MessageId == id })
		}
		if len(slices.Compact(slices.Sorted(slices.Values(acks)))) != len(acks) {
			t.Error("duplicate message ids")
		}
	})
}
