//go:build !js

// Not under js/wasm: the socket tests run a WebSocket server in the test
// process, which the browser adapter (the host's WebSocket) cannot reach.

package nakama

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gonakama/nakama/internal/wire"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// sockToken is a well-formed session token for user sock-user; the fake
// server accepts only it.
var sockToken = sockTokenExpiring(time.Now().Add(24 * time.Hour))

// sockTokenExpiring is a well-formed token for sock-user expiring at exp.
func sockTokenExpiring(exp time.Time) string {
	enc := base64.RawURLEncoding
	iat := min(time.Now().Unix(), exp.Add(-time.Hour).Unix())
	payload := fmt.Sprintf(`{"uid":"sock-user","usn":"sockuser","exp":%d,"iat":%d}`, exp.Unix(), iat)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(payload)) + ".c2lnbmF0dXJl"
}

func sockSession(t testing.TB) *Session {
	t.Helper()
	s, err := RestoreSession(sockToken, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sockFakeServer is a scripted Nakama socket peer: it checks the token,
// decodes what the client sends in the format it asked for, records it, and
// answers through handle, or with sockDefaultAnswer when handle is nil or
// returns false.
type sockFakeServer struct {
	t      testing.TB
	srv    *httptest.Server
	handle func(p *sockPeer, env *rtapi.Envelope) bool

	mu      sync.Mutex
	peers   []*sockPeer
	queries []map[string]string
	paths   []string
	wg      sync.WaitGroup
	newPeer chan *sockPeer
}

// sockPeer is the server's side of one connection.
type sockPeer struct {
	srv    *sockFakeServer
	conn   *websocket.Conn
	format wire.Format
	ctx    context.Context

	// received gets every envelope the client sent, in order.
	received chan *rtapi.Envelope

	mu          sync.Mutex
	ignorePings bool
}

func newSockFakeServer(t testing.TB, handle func(p *sockPeer, env *rtapi.Envelope) bool) *sockFakeServer {
	t.Helper()
	f := &sockFakeServer{t: t, handle: handle, newPeer: make(chan *sockPeer, 16)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.close)
	return f
}

func (f *sockFakeServer) url() string { return f.srv.URL }

func (f *sockFakeServer) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	f.queries = append(f.queries, map[string]string{
		"token": q.Get("token"), "format": q.Get("format"), "status": q.Get("status"), "lang": q.Get("lang"),
	})
	f.mu.Unlock()
	if q.Get("token") != sockToken {
		http.Error(w, "Missing or invalid token", http.StatusUnauthorized)
		return
	}
	format := wire.JSON
	switch q.Get("format") {
	case "", "json":
	case "protobuf":
		format = wire.Protobuf
	default:
		http.Error(w, "Invalid format parameter", http.StatusBadRequest)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	conn.SetReadLimit(-1)
	p := &sockPeer{srv: f, conn: conn, format: format, ctx: r.Context(), received: make(chan *rtapi.Envelope, 4096)}
	f.mu.Lock()
	f.peers = append(f.peers, p)
	f.wg.Add(1)
	f.mu.Unlock()
	defer f.wg.Done()
	select {
	case f.newPeer <- p:
	default:
	}
	p.loop()
}

// peer waits for the next connection's peer.
func (f *sockFakeServer) peer() *sockPeer {
	f.t.Helper()
	select {
	case p := <-f.newPeer:
		return p
	case <-time.After(10 * time.Second):
		f.t.Fatal("no connection reached the fake server")
		return nil
	}
}

func (f *sockFakeServer) lastQuery() (string, map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queries) == 0 {
		return "", nil
	}
	return f.paths[len(f.paths)-1], f.queries[len(f.queries)-1]
}

func (f *sockFakeServer) close() {
	f.mu.Lock()
	peers := f.peers
	f.mu.Unlock()
	for _, p := range peers {
		_ = p.conn.CloseNow()
	}
	f.wg.Wait()
	f.srv.Close()
}

func (p *sockPeer) loop() {
	for {
		typ, b, err := p.conn.Read(context.Background())
		if err != nil {
			return
		}
		want := websocket.MessageBinary
		if p.format == wire.JSON {
			want = websocket.MessageText
		}
		if typ != want {
			// The real server drops a client that mixes frame types.
			_ = p.conn.Close(websocket.StatusUnsupportedData, "received unexpected WebSocket message type")
			return
		}
		env, err := p.format.Decode(b)
		if err != nil {
			_ = p.conn.Close(websocket.StatusUnsupportedData, "received malformed payload")
			return
		}
		select {
		case p.received <- env:
		default:
		}
		if _, ok := env.Message.(*rtapi.Envelope_Ping); ok {
			p.mu.Lock()
			ignore := p.ignorePings
			p.mu.Unlock()
			if ignore {
				continue
			}
		}
		if p.srv.handle != nil && p.srv.handle(p, env) {
			continue
		}
		sockDefaultAnswer(p, env)
	}
}

func (p *sockPeer) setIgnorePings(v bool) {
	p.mu.Lock()
	p.ignorePings = v
	p.mu.Unlock()
}

// send writes env in the peer's format; errors (a closed connection) are
// ignored, as a server would.
func (p *sockPeer) send(env *rtapi.Envelope) {
	b, err := p.format.Append(nil, env)
	if err != nil {
		p.srv.t.Errorf("fake server: encode: %v", err)
		return
	}
	p.sendRaw(b)
}

func (p *sockPeer) sendRaw(b []byte) {
	typ := websocket.MessageBinary
	if p.format == wire.JSON {
		typ = websocket.MessageText
	}
	_ = p.conn.Write(context.Background(), typ, b)
}

// next returns the next envelope the client sent.
func (p *sockPeer) next(t testing.TB) *rtapi.Envelope {
	t.Helper()
	select {
	case env := <-p.received:
		return env
	case <-time.After(10 * time.Second):
		t.Fatal("the fake server received nothing")
		return nil
	}
}

func sockReply(p *sockPeer, env *rtapi.Envelope, reply *rtapi.Envelope) {
	reply.Cid = env.Cid
	p.send(reply)
}

func sockErrorReply(p *sockPeer, env *rtapi.Envelope, code rtapi.Error_Code, msg string) {
	sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: int32(code), Message: msg,
		Context: map[string]string{"k": "v"}}}})
}

// sockDefaultAnswer answers every client message as a cooperative server
// would, with values derived from the request so tests can check them.
func sockDefaultAnswer(p *sockPeer, env *rtapi.Envelope) {
	empty := &rtapi.Envelope{}
	self := &rtapi.UserPresence{UserId: "sock-user", SessionId: "sid", Username: "sockuser"}
	switch m := env.Message.(type) {
	case *rtapi.Envelope_Ping:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Pong{Pong: &rtapi.Pong{}}})
	case *rtapi.Envelope_ChannelJoin:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Channel{Channel: &rtapi.Channel{
			Id: "2." + m.ChannelJoin.Target, RoomName: m.ChannelJoin.Target, Self: self}}})
	case *rtapi.Envelope_ChannelLeave:
		sockReply(p, env, empty)
	case *rtapi.Envelope_ChannelMessageSend:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageAck{ChannelMessageAck: &rtapi.ChannelMessageAck{
			ChannelId: m.ChannelMessageSend.ChannelId, MessageId: "msg-1", Username: "sockuser"}}})
	case *rtapi.Envelope_ChannelMessageUpdate:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageAck{ChannelMessageAck: &rtapi.ChannelMessageAck{
			ChannelId: m.ChannelMessageUpdate.ChannelId, MessageId: m.ChannelMessageUpdate.MessageId}}})
	case *rtapi.Envelope_ChannelMessageRemove:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessageAck{ChannelMessageAck: &rtapi.ChannelMessageAck{
			ChannelId: m.ChannelMessageRemove.ChannelId, MessageId: m.ChannelMessageRemove.MessageId}}})
	case *rtapi.Envelope_MatchCreate:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Match{Match: &rtapi.Match{
			MatchId: "match-" + m.MatchCreate.Name + ".node", Size: 1, Self: self}}})
	case *rtapi.Envelope_MatchJoin:
		id := m.MatchJoin.GetMatchId()
		if t := m.MatchJoin.GetToken(); t != "" {
			id = "from-token-" + t
		}
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Match{Match: &rtapi.Match{
			MatchId: id, Size: int32(1 + len(m.MatchJoin.Metadata)), Self: self}}})
	case *rtapi.Envelope_MatchLeave:
		sockReply(p, env, empty)
	case *rtapi.Envelope_MatchDataSend:
		// Relay it back, as if another member had sent it.
		p.send(&rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
			MatchId: m.MatchDataSend.MatchId, Presence: self, OpCode: m.MatchDataSend.OpCode,
			Data: m.MatchDataSend.Data, Reliable: m.MatchDataSend.Reliable}}})
	case *rtapi.Envelope_MatchmakerAdd:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_MatchmakerTicket{MatchmakerTicket: &rtapi.MatchmakerTicket{
			Ticket: "ticket-" + m.MatchmakerAdd.Query}}})
	case *rtapi.Envelope_MatchmakerRemove:
		sockReply(p, env, empty)
	case *rtapi.Envelope_Rpc:
		switch m.Rpc.Id {
		case "fail":
			sockErrorReply(p, env, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, "it failed")
		case "missing":
			sockErrorReply(p, env, rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND, "RPC function not found")
		case "hang":
		default:
			sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{
				Id: m.Rpc.Id, Payload: "echo:" + m.Rpc.Payload}}})
		}
	case *rtapi.Envelope_StatusFollow:
		st := &rtapi.Status{}
		for _, id := range m.StatusFollow.UserIds {
			st.Presences = append(st.Presences, &rtapi.UserPresence{UserId: id})
		}
		for _, u := range m.StatusFollow.Usernames {
			st.Presences = append(st.Presences, &rtapi.UserPresence{Username: u})
		}
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Status{Status: st}})
	case *rtapi.Envelope_StatusUnfollow, *rtapi.Envelope_StatusUpdate:
		sockReply(p, env, empty)
	case *rtapi.Envelope_PartyCreate:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Party{Party: &rtapi.Party{
			PartyId: "party.node", Open: m.PartyCreate.Open, Hidden: m.PartyCreate.Hidden,
			MaxSize: m.PartyCreate.MaxSize, Label: m.PartyCreate.Label, Self: self, Leader: self}}})
	case *rtapi.Envelope_PartyJoinRequestList:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_PartyJoinRequest{PartyJoinRequest: &rtapi.PartyJoinRequest{
			PartyId: m.PartyJoinRequestList.PartyId, Presences: []*rtapi.UserPresence{{UserId: "asker"}}}}})
	case *rtapi.Envelope_PartyMatchmakerAdd:
		sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_PartyMatchmakerTicket{PartyMatchmakerTicket: &rtapi.PartyMatchmakerTicket{
			PartyId: m.PartyMatchmakerAdd.PartyId, Ticket: "party-ticket"}}})
	case *rtapi.Envelope_PartyJoin, *rtapi.Envelope_PartyLeave, *rtapi.Envelope_PartyPromote,
		*rtapi.Envelope_PartyAccept, *rtapi.Envelope_PartyRemove, *rtapi.Envelope_PartyClose,
		*rtapi.Envelope_PartyMatchmakerRemove, *rtapi.Envelope_PartyDataSend, *rtapi.Envelope_PartyUpdate:
		sockReply(p, env, empty)
	default:
		sockErrorReply(p, env, rtapi.Error_UNRECOGNIZED_PAYLOAD, "Unrecognized message.")
	}
}

// sockConnect makes a socket for f with opts (nil: defaults, protobuf) and
// connects it; the test's cleanup closes it.
func sockConnect(t testing.TB, f *sockFakeServer, opts *SocketOptions) (*WebSocket, *sockPeer) {
	t.Helper()
	s, err := NewWebSocket(f.url(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Connect(ctx, sockSession(t), nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, f.peer()
}

// sockCtx is a context for one test step, generous so a slow -race run
// does not fail; tests never assert on timing.
func sockCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sockFormats runs f once per wire format.
func sockFormats(t *testing.T, f func(t *testing.T, format SocketFormat)) {
	for _, format := range []SocketFormat{SocketProtobuf, SocketJSON} {
		t.Run(format.String(), func(t *testing.T) { f(t, format) })
	}
}

// sockWait waits for ch, failing the test after a generous time.
func sockWait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// sockTickUntil calls Tick until cond holds.
func sockTickUntil(t testing.TB, s *WebSocket, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met while ticking")
		}
		if s.Tick() == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func sockMatchData(op int64) *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{
		MatchId: "m.node", OpCode: op, Data: []byte(strconv.FormatInt(op, 10))}}}
}
