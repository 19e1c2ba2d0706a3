package nakamatest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The realtime tests drive the socket through the root package's client,
// in both wire rtFormats.

var rtFormats = []nakama.SocketFormat{nakama.SocketJSON, nakama.SocketProtobuf}

// rtEnv is a server and a client for one test.
type rtEnv struct {
	t      *testing.T
	srv    *nakamatest.Server
	client *nakama.DefaultClient
}

func newRTEnv(t *testing.T) *rtEnv {
	t.Helper()
	srv := nakamatest.RunT(t, nil)
	client, err := nakama.NewClient(srv.URL(), "defaultkey", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &rtEnv{t: t, srv: srv, client: client}
}

func (e *rtEnv) user(name string) *nakama.Session {
	e.t.Helper()
	s, err := e.client.AuthenticateCustom(rtCtx(e.t), "custom-"+name, &nakama.AuthenticateOptions{Username: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func rtCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// sock is a connected socket whose events queue up for the test.
type sock struct {
	t *testing.T
	*nakama.WebSocket
	session *nakama.Session

	mu      sync.Mutex
	backlog []any
	signal  chan struct{}
}

func (e *rtEnv) connect(s *nakama.Session, f nakama.SocketFormat, opts *nakama.ConnectOptions) *sock {
	e.t.Helper()
	ws, err := nakama.NewWebSocket(e.srv.URL(), &nakama.SocketOptions{Format: f, AutoDispatch: true})
	if err != nil {
		e.t.Fatal(err)
	}
	c := &sock{t: e.t, WebSocket: ws, session: s, signal: make(chan struct{}, 1)}
	push := func(v any) {
		c.mu.Lock()
		c.backlog = append(c.backlog, v)
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
	ws.OnStreamData(func(m *rtapi.StreamData) { push(m) })
	ws.OnStreamPresence(func(m *rtapi.StreamPresenceEvent) { push(m) })
	ws.OnParty(func(m *rtapi.Party) { push(m) })
	ws.OnPartyClose(func(m *rtapi.PartyClose) { push(m) })
	ws.OnPartyData(func(m *rtapi.PartyData) { push(m) })
	ws.OnPartyJoinRequest(func(m *rtapi.PartyJoinRequest) { push(m) })
	ws.OnPartyLeader(func(m *rtapi.PartyLeader) { push(m) })
	ws.OnPartyPresence(func(m *rtapi.PartyPresenceEvent) { push(m) })
	ws.OnPartyMatchmakerTicket(func(m *rtapi.PartyMatchmakerTicket) { push(m) })
	ws.OnPartyUpdate(func(m *rtapi.PartyUpdate) { push(m) })
	ws.OnError(func(err error) { push(err) })
	ws.OnDisconnect(func(err error) { push(disconnected{err}) })
	if err := ws.Connect(rtCtx(e.t), s, opts); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = ws.Close() })
	return c
}

type disconnected struct{ err error }

// waitFor returns the first event of type T (in arrival order) that match
// accepts (nil accepts any), leaving the others queued.
func waitFor[T any](c *sock, match func(T) bool) T {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		for i, v := range c.backlog {
			if x, ok := v.(T); ok && (match == nil || match(x)) {
				c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
				c.mu.Unlock()
				return x
			}
		}
		c.mu.Unlock()
		select {
		case <-c.signal:
		case <-deadline:
			var zero T
			c.mu.Lock()
			defer c.mu.Unlock()
			c.t.Fatalf("no %T event within 5s; queued: %v", zero, c.backlog)
			return zero
		}
	}
}

// none checks that no event of type T arrives for a moment.
func none[T any](c *sock) {
	c.t.Helper()
	time.Sleep(100 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.backlog {
		if _, ok := v.(T); ok {
			c.t.Fatalf("unexpected %T: %v", v, v)
		}
	}
}

// socketErr asserts err is a socket error envelope with the code and
// message.
func socketErr(t *testing.T, err error, code rtapi.Error_Code, msg string) {
	t.Helper()
	var se *nakama.SocketError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want socket error %v %q", err, code, msg)
	}
	if se.Code != code || se.Message != msg {
		t.Fatalf("got %v %q, want %v %q", se.Code, se.Message, code, msg)
	}
}

func rtForEachFormat(t *testing.T, fn func(t *testing.T, f nakama.SocketFormat)) {
	for _, f := range rtFormats {
		t.Run(f.String(), func(t *testing.T) { fn(t, f) })
	}
}

func TestSocketPing(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		c := e.connect(e.user("pinger"), f, nil)
		for range 3 {
			if err := c.Ping(rtCtx(t)); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.srv.Sessions(); len(got) != 1 || got[0].Format != f.String() || got[0].Username != "pinger" || got[0].Lang != "en" {
			t.Fatalf("sessions %+v", got)
		}
	})
}

// TestSocketHandshake checks the answers to refused upgrades, which come
// before any WebSocket exchange.
func TestSocketHandshake(t *testing.T) {
	e := newRTEnv(t)
	s := e.user("hs")
	get := func(query string, header ...string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequestWithContext(rtCtx(t), http.MethodGet, e.srv.URL()+"/ws"+query, nil)
		for _, h := range header {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Add(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, readAll(resp))
		return resp.StatusCode, b.String(), resp.Header
	}
	cases := []struct {
		query  string
		header []string
		status int
		body   string
	}{
		{"?format=xml&token=" + s.Token(), nil, 400, "Invalid format parameter\n"},
		{"", nil, 401, "Missing or invalid token\n"},
		{"?token=", nil, 401, "Missing or invalid token\n"},
		{"?token=garbage", nil, 401, "Missing or invalid token\n"},
		{"?token=" + s.Token(), []string{"Authorization: Basic abc"}, 401, "Missing or invalid token\n"},
		{"?token=" + s.Token(), nil, 400, "Bad Request\n"}, // not an upgrade
		{"?format=protobuf", []string{"Authorization: Bearer " + s.Token(), "Connection: Upgrade", "Upgrade: websocket",
			"Sec-WebSocket-Version: 12", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}, 400, "Bad Request\n"},
	}
	for _, c := range cases {
		status, body, h := get(c.query, c.header...)
		if status != c.status || body != c.body {
			t.Errorf("%s %v: got %d %q, want %d %q", c.query, c.header, status, body, c.status, c.body)
		}
		if status == 400 && body == "Bad Request\n" && h.Get("Sec-Websocket-Version") != "13" {
			t.Errorf("%s: no Sec-Websocket-Version header", c.query)
		}
	}
	// Only GET reaches the socket.
	resp, err := http.Post(e.srv.URL()+"/ws", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("POST /ws: %d", resp.StatusCode)
	}

	// The client sees a refused token as Unauthenticated.
	ws, _ := nakama.NewWebSocket(e.srv.URL(), nil)
	e.srv.FastForward(time.Hour)
	err = ws.Connect(rtCtx(t), s, nil)
	var de *nakama.SocketDialError
	if !errors.As(err, &de) || de.HTTPStatus != 401 || !errors.Is(err, nakama.ErrUnauthenticated) {
		t.Fatalf("expired token: %v", err)
	}
}

func readAll(resp *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// rawConn dials the socket directly, to send what the client never would.
func rawConn(t *testing.T, e *rtEnv, s *nakama.Session, format string) *websocket.Conn {
	t.Helper()
	u := strings.Replace(e.srv.URL(), "http://", "ws://", 1) + "/ws?token=" + s.Token()
	if format != "" {
		u += "&format=" + format
	}
	conn, _, err := websocket.Dial(rtCtx(t), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return conn
}

// TestSocketMalformed checks that the server closes the connection on a
// frame it cannot take, with its reason, after any error envelope.
func TestSocketMalformed(t *testing.T) {
	e := newRTEnv(t)
	s := e.user("bad")
	closeReason := func(conn *websocket.Conn) (websocket.StatusCode, string, []string) {
		t.Helper()
		var frames []string
		for {
			_, b, err := conn.Read(rtCtx(t))
			if err != nil {
				var ce websocket.CloseError
				if !errors.As(err, &ce) {
					t.Fatalf("read: %v", err)
				}
				return ce.Code, ce.Reason, frames
			}
			frames = append(frames, string(b))
		}
	}
	// The default format is JSON.
	conn := rawConn(t, e, s, "")
	_ = conn.Write(rtCtx(t), websocket.MessageText, []byte(`{"ping":{}, "cid":"1"}`))
	if _, b, err := conn.Read(rtCtx(t)); err != nil || !strings.Contains(string(b), `"pong"`) {
		t.Fatalf("json ping: %s %v", b, err)
	}
	_ = conn.Write(rtCtx(t), websocket.MessageText, []byte(`{"nonsense":1}`))
	if code, reason, _ := closeReason(conn); code != websocket.StatusNormalClosure || reason != "received malformed payload" {
		t.Errorf("unknown field: %v %q", code, reason)
	}

	conn = rawConn(t, e, s, "protobuf")
	_ = conn.Write(rtCtx(t), websocket.MessageText, []byte(`{}`))
	if code, reason, _ := closeReason(conn); code != websocket.StatusNormalClosure || reason != "received unexpected WebSocket message type" {
		t.Errorf("text on protobuf: %v %q", code, reason)
	}

	conn = rawConn(t, e, s, "protobuf")
	_ = conn.Write(rtCtx(t), websocket.MessageBinary, []byte{0xff, 0xff})
	if code, reason, _ := closeReason(conn); reason != "received malformed payload" {
		t.Errorf("bad protobuf: %v %q", code, reason)
	}

	conn = rawConn(t, e, s, "json")
	_ = conn.Write(rtCtx(t), websocket.MessageText, []byte(`{"cid":"7"}`))
	code, reason, frames := closeReason(conn)
	if reason != "error processing message" || len(frames) != 1 {
		t.Fatalf("missing message: %v %q %v", code, reason, frames)
	}
	var env rtapi.Envelope
	if err := protojson.Unmarshal([]byte(frames[0]), &env); err != nil || env.Cid != "7" ||
		env.GetError().GetCode() != int32(rtapi.Error_MISSING_PAYLOAD) || env.GetError().GetMessage() != "Missing message." {
		t.Fatalf("missing message answer: %s", frames[0])
	}

	conn = rawConn(t, e, s, "protobuf")
	b, _ := proto.Marshal(&rtapi.Envelope{Cid: "9", Message: &rtapi.Envelope_Channel{Channel: &rtapi.Channel{}}})
	_ = conn.Write(rtCtx(t), websocket.MessageBinary, b)
	code, reason, frames = closeReason(conn)
	if reason != "error processing message" || len(frames) != 1 {
		t.Fatalf("server-only message: %v %q %v", code, reason, frames)
	}
	env.Reset()
	if err := proto.Unmarshal([]byte(frames[0]), &env); err != nil || env.Cid != "9" ||
		env.GetError().GetCode() != int32(rtapi.Error_UNRECOGNIZED_PAYLOAD) || env.GetError().GetMessage() != "Unrecognized message." {
		t.Fatalf("server-only message answer: %v", &env)
	}

	// A frame over 4096 bytes closes the connection as too big.
	conn = rawConn(t, e, s, "json")
	_ = conn.Write(rtCtx(t), websocket.MessageText, []byte(`{"rpc":{"id":"x","payload":"`+strings.Repeat("a", 5000)+`"}}`))
	if code, _, _ := closeReason(conn); code != websocket.StatusMessageTooBig {
		t.Errorf("big frame: %v", code)
	}
}

// TestSocketClose checks that Close and CloseClientConnections end every
// socket, and that the server's side is cleaned up.
func TestSocketClose(t *testing.T) {
	e := newRTEnv(t)
	a := e.connect(e.user("a"), nakama.SocketJSON, nil)
	b := e.connect(e.user("b"), nakama.SocketProtobuf, nil)
	if _, err := a.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil); err != nil {
		t.Fatal(err)
	}
	e.srv.CloseClientConnections()
	waitFor[disconnected](a, nil)
	waitFor[disconnected](b, nil)
	if n := len(e.srv.Sessions()); n != 0 {
		t.Fatalf("%d sessions after dropping connections", n)
	}
	// The server still serves. The client's pooled connection was dropped
	// too, and a POST on it would fail with EOF before the client notices
	// (a create is not resent): let it go first.
	e.client.Adapter().(*nakama.RESTAdapter).CloseIdleConnections()
	c := e.connect(e.user("c"), nakama.SocketJSON, nil)
	if err := c.Ping(rtCtx(t)); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	waitFor[disconnected](c, nil)
}

// TestSocketRestart checks that Restart, a server bounce, ends every socket
// as a process exit would (no close frame), cleans up what they held, and
// leaves a server that takes the same tokens.
func TestSocketRestart(t *testing.T) {
	e := newRTEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	a := e.connect(alice, nakama.SocketJSON, nil)
	b := e.connect(bob, nakama.SocketProtobuf, nil)
	for _, s := range []*sock{a, b} {
		if _, err := s.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil); err != nil {
			t.Fatal(err)
		}
	}
	addr := e.srv.Addr()
	if err := e.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if e.srv.Addr() != addr {
		t.Fatalf("address changed from %s to %s", addr, e.srv.Addr())
	}
	// Restart returns once the sockets are cleaned up.
	if got := e.srv.Sessions(); len(got) != 0 {
		t.Fatalf("sessions after Restart: %+v", got)
	}
	for _, s := range []*sock{a, b} {
		if d := waitFor[disconnected](s, nil); nakama.CloseStatus(d.err) != 1006 {
			t.Fatalf("disconnect %v", d.err)
		}
	}
	// The server still serves, and the tokens survive; nothing of the old
	// sockets is left in the room.
	a2 := e.connect(alice, nakama.SocketProtobuf, nil)
	ch, err := a2.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Presences) != 0 {
		t.Fatalf("stale presences %v", ch.Presences)
	}
	b2 := e.connect(bob, nakama.SocketJSON, nil)
	if _, err := b2.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil); err != nil {
		t.Fatal(err)
	}
	waitFor[*rtapi.ChannelPresenceEvent](a2, func(ev *rtapi.ChannelPresenceEvent) bool {
		return len(ev.Joins) == 1 && ev.Joins[0].UserId == bob.UserID()
	})
	if n := len(e.srv.Sessions()); n != 2 {
		t.Fatalf("%d sessions after reconnecting", n)
	}
}

// TestSocketBan checks that DisableUser does to a connected user what the
// server's ban does: every socket of the user gets a "banned" notification
// (code -8, not stored) and is then closed with the server's reason, its
// presences leave as disconnects, and its token no longer connects.
func TestSocketBan(t *testing.T) {
	e := newRTEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	a1 := e.connect(alice, nakama.SocketJSON, nil)
	a2 := e.connect(alice, nakama.SocketProtobuf, nil)
	b := e.connect(bob, nakama.SocketJSON, nil)
	for _, s := range []*sock{a1, a2, b} {
		if _, err := s.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The ban comes a second or more after alice's token was issued, which
	// a ban in the same second would spare, as on the server.
	now := e.srv.Now().Add(2 * time.Second).Truncate(time.Second)
	e.srv.SetTime(now)
	if err := e.srv.DisableUser(alice.UserID()); err != nil {
		t.Fatal(err)
	}
	// DisableUser returns once alice's sockets are cleaned up.
	if got := e.srv.Sessions(); len(got) != 1 || got[0].UserID != bob.UserID() {
		t.Fatalf("sessions after the ban: %+v", got)
	}
	ids := map[string]bool{}
	for _, s := range []*sock{a1, a2} {
		n := waitFor[*api.Notification](s, nil)
		if n.Code != -8 || n.Subject != "banned" || n.Content != "{}" || n.SenderId != "" || n.Persistent ||
			n.Id == "" || n.CreateTime.GetSeconds() != now.Unix() {
			t.Fatalf("ban notification %v", n)
		}
		ids[n.Id] = true
		d := waitFor[disconnected](s, nil)
		if nakama.CloseStatus(d.err) != 1000 || !strings.Contains(d.err.Error(), "server-side session disconnect") {
			t.Fatalf("disconnect %v", d.err)
		}
	}
	if len(ids) != 2 {
		t.Errorf("notification ids %v, want one per socket", ids)
	}
	// The notification is not stored.
	if ns := e.srv.Notifications(alice.UserID()); len(ns) != 0 {
		t.Errorf("stored %v", ns)
	}
	// Bob sees alice's sockets leave, and keeps his own.
	left := 0
	for left < 2 {
		ev := waitFor[*rtapi.ChannelPresenceEvent](b, func(ev *rtapi.ChannelPresenceEvent) bool { return len(ev.Leaves) > 0 })
		for _, p := range ev.Leaves {
			if p.UserId != alice.UserID() {
				t.Fatalf("leave %v", ev)
			}
			left++
		}
	}
	if err := b.Ping(rtCtx(t)); err != nil {
		t.Fatal(err)
	}
	// Alice's token no longer opens a socket.
	ws, err := nakama.NewWebSocket(e.srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Connect(rtCtx(t), alice, nil); err == nil {
		_ = ws.Close()
		t.Fatal("banned user connected")
	}

	// A function the socket calls may ban its own caller, as a runtime
	// module's UsersBanId may: the caller gets the notification and the
	// close, and the call no answer.
	e.srv.RegisterRPC("ban_me", func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
		return "", e.srv.DisableUser(in.UserID)
	})
	carol := e.user("carol")
	c := e.connect(carol, nakama.SocketProtobuf, nil)
	if _, err := c.RpcFunc(rtCtx(t), "ban_me", ""); !errors.Is(err, nakama.ErrSocketClosed) {
		t.Fatalf("self-ban answered %v", err)
	}
	if n := waitFor[*api.Notification](c, nil); n.Code != -8 {
		t.Fatalf("self-ban notification %v", n)
	}
	if d := waitFor[disconnected](c, nil); nakama.CloseStatus(d.err) != 1000 {
		t.Fatalf("self-ban disconnect %v", d.err)
	}
	if got := e.srv.Sessions(); len(got) != 1 || got[0].UserID != bob.UserID() {
		t.Fatalf("sessions after the self-ban: %+v", got)
	}
}

// TestSocketDisconnect checks the ways the server ends a session: the
// direct API and account deletion close it with the server's reason.
func TestSocketDisconnect(t *testing.T) {
	e := newRTEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	a1 := e.connect(alice, nakama.SocketJSON, nil)
	a2 := e.connect(alice, nakama.SocketProtobuf, nil)
	b := e.connect(bob, nakama.SocketJSON, nil)
	sessions := e.srv.Sessions()
	if len(sessions) != 3 {
		t.Fatalf("sessions %+v", sessions)
	}
	var bobSession string
	for _, s := range sessions {
		if s.UserID == bob.UserID() {
			bobSession = s.ID
		}
	}
	if !e.srv.DisconnectSession(bobSession) || e.srv.DisconnectSession(bobSession) {
		t.Fatal("DisconnectSession should report true, then false")
	}
	d := waitFor[disconnected](b, nil)
	if nakama.CloseStatus(d.err) != 1000 || !strings.Contains(d.err.Error(), "server-side session disconnect") {
		t.Fatalf("disconnect %v", d.err)
	}
	if n := e.srv.DisconnectUser(alice.UserID()); n != 2 {
		t.Fatalf("DisconnectUser closed %d", n)
	}
	waitFor[disconnected](a1, nil)
	waitFor[disconnected](a2, nil)

	// Deleting an account disconnects its sockets.
	c := e.connect(bob, nakama.SocketProtobuf, nil)
	if err := e.srv.DeleteUser(bob.UserID()); err != nil {
		t.Fatal(err)
	}
	d = waitFor[disconnected](c, nil)
	if nakama.CloseStatus(d.err) != 1000 {
		t.Fatalf("after deletion %v", d.err)
	}
	rtWaitUntil(t, func() bool { return len(e.srv.Sessions()) == 0 })
}
