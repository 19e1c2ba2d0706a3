//go:build !js

// Not under js/wasm: the socket tests run a WebSocket server in the test
// process, which the browser adapter (the host's WebSocket) cannot reach.

package nakama

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protowire"
)

func TestWebSocketEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "ws://127.0.0.1:7350/ws",
		"http://example.com:7350":       "ws://example.com:7350/ws",
		"https://example.com":           "wss://example.com/ws",
		"https://example.com/nakama/":   "wss://example.com/nakama/ws",
		"ws://example.com/ws":           "ws://example.com/ws",
		"wss://u:p@example.com/x?y=1#z": "wss://example.com/x/ws",
	} {
		s, err := NewWebSocket(in, nil)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := s.Endpoint(); got != want {
			t.Errorf("%q: endpoint %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "::"} {
		if _, err := NewWebSocket(bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestWebSocketConnectQuery checks what the socket puts in the URL, in both
// formats.
func TestWebSocketConnectQuery(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		s, err := NewWebSocket(f.url()+"/prefix", &SocketOptions{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Connect(sockCtx(t), sockSession(t), &ConnectOptions{AppearOnline: true, Lang: "pt-BR"}); err != nil {
			t.Fatal(err)
		}
		path, q := f.lastQuery()
		if path != "/prefix/ws" || q["token"] != sockToken || q["format"] != format.String() || q["status"] != "true" || q["lang"] != "pt-BR" {
			t.Errorf("path %q query %v", path, q)
		}
		if !s.IsConnected() {
			t.Error("not connected")
		}
		if err := s.Connect(sockCtx(t), sockSession(t), nil); err == nil {
			t.Error("a second Connect succeeded")
		}
		if err := s.Ping(sockCtx(t)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if s.IsConnected() {
			t.Error("connected after Close")
		}
		// Defaults: appear offline, no lang.
		if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
			t.Fatal(err)
		}
		if _, q := f.lastQuery(); q["status"] != "false" || q["lang"] != "" {
			t.Errorf("default query %v", q)
		}
	})
}

// TestWebSocketDialErrors: a refused token becomes ErrUnauthenticated, and
// no dial error holds the token.
func TestWebSocketDialErrors(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, err := NewWebSocket(f.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := RestoreSession(strings.Replace(sockToken, "c2ln", "YmFk", 1), "")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Connect(sockCtx(t), bad, nil)
	var de *SocketDialError
	if !errors.As(err, &de) || de.HTTPStatus != 401 || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("bad token: %v", err)
	}
	if strings.Contains(err.Error(), bad.Token()) {
		t.Errorf("error holds the token: %v", err)
	}

	// An address where nothing listens: the dial error names the URL, which
	// must come out redacted, through the whole chain.
	f2 := newSockFakeServer(t, nil)
	addr := f2.url()
	f2.srv.Close()
	s2, _ := NewWebSocket(addr, nil)
	err = s2.Connect(sockCtx(t), sockSession(t), nil)
	if err == nil {
		t.Fatal("dial to a closed server succeeded")
	}
	for e := error(err); e != nil; {
		if strings.Contains(e.Error(), sockToken) {
			t.Errorf("error chain holds the token: %v", e)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			if len(u.Unwrap()) == 0 {
				e = nil
			} else {
				e = u.Unwrap()[0]
			}
		default:
			e = nil
		}
	}
	if !strings.Contains(err.Error(), "REDACTED") {
		t.Errorf("expected a redacted URL in %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Connect(ctx, sockSession(t), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v", err)
	}
}

// TestWebSocketConcurrentRequests: many goroutines share one socket, the
// server answers out of order, and every answer reaches its request.
func TestWebSocketConcurrentRequests(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		var wg sync.WaitGroup
		t.Cleanup(wg.Wait)
		f := newSockFakeServer(t, func(p *sockPeer, env *rtapi.Envelope) bool {
			rpc, ok := env.Message.(*rtapi.Envelope_Rpc)
			if !ok {
				return false
			}
			wg.Add(1)
			go func() { // answer later, in no particular order
				defer wg.Done()
				time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
				sockReply(p, env, &rtapi.Envelope{Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: rpc.Rpc.Id, Payload: "re:" + rpc.Rpc.Payload}}})
			}()
			return true
		})
		s, _ := sockConnect(t, f, &SocketOptions{Format: format})
		const goroutines, each = 32, 25
		var callers sync.WaitGroup
		errs := make(chan error, goroutines*each)
		for g := range goroutines {
			callers.Add(1)
			go func() {
				defer callers.Done()
				for i := range each {
					payload := fmt.Sprintf("%d/%d", g, i)
					r, err := s.RpcFunc(sockCtx(t), "echo", payload)
					if err != nil {
						errs <- err
						return
					}
					if r.Payload != "re:"+payload {
						errs <- fmt.Errorf("request %s got %q", payload, r.Payload)
					}
				}
			}()
		}
		callers.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// TestWebSocketCancelOneRequest: cancelling a request drops its answer and
// leaves the socket and other requests alone.
func TestWebSocketCancelOneRequest(t *testing.T) {
	hung := make(chan *rtapi.Envelope, 1)
	f := newSockFakeServer(t, func(p *sockPeer, env *rtapi.Envelope) bool {
		if rpc, ok := env.Message.(*rtapi.Envelope_Rpc); ok && rpc.Rpc.Id == "hang" {
			hung <- env
			return true
		}
		return false
	})
	s, peer := sockConnect(t, f, nil)
	var errEvents atomic.Int32
	s.OnError(func(error) { errEvents.Add(1) })

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.RpcFunc(ctx, "hang", "")
		done <- err
	}()
	env := sockWait(t, hung, "the hung request")
	// Another request completes while the first waits.
	if _, err := s.RpcFunc(sockCtx(t), "other", ""); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := sockWait(t, done, "the cancelled request"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	// The answer arrives late: it is dropped, not reported.
	sockReply(peer, env, &rtapi.Envelope{Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: "hang"}}})
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
	s.Tick()
	if n := errEvents.Load(); n != 0 {
		t.Errorf("%d error events after a late answer", n)
	}
	if !s.IsConnected() {
		t.Error("cancelling a request closed the socket")
	}
	// A context already done sends nothing.
	if _, err := s.RpcFunc(ctx, "x", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("request with a done context: %v", err)
	}
}

// TestWebSocketCloseFailsPending: requests waiting when the connection ends
// fail at once with the *CloseError, whoever ends it.
func TestWebSocketCloseFailsPending(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(s *WebSocket, p *sockPeer)
		code int
	}{
		{"ServerDrops", func(_ *WebSocket, p *sockPeer) { _ = p.conn.CloseNow() }, sockCloseAbnormal},
		{"ServerCloses", func(_ *WebSocket, p *sockPeer) { _ = p.conn.Close(4000, "bye") }, 4000},
		{"ClientCloses", func(s *WebSocket, _ *sockPeer) { _ = s.Close() }, sockCloseNormal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hung := make(chan struct{}, 8)
			f := newSockFakeServer(t, func(p *sockPeer, env *rtapi.Envelope) bool {
				if _, ok := env.Message.(*rtapi.Envelope_Rpc); ok {
					hung <- struct{}{}
					return true
				}
				return false
			})
			s, peer := sockConnect(t, f, nil)
			disconnected := make(chan error, 1)
			s.OnDisconnect(func(err error) { disconnected <- err })
			const n = 5
			errs := make(chan error, n)
			for range n {
				go func() {
					_, err := s.RpcFunc(context.Background(), "hang", "")
					errs <- err
				}()
			}
			for range n {
				sockWait(t, hung, "requests")
			}
			tc.end(s, peer)
			for range n {
				err := sockWait(t, errs, "failed request")
				if !errors.Is(err, ErrSocketClosed) || CloseStatus(err) != tc.code {
					t.Errorf("pending request: %v (status %d)", err, CloseStatus(err))
				}
			}
			sockTickUntil(t, s, func() bool { return len(disconnected) == 1 })
			if err := <-disconnected; CloseStatus(err) != tc.code {
				t.Errorf("disconnect: %v", err)
			}
			if err := s.Ping(sockCtx(t)); !errors.Is(err, ErrSocketClosed) {
				t.Errorf("request after the end: %v", err)
			}
			if err := s.SendMatchData(sockCtx(t), "m", 1, nil, nil); !errors.Is(err, ErrSocketClosed) {
				t.Errorf("send after the end: %v", err)
			}
		})
	}
}

// TestWebSocketEventOrder: events of every kind reach their handlers in the
// order they arrived, through Tick, in both formats.
func TestWebSocketEventOrder(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		s, peer := sockConnect(t, f, &SocketOptions{Format: format})
		var got []string
		rec := func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }
		s.OnConnect(func() { rec("connect") })
		s.OnChannelMessage(func(m *api.ChannelMessage) { rec("chat %s", m.Content) })
		s.OnChannelPresence(func(m *rtapi.ChannelPresenceEvent) { rec("chatpres %s", m.ChannelId) })
		s.OnMatchData(func(m *rtapi.MatchData) { rec("data %d", m.OpCode) })
		s.OnMatchPresence(func(m *rtapi.MatchPresenceEvent) { rec("matchpres %s", m.MatchId) })
		s.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) { rec("matched %s", m.Ticket) })
		s.OnNotification(func(n *api.Notification) { rec("note %s", n.Id) })
		s.OnStatusPresence(func(m *rtapi.StatusPresenceEvent) { rec("status %d", len(m.Joins)) })
		s.OnStreamData(func(m *rtapi.StreamData) { rec("stream %s", m.Data) })
		s.OnStreamPresence(func(m *rtapi.StreamPresenceEvent) { rec("streampres %d", m.Stream.Mode) })
		s.OnParty(func(m *rtapi.Party) { rec("party %s", m.PartyId) })
		s.OnPartyClose(func(m *rtapi.PartyClose) { rec("partyclose %s", m.PartyId) })
		s.OnPartyData(func(m *rtapi.PartyData) { rec("partydata %d", m.OpCode) })
		s.OnPartyJoinRequest(func(m *rtapi.PartyJoinRequest) { rec("joinreq %s", m.PartyId) })
		s.OnPartyLeader(func(m *rtapi.PartyLeader) { rec("leader %s", m.Presence.UserId) })
		s.OnPartyPresence(func(m *rtapi.PartyPresenceEvent) { rec("partypres %s", m.PartyId) })
		s.OnPartyMatchmakerTicket(func(m *rtapi.PartyMatchmakerTicket) { rec("partyticket %s", m.Ticket) })
		s.OnPartyUpdate(func(m *rtapi.PartyUpdate) { rec("partyupdate %s", m.Label) })
		s.OnError(func(err error) { rec("error %v", CodeOf(err)) })

		push := []*rtapi.Envelope{
			{Message: &rtapi.Envelope_ChannelMessage{ChannelMessage: &api.ChannelMessage{Content: "hello"}}},
			sockMatchData(1),
			{Message: &rtapi.Envelope_ChannelPresenceEvent{ChannelPresenceEvent: &rtapi.ChannelPresenceEvent{ChannelId: "c"}}},
			{Message: &rtapi.Envelope_MatchPresenceEvent{MatchPresenceEvent: &rtapi.MatchPresenceEvent{MatchId: "m"}}},
			sockMatchData(2),
			{Message: &rtapi.Envelope_MatchmakerMatched{MatchmakerMatched: &rtapi.MatchmakerMatched{Ticket: "t"}}},
			{Message: &rtapi.Envelope_Notifications{Notifications: &rtapi.Notifications{Notifications: []*api.Notification{{Id: "n1"}, {Id: "n2"}}}}},
			{Message: &rtapi.Envelope_StatusPresenceEvent{StatusPresenceEvent: &rtapi.StatusPresenceEvent{Joins: []*rtapi.UserPresence{{}}}}},
			{Message: &rtapi.Envelope_StreamData{StreamData: &rtapi.StreamData{Data: "sd"}}},
			{Message: &rtapi.Envelope_StreamPresenceEvent{StreamPresenceEvent: &rtapi.StreamPresenceEvent{Stream: &rtapi.Stream{Mode: 4}}}},
			{Message: &rtapi.Envelope_Party{Party: &rtapi.Party{PartyId: "p"}}},
			{Message: &rtapi.Envelope_PartyData{PartyData: &rtapi.PartyData{OpCode: 9}}},
			{Message: &rtapi.Envelope_PartyJoinRequest{PartyJoinRequest: &rtapi.PartyJoinRequest{PartyId: "p"}}},
			{Message: &rtapi.Envelope_PartyLeader{PartyLeader: &rtapi.PartyLeader{Presence: &rtapi.UserPresence{UserId: "boss"}}}},
			{Message: &rtapi.Envelope_PartyPresenceEvent{PartyPresenceEvent: &rtapi.PartyPresenceEvent{PartyId: "p"}}},
			{Message: &rtapi.Envelope_PartyMatchmakerTicket{PartyMatchmakerTicket: &rtapi.PartyMatchmakerTicket{Ticket: "pt"}}},
			{Message: &rtapi.Envelope_PartyUpdate{PartyUpdate: &rtapi.PartyUpdate{PartyId: "p", Label: "lbl"}}},
			{Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: int32(rtapi.Error_BAD_INPUT), Message: "Invalid match ID"}}},
			{Message: &rtapi.Envelope_PartyClose{PartyClose: &rtapi.PartyClose{PartyId: "p"}}},
			sockMatchData(3),
		}
		for _, env := range push {
			peer.send(env)
		}
		want := []string{"connect", "chat hello", "data 1", "chatpres c", "matchpres m", "data 2", "matched t", "note n1", "note n2",
			"status 1", "stream sd", "streampres 4", "party p", "partydata 9", "joinreq p", "leader boss", "partypres p",
			"partyticket pt", "partyupdate lbl", "error InvalidArgument", "partyclose p", "data 3"}
		sockTickUntil(t, s, func() bool { return len(got) >= len(want) })
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("events\n got %v\nwant %v", got, want)
		}
		s.OnDisconnect(func(err error) { rec("disconnect") })
		s.Close()
		s.Tick()
		if got[len(got)-1] != "disconnect" {
			t.Errorf("last event %q", got[len(got)-1])
		}
	})
}

// TestWebSocketAutoDispatch: with AutoDispatch, handlers run in order on
// one goroutine without Tick, and may call the socket.
func TestWebSocketAutoDispatch(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		s, err := NewWebSocket(f.url(), &SocketOptions{Format: format, AutoDispatch: true})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var ops []int64
		var running, overlaps atomic.Int32
		done := make(chan struct{})
		disconnected := make(chan struct{})
		s.OnMatchData(func(md *rtapi.MatchData) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			mu.Lock()
			ops = append(ops, md.OpCode)
			n := len(ops)
			mu.Unlock()
			if n == 50 {
				// A handler may make requests: the answer does not go
				// through the event queue, so this does not deadlock.
				if r, err := s.RpcFunc(sockCtx(t), "in-handler", "x"); err != nil || r.Payload != "echo:x" {
					t.Errorf("request from a handler: %v %v", r, err)
				}
				close(done)
			}
		})
		s.OnDisconnect(func(error) { close(disconnected) })
		if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
			t.Fatal(err)
		}
		peer := f.peer()
		for i := range 50 {
			peer.send(sockMatchData(int64(i)))
		}
		sockWait(t, done, "50 match data events")
		if s.Tick() != 0 {
			t.Error("Tick ran handlers under AutoDispatch")
		}
		mu.Lock()
		for i, op := range ops {
			if op != int64(i) {
				t.Fatalf("events out of order: %v", ops)
			}
		}
		if n := overlaps.Load(); n != 0 {
			t.Errorf("handlers overlapped %d times", n)
		}
		mu.Unlock()
		s.Close()
		// The dispatcher may still be returning from the 50th handler, and
		// a Close that finds a handler running cannot wait for it (see
		// WebSocket): Done says when the dispatcher, and OnDisconnect, ran.
		// TestSocketDone checks that a Close with no
		// handler running waits.
		sockWait(t, s.Done(), "the socket down")
		select {
		case <-disconnected:
		default:
			t.Error("Done closed before OnDisconnect ran")
		}
	})
}

// TestWebSocketHandlerRequestTick: a handler run by Tick may make requests.
func TestWebSocketHandlerRequestTick(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, nil)
	var answer string
	s.OnMatchData(func(*rtapi.MatchData) {
		r, err := s.RpcFunc(sockCtx(t), "tick", "y")
		if err != nil {
			t.Error(err)
			return
		}
		answer = r.Payload
	})
	peer.send(sockMatchData(1))
	sockTickUntil(t, s, func() bool { return answer != "" })
	if answer != "echo:y" {
		t.Errorf("answer %q", answer)
	}
}

// TestWebSocketHandlerPanic: a panic becomes an error event and the events
// after it still run.
func TestWebSocketHandlerPanic(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprint("auto=", auto), func(t *testing.T) {
			f := newSockFakeServer(t, nil)
			s, peer := sockConnect(t, f, &SocketOptions{AutoDispatch: auto})
			var mu sync.Mutex
			var got []string
			s.OnMatchData(func(md *rtapi.MatchData) {
				if md.OpCode == 1 {
					panic("boom")
				}
				mu.Lock()
				got = append(got, fmt.Sprint("data ", md.OpCode))
				mu.Unlock()
			})
			s.OnError(func(err error) {
				mu.Lock()
				defer mu.Unlock()
				if errors.Is(err, ErrHandlerPanic) && strings.Contains(err.Error(), "boom") {
					got = append(got, "panic")
				} else {
					got = append(got, "error "+err.Error())
				}
			})
			peer.send(sockMatchData(1))
			peer.send(sockMatchData(2))
			n := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
			sockTickUntil(t, s, func() bool { return n() == 2 })
			mu.Lock()
			defer mu.Unlock()
			// The panic report is queued behind events already waiting.
			if strings.Join(got, "|") != "data 2|panic" && strings.Join(got, "|") != "panic|data 2" {
				t.Errorf("got %v", got)
			}
		})
	}
}

// TestWebSocketQueueFull checks the documented overflow policy: the newest
// events are dropped and counted, the count is reported in their place, the
// read loop never waits; or, with DisconnectOnQueueFull, the connection
// ends.
func TestWebSocketQueueFull(t *testing.T) {
	t.Run("Drop", func(t *testing.T) {
		f := newSockFakeServer(t, nil)
		s, peer := sockConnect(t, f, &SocketOptions{EventQueueSize: 5})
		var got []string
		s.OnMatchData(func(md *rtapi.MatchData) { got = append(got, fmt.Sprint(md.OpCode)) })
		s.OnError(func(err error) {
			if errors.Is(err, ErrEventQueueFull) {
				got = append(got, "dropped:"+err.Error()[strings.LastIndex(err.Error(), ":")+2:])
			}
		})
		s.Tick() // OnConnect
		for i := range 20 {
			peer.send(sockMatchData(int64(i)))
		}
		// Answers bypass the queue: requests work while it is full, and
		// the pong proves the 20 events were read.
		if err := s.Ping(sockCtx(t)); err != nil {
			t.Fatal(err)
		}
		s.Tick()
		peer.send(sockMatchData(20))
		if err := s.Ping(sockCtx(t)); err != nil {
			t.Fatal(err)
		}
		s.Tick()
		want := "0|1|2|3|4|dropped:15 events dropped|20"
		if strings.Join(got, "|") != want {
			t.Errorf("got %v, want %v", strings.Join(got, "|"), want)
		}
	})
	t.Run("Disconnect", func(t *testing.T) {
		f := newSockFakeServer(t, nil)
		s, peer := sockConnect(t, f, &SocketOptions{EventQueueSize: 3, DisconnectOnQueueFull: true})
		var disc error
		s.OnDisconnect(func(err error) { disc = err })
		for i := range 10 {
			peer.send(sockMatchData(int64(i)))
		}
		sockTickUntil(t, s, func() bool { return disc != nil })
		if !errors.Is(disc, ErrEventQueueFull) || !errors.Is(disc, ErrSocketClosed) {
			t.Errorf("disconnect: %v", disc)
		}
	})
}

// TestWebSocketBadFrames: frames that cannot be decoded, carry an unknown
// message, or are not expected become error events; the socket goes on.
func TestWebSocketBadFrames(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		s, peer := sockConnect(t, f, &SocketOptions{Format: format})
		var errs []error
		var data []int64
		s.OnError(func(err error) { errs = append(errs, err) })
		s.OnMatchData(func(md *rtapi.MatchData) { data = append(data, md.OpCode) })

		if format == SocketJSON {
			peer.sendRaw([]byte(`{"match_data": {"op_code": "1"`))                 // truncated
			peer.sendRaw([]byte(`not json at all`))                                // garbage
			peer.sendRaw([]byte(`{"brand_new_message": {"x": 1}}`))                // a newer server's message
			peer.sendRaw([]byte(`{"match_data":{"op_code":"1"},"match_data":{}}`)) // duplicate key
		} else {
			peer.sendRaw([]byte{0xff, 0xff, 0xff})                                                      // garbage
			peer.sendRaw(protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), nil)) // unknown field 99
			peer.sendRaw(protowire.AppendTag(nil, 14, protowire.BytesType))                             // truncated match_data
			peer.sendRaw([]byte{0x0a})                                                                  // truncated cid
		}
		// An answer-type message nobody asked for, without a cid.
		peer.send(&rtapi.Envelope{Message: &rtapi.Envelope_Match{Match: &rtapi.Match{MatchId: "x"}}})
		peer.send(sockMatchData(42))
		if err := s.Ping(sockCtx(t)); err != nil {
			t.Fatal(err)
		}
		s.Tick()
		if len(errs) != 5 {
			t.Fatalf("%d error events: %v", len(errs), errs)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("error event %v does not wrap ErrBadResponse", err)
			}
		}
		if len(data) != 1 || data[0] != 42 {
			t.Errorf("match data after bad frames: %v", data)
		}
	})
}

// TestWebSocketHeartbeat: a server that stops answering pings is detected
// and reported as a disconnect; pending requests fail with it.
func TestWebSocketHeartbeat(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, &SocketOptions{AutoDispatch: true,
		Keepalive: KeepaliveConfig{Interval: 10 * time.Millisecond, Timeout: 40 * time.Millisecond}})
	disconnected := make(chan error, 1)
	s.OnDisconnect(func(err error) { disconnected <- err })
	// Several heartbeats succeed first.
	for range 3 {
		if env := peer.next(t); env.GetPing() == nil {
			t.Fatalf("expected a heartbeat ping, got %v", env)
		}
	}
	peer.setIgnorePings(true)
	err := sockWait(t, disconnected, "the heartbeat to notice the silent server")
	if !errors.Is(err, ErrHeartbeatTimeout) || !errors.Is(err, ErrSocketClosed) {
		t.Errorf("disconnect: %v", err)
	}
	if s.IsConnected() {
		t.Error("still connected")
	}
}

// TestWebSocketClose: Close is idempotent, safe from many goroutines and
// from handlers, and the socket can connect again afterwards.
func TestWebSocketClose(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, _ := sockConnect(t, f, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Close() }()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("Close again: %v", err)
	}
	var events []string
	s.OnConnect(func() { events = append(events, "connect") })
	s.OnDisconnect(func(err error) { events = append(events, fmt.Sprint("disconnect ", CloseStatus(err))) })
	s.Tick()
	if strings.Join(events, "|") != "connect|disconnect 1000" {
		t.Errorf("events %v", events)
	}
	// Reconnect.
	events = nil
	if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
		t.Fatal(err)
	}
	f.peer()
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Tick()
	if strings.Join(events, "|") != "connect|disconnect 1000" {
		t.Errorf("events after reconnect %v", events)
	}
}

// TestWebSocketCloseFromHandler: Close called by a handler, on the
// dispatcher or on the Tick goroutine, returns, and nothing leaks.
func TestWebSocketCloseFromHandler(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprint("auto=", auto), func(t *testing.T) {
			f := newSockFakeServer(t, nil)
			s, peer := sockConnect(t, f, &SocketOptions{AutoDispatch: auto})
			closed := make(chan struct{})
			disconnected := make(chan struct{})
			s.OnMatchData(func(*rtapi.MatchData) { _ = s.Close(); close(closed) })
			s.OnDisconnect(func(error) { close(disconnected) })
			peer.send(sockMatchData(1))
			sockTickUntil(t, s, func() bool { return sockIsClosedCh(closed) && sockIsClosedCh(disconnected) })
		})
	}
}

// TestWebSocketReconnectFromHandler: OnDisconnect may Connect again, even
// on the dispatcher goroutine.
func TestWebSocketReconnectFromHandler(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, &SocketOptions{AutoDispatch: true})
	reconnected := make(chan error, 1)
	var once sync.Once
	s.OnDisconnect(func(error) {
		once.Do(func() { reconnected <- s.Connect(sockCtx(t), sockSession(t), nil) })
	})
	_ = peer.conn.CloseNow()
	if err := sockWait(t, reconnected, "the reconnect"); err != nil {
		t.Fatal(err)
	}
	f.peer()
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestWebSocketUnsolicitedError: an error envelope without a cid is an
// error event carrying a *SocketError.
func TestWebSocketUnsolicitedError(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, &SocketOptions{Format: SocketJSON})
	var got error
	s.OnError(func(err error) { got = err })
	peer.send(&rtapi.Envelope{Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: int32(rtapi.Error_MATCH_NOT_FOUND), Message: "Match not found"}}})
	sockTickUntil(t, s, func() bool { return got != nil })
	var se *SocketError
	if !errors.As(got, &se) || se.Code != rtapi.Error_MATCH_NOT_FOUND || !errors.Is(got, ErrNotFound) {
		t.Errorf("error event %v", got)
	}
}

// TestWebSocketReadLimit: a message over the adapter's read limit ends the
// connection with 1009.
func TestWebSocketReadLimit(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, &SocketOptions{Adapter: NewWebSocketAdapter(&WebSocketAdapterOptions{ReadLimit: 64})})
	var disc error
	s.OnDisconnect(func(err error) { disc = err })
	peer.send(&rtapi.Envelope{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{Data: make([]byte, 200)}}})
	sockTickUntil(t, s, func() bool { return disc != nil })
	if CloseStatus(disc) != int(websocket.StatusMessageTooBig) {
		t.Errorf("disconnect %v", disc)
	}
}

func sockIsClosedCh(ch chan struct{}) bool { return sockIsClosed(ch) }

// TestWebSocketDialContext: the context given to Connect bounds only the
// handshake; ending it later leaves the connection open.
func TestWebSocketDialContext(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, err := NewWebSocket(f.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Connect(ctx, sockSession(t), nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	time.Sleep(10 * time.Millisecond) // let a wrongly bound connection die
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatalf("Ping after the dial context ended: %v", err)
	}
}

// TestWebSocketCloseFlushes: what was sent before Close is written before
// the connection closes.
func TestWebSocketCloseFlushes(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, &SocketOptions{Keepalive: KeepaliveConfig{Disable: true}})
	const n = 100
	for i := range n {
		if err := s.SendMatchData(sockCtx(t), "m.node", int64(i), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	for i := range n {
		if op := peer.next(t).GetMatchDataSend().GetOpCode(); op != int64(i) {
			t.Fatalf("frame %d has op code %d", i, op)
		}
	}
}
