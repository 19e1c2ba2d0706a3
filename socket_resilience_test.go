//go:build !js

package nakama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
)

// sockForwarder is a TCP forwarder between the socket and a server, that a
// test can cut (both sides closed, no close frame), blackhole (bytes
// dropped both ways, the connection left open) or make refuse new
// connections.
type sockForwarder struct {
	t      testing.TB
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   []net.Conn
	refuse  bool
	holed   atomic.Bool
	accepts atomic.Int32
	wg      sync.WaitGroup
}

func newSockForwarder(t testing.TB, target string) *sockForwarder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &sockForwarder{t: t, ln: ln, target: target}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		f.cut()
		f.wg.Wait()
	})
	return f
}

func (f *sockForwarder) url() string { return "http://" + f.ln.Addr().String() }

func (f *sockForwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.accepts.Add(1)
		f.mu.Lock()
		refuse := f.refuse
		f.mu.Unlock()
		if refuse {
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		f.holed.Store(false)
		f.mu.Lock()
		f.conns = append(f.conns, c, up)
		f.mu.Unlock()
		f.wg.Add(2)
		go f.pipe(c, up)
		go f.pipe(up, c)
	}
}

// pipe copies from src to dst, dropping the bytes while blackholed.
func (f *sockForwarder) pipe(src, dst net.Conn) {
	defer f.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !f.holed.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			_ = src.Close()
			_ = dst.Close()
			return
		}
	}
}

// cut closes every forwarded connection at the TCP level.
func (f *sockForwarder) cut() {
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// blackhole drops every byte of the current connections from now on; a
// new connection clears it.
func (f *sockForwarder) blackhole() { f.holed.Store(true) }

func (f *sockForwarder) setRefuse(v bool) {
	f.mu.Lock()
	f.refuse = v
	f.mu.Unlock()
}

// sockKeepMatch is an authoritative match that accepts everyone and runs
// until terminated, so it outlives its presences and a server restart.
type sockKeepMatch struct{}

func (sockKeepMatch) MatchInit(context.Context, map[string]any) (any, int, string) {
	return struct{}{}, 1, ""
}
func (sockKeepMatch) MatchJoinAttempt(_ context.Context, _ runtime.MatchDispatcher, _ int64, st any, _ runtime.Presence, _ map[string]string) (any, bool, string) {
	return st, true, ""
}
func (sockKeepMatch) MatchJoin(_ context.Context, _ runtime.MatchDispatcher, _ int64, st any, _ []runtime.Presence) any {
	return st
}
func (sockKeepMatch) MatchLeave(_ context.Context, _ runtime.MatchDispatcher, _ int64, st any, _ []runtime.Presence) any {
	return st
}
func (sockKeepMatch) MatchLoop(_ context.Context, _ runtime.MatchDispatcher, _ int64, st any, _ []runtime.MatchData) any {
	return st
}
func (sockKeepMatch) MatchTerminate(context.Context, runtime.MatchDispatcher, int64, any, int) any {
	return nil
}
func (sockKeepMatch) MatchSignal(_ context.Context, _ runtime.MatchDispatcher, _ int64, st any, data string) (any, string) {
	return st, data
}

// sockTestServer starts nakamatest with the conformance echo function and
// returns it with a client for it and a user's session.
func sockTestServer(t testing.TB, opts *nakamatest.Options) (*nakamatest.Server, *DefaultClient, *Session) {
	t.Helper()
	srv := nakamatest.RunT(t, opts)
	srv.RegisterMatch("keep", sockKeepMatch{})
	srv.RegisterRPC("conformance_echo", func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
		return in.Payload, nil
	})
	cl, err := NewClient(srv.URL(), "defaultkey", nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cl.AuthenticateDevice(sockCtx(t), fmt.Sprintf("sock-device-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv, cl, sess
}

// TestSocketBurst: 200 goroutines make 6,000 mixed requests on one socket;
// the in-flight bound keeps the server's outgoing queue from overflowing,
// so every request succeeds and every answer reaches its own caller. It
// runs against nakamatest in both formats, and against the real server
// NAKAMA_URL names (with NAKAMA_SERVER_KEY), when set.
func TestSocketBurst(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		t.Run("nakamatest", func(t *testing.T) {
			srv, cl, sess := sockTestServer(t, nil)
			sockBurst(t, srv.URL(), cl, sess, format)
		})
		t.Run("real", func(t *testing.T) {
			u := os.Getenv("NAKAMA_URL")
			if u == "" {
				t.Skip("NAKAMA_URL is not set: no real server to burst")
			}
			key := os.Getenv("NAKAMA_SERVER_KEY")
			hc := &http.Client{Transport: &http.Transport{}}
			t.Cleanup(hc.CloseIdleConnections)
			cl, err := NewClient(u, key, &ClientOptions{REST: RESTOptions{HTTPClient: hc}})
			if err != nil {
				t.Fatal(err)
			}
			sess, err := cl.AuthenticateDevice(sockCtx(t), fmt.Sprintf("sock-burst-%d", time.Now().UnixNano()), nil)
			if err != nil {
				t.Fatal(err)
			}
			sockBurst(t, u, cl, sess, format)
		})
	})
}

func sockBurst(t *testing.T, url string, cl *DefaultClient, sess *Session, format SocketFormat) {
	s, err := cl.NewSocket(&SocketOptions{Format: format, AutoDispatch: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Endpoint(), strings.Replace(url, "http", "ws", 1)) {
		t.Fatalf("endpoint %s for %s", s.Endpoint(), url)
	}
	if err := s.Connect(sockCtx(t), sess, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var disc atomic.Pointer[error]
	s.OnDisconnect(func(err error) { disc.Store(&err) })
	ch, err := s.JoinChat(sockCtx(t), "burst", rtapi.ChannelJoin_ROOM, nil)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 200, 30
	var wg sync.WaitGroup
	var failed atomic.Int32
	fail := func(format string, args ...any) {
		if failed.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tag := fmt.Sprintf("%d-%d", g, i)
				switch i % 3 {
				case 0:
					r, err := s.RpcFunc(ctx, "conformance_echo", `{"tag":"`+tag+`"}`)
					if err != nil {
						fail("rpc %s: %v", tag, err)
					} else if r.Payload != `{"tag":"`+tag+`"}` {
						fail("rpc %s got %q", tag, r.Payload)
					}
				case 1:
					if err := s.Ping(ctx); err != nil {
						fail("ping %s: %v", tag, err)
					}
				case 2:
					ack, err := s.WriteChatMessage(ctx, ch.Id, `{"tag":"`+tag+`"}`)
					if err != nil {
						fail("chat %s: %v", tag, err)
					} else if ack.ChannelId != ch.Id || ack.MessageId == "" {
						fail("chat %s ack %v", tag, ack)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed", n, goroutines*each)
	}
	if d := disc.Load(); d != nil {
		t.Errorf("disconnected during the burst: %v", *d)
	}
	if !s.IsConnected() {
		t.Error("not connected after the burst")
	}
}

// sockPipeAdapter is an in-memory SocketAdapter whose frames a test feeds
// to the socket's handler itself, as the read loop would.
type sockPipeAdapter struct {
	mu     sync.Mutex
	h      SocketAdapterHandler
	closed bool
	sent   [][]byte
}

func (a *sockPipeAdapter) Connect(_ context.Context, _ *SocketConnectParams, h SocketAdapterHandler) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.h, a.closed = h, false
	return nil
}

func (a *sockPipeAdapter) Send(_ context.Context, frames [][]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range frames {
		a.sent = append(a.sent, append([]byte(nil), f...))
	}
	return nil
}

func (a *sockPipeAdapter) Close() error { return a.CloseNow() }
func (a *sockPipeAdapter) CloseNow() error {
	a.mu.Lock()
	h, was := a.h, a.closed
	a.closed = true
	a.mu.Unlock()
	if !was && h != nil {
		h.OnClose(ErrSocketClosed)
	}
	return nil
}

// frame delivers one frame, as the adapter's read loop does.
func (a *sockPipeAdapter) frame(b []byte) {
	a.mu.Lock()
	h := a.h
	a.mu.Unlock()
	h.OnFrame(b)
}

// TestSocketEventQueueBytes: 300 undelivered 1 MiB events are bounded by
// the queue's bytes, not its count; the drops are reported at the next
// Tick with no new event, before the disconnect when nobody ticked, and
// never carried to the next connection.
func TestSocketEventQueueBytes(t *testing.T) {
	a := &sockPipeAdapter{}
	s, err := NewWebSocket("", &SocketOptions{Adapter: a, Keepalive: KeepaliveConfig{Disable: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big, err := s.format.Append(nil, &rtapi.Envelope{Message: &rtapi.Envelope_PartyData{PartyData: &rtapi.PartyData{
		PartyId: "p.node", Data: make([]byte, 1<<20)}}})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	data := 0
	s.OnConnect(func() { events = append(events, "connect") })
	s.OnPartyData(func(*rtapi.PartyData) { data++ })
	s.OnError(func(err error) { events = append(events, "error: "+err.Error()) })
	s.OnDisconnect(func(err error) { events = append(events, "disconnect") })

	const n = 300
	for range n {
		a.frame(big)
	}
	queued, bytes, dropped := s.q.stats()
	// One connect event and as many 1 MiB events as the default bytes
	// bound takes; the rest dropped, none of them held.
	if want := DefaultEventQueueBytes / len(big); queued != 1+want || dropped != n-want {
		t.Errorf("queued %d, dropped %d; want %d and %d", queued, dropped, 1+want, n-want)
	}
	if bytes > DefaultEventQueueBytes {
		t.Errorf("queue holds %d bytes, bound %d", bytes, DefaultEventQueueBytes)
	}
	// The next Tick reports the drops, though no event came after them.
	s.Tick()
	want := fmt.Sprintf("connect|error: nakama: socket event queue full: %d events dropped", dropped)
	if got := strings.Join(events, "|"); got != want || data != queued-1 {
		t.Errorf("events %q (%d data), want %q", got, data, want)
	}

	// Drops nobody ticked for come before the disconnect, not after the
	// next connect.
	events = nil
	for range 2 * queued {
		a.frame(big)
	}
	s.Close()
	if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
		t.Fatal(err)
	}
	s.Tick()
	got := strings.Join(events, "|")
	if !strings.HasSuffix(got, "events dropped|disconnect|connect") || strings.Count(got, "dropped") != 1 {
		t.Errorf("events %q", got)
	}
}

// TestSocketRequestTimeout: a request whose answer never comes fails with
// ErrRequestTimeout after SocketOptions.RequestTimeout; the socket stays.
func TestSocketRequestTimeout(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, _ := sockConnect(t, f, &SocketOptions{RequestTimeout: 20 * time.Millisecond})
	_, err := s.RpcFunc(context.Background(), "hang", "")
	if !errors.Is(err, ErrRequestTimeout) || !Timeout(err) || !strings.Contains(err.Error(), "no answer within 20ms") {
		t.Fatalf("hung request: %v", err)
	}
	if err := s.Ping(sockCtx(t)); err != nil || !s.IsConnected() {
		t.Errorf("after a timeout: %v, connected %v", err, s.IsConnected())
	}
}

// TestSocketInFlightBound: requests beyond MaxRequestsInFlight wait for a
// slot, within their context, and get one when an answer frees it.
func TestSocketInFlightBound(t *testing.T) {
	hung := make(chan *rtapi.Envelope, 8)
	f := newSockFakeServer(t, func(p *sockPeer, env *rtapi.Envelope) bool {
		if rpc, ok := env.Message.(*rtapi.Envelope_Rpc); ok && rpc.Rpc.Id == "hang" {
			hung <- env
			return true
		}
		return false
	})
	s, peer := sockConnect(t, f, &SocketOptions{MaxRequestsInFlight: 2, Keepalive: KeepaliveConfig{Disable: true}})
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := s.RpcFunc(context.Background(), "hang", ""); errs <- err }()
	}
	first := sockWait(t, hung, "the first request")
	sockWait(t, hung, "the second request")
	// A third waits for a slot: its context ends before it gets one, and
	// the server never sees it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("request over the bound: %v", err)
	}
	// An answer frees a slot.
	sockReply(peer, first, &rtapi.Envelope{Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: "hang"}}})
	if err := sockWait(t, errs, "the answered request"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := sockWait(t, errs, "the request failed by Close"); !errors.Is(err, ErrSocketClosed) {
		t.Errorf("pending at Close: %v", err)
	}
}

// TestSocketConnectSession: without a client, an expired session fails
// before dialing with ErrSessionExpired; with one, a session about to
// expire is refreshed first.
func TestSocketConnectSession(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, err := NewWebSocket(f.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	old := sockExpiredSession(t)
	err = s.Connect(sockCtx(t), old, nil)
	if !errors.Is(err, ErrSessionExpired) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Connect with an expired session: %v", err)
	}
	if path, _ := f.lastQuery(); path != "" {
		t.Errorf("dialled %s with an expired session", path)
	}

	srv := nakamatest.RunT(t, &nakamatest.Options{TokenExpiry: 10 * time.Second})
	refreshed := 0
	cl, err := NewClient(srv.URL(), "", &ClientOptions{OnSessionRefresh: func(*Session) { refreshed++ }})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cl.AuthenticateDevice(sockCtx(t), "sock-refresh-device", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := cl.NewSocket(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.Connect(sockCtx(t), sess, nil); err != nil {
		t.Fatal(err)
	}
	if refreshed != 1 {
		t.Errorf("%d refreshes before Connect, want 1 (the token expires within the margin)", refreshed)
	}
	if err := ws.Ping(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// sockExpiredSession is a well-formed session whose token expired an hour
// ago, with no refresh token.
func sockExpiredSession(t testing.TB) *Session {
	t.Helper()
	s, err := RestoreSession(sockTokenExpiring(time.Now().Add(-time.Hour)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Expired() {
		t.Fatal("the crafted session has not expired")
	}
	return s
}

// TestSocketDone: Close from a handler on the dispatcher returns without
// waiting for it; Done then tells when the socket is fully down.
func TestSocketDone(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, &SocketOptions{AutoDispatch: true})
	select {
	case <-s.Done():
		t.Fatal("Done closed while connected")
	default:
	}
	var disconnected atomic.Bool
	closed := make(chan struct{})
	s.OnMatchData(func(*rtapi.MatchData) { _ = s.Close(); close(closed) })
	s.OnDisconnect(func(error) { disconnected.Store(true) })
	peer.send(sockMatchData(1))
	sockWait(t, closed, "Close from the handler")
	sockWait(t, s.Done(), "Done")
	if !disconnected.Load() {
		t.Error("Done closed before OnDisconnect ran")
	}
	// Close from elsewhere waits for the dispatcher, and Done is closed
	// when it returns.
	if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
		t.Fatal(err)
	}
	f.peer()
	disconnected.Store(false)
	s.Close()
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed when Close returned")
	}
	if !disconnected.Load() {
		t.Error("Close returned before OnDisconnect ran")
	}
}

// sockEvents records a socket's lifecycle events for the reconnect tests.
type sockEvents struct {
	mu     sync.Mutex
	log    []string
	disc   []error
	each   chan string
	report chan *ReconnectReport
}

func watchSock(s *WebSocket) *sockEvents {
	e := &sockEvents{report: make(chan *ReconnectReport, 4), each: make(chan string, 256)}
	add := func(v string) {
		e.mu.Lock()
		e.log = append(e.log, v)
		e.mu.Unlock()
		select {
		case e.each <- v:
		default:
		}
	}
	s.OnConnect(func() { add("connect") })
	s.OnDisconnect(func(err error) {
		e.mu.Lock()
		e.disc = append(e.disc, err)
		e.mu.Unlock()
		add(fmt.Sprint("disconnect reconnecting=", errors.Is(err, ErrReconnecting)))
	})
	s.OnReconnecting(func(a *ReconnectAttempt) { add(fmt.Sprint("reconnecting ", a.Attempt)) })
	s.OnReconnected(func(r *ReconnectReport) { add("reconnected"); e.report <- r })
	return e
}

// waitFor waits for the event v.
func (e *sockEvents) waitFor(t testing.TB, v string) {
	t.Helper()
	for {
		if sockWait(t, e.each, v) == v {
			return
		}
	}
}

func (e *sockEvents) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.log, "|")
}

// sockRecon is a quick reconnect for tests.
var sockRecon = &ReconnectConfig{BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

// TestSocketReconnect: after each fault (the server closes every client
// connection, restarts, or the link is cut without a close frame, or
// silently drops everything until the heartbeat notices) the socket
// reconnects by itself and restores what it had joined, in Tick and
// AutoDispatch modes.
func TestSocketReconnect(t *testing.T) {
	faults := []struct {
		name  string
		fault func(srv *nakamatest.Server, fw *sockForwarder)
	}{
		{"CloseClientConnections", func(srv *nakamatest.Server, _ *sockForwarder) { srv.CloseClientConnections() }},
		{"Restart", func(srv *nakamatest.Server, _ *sockForwarder) {
			if err := srv.Restart(); err != nil {
				panic(err)
			}
		}},
		{"Cut", func(_ *nakamatest.Server, fw *sockForwarder) { fw.cut() }},
		{"Blackhole", func(_ *nakamatest.Server, fw *sockForwarder) { fw.blackhole() }},
	}
	for _, fault := range faults {
		for _, auto := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/auto=%v", fault.name, auto), func(t *testing.T) {
				srv, cl, sess := sockTestServer(t, nil)
				fw := newSockForwarder(t, srv.Addr())
				s, err := NewWebSocket(fw.url(), &SocketOptions{AutoDispatch: auto, Client: cl, Reconnect: sockRecon,
					Keepalive: KeepaliveConfig{Interval: 20 * time.Millisecond, Timeout: 100 * time.Millisecond}})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ev := watchSock(s)
				if err := s.Connect(sockCtx(t), sess, &ConnectOptions{AppearOnline: true}); err != nil {
					t.Fatal(err)
				}
				ch, err := s.JoinChat(sockCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.FollowUsers(sockCtx(t), []string{sess.UserID()}, nil); err != nil {
					t.Fatal(err)
				}
				if err := s.UpdateStatus(sockCtx(t), Ptr("playing")); err != nil {
					t.Fatal(err)
				}
				party, err := s.CreateParty(sockCtx(t), true, 4, nil)
				if err != nil {
					t.Fatal(err)
				}
				match, err := s.CreateMatch(sockCtx(t), nil)
				if err != nil {
					t.Fatal(err)
				}
				keepID, err := srv.CreateMatch("keep", nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.JoinMatch(sockCtx(t), keepID, &JoinMatchOptions{Metadata: map[string]string{"k": "v"}}); err != nil {
					t.Fatal(err)
				}

				fault.fault(srv, fw)
				var rep *ReconnectReport
				deadline := time.After(20 * time.Second)
				for rep == nil {
					s.Tick()
					select {
					case rep = <-ev.report:
					case <-deadline:
						t.Fatalf("no reconnect; events %s", ev)
					case <-time.After(time.Millisecond):
					}
				}
				if rep.Err != nil {
					t.Fatalf("reconnect failed: %v (events %s)", rep.Err, ev)
				}
				t.Logf("cause %v; %d attempts; restored %v; failed %v", rep.Cause, rep.Attempts, rep.Restored, rep.Failed)
				if !errors.Is(rep.Cause, ErrReconnecting) {
					t.Errorf("cause %v", rep.Cause)
				}
				if fault.name == "Blackhole" && !errors.Is(rep.Cause, ErrHeartbeatTimeout) {
					t.Errorf("blackhole noticed as %v, want a heartbeat timeout", rep.Cause)
				}
				got := map[string]string{}
				for _, it := range rep.Restored {
					got[it.Kind+" "+it.ID] = "ok"
				}
				for _, it := range rep.Failed {
					got[it.Kind+" "+it.ID] = CodeOf(it.Err).String()
				}
				// A relayed match ends with its last presence, and the
				// party with its leader's; the server says so. The
				// authoritative match runs on, and is joined again.
				want := map[string]string{
					RestoreStatusFollow + " " + sess.UserID(): "ok",
					RestoreStatus + " ":                       "ok",
					RestoreChat + " " + ch.Id:                 "ok",
					RestoreMatch + " " + keepID:               "ok",
					RestoreMatch + " " + match.MatchId:        "NotFound",
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s: %q, want %q (report %v)", k, got[k], v, got)
					}
				}
				if _, ok := got[RestoreParty+" "+party.PartyId]; !ok {
					t.Errorf("party not in the report: %v", got)
				}
				if _, ok := got[RestoreMatch+" "+match.MatchId]; !ok {
					t.Errorf("match not in the report: %v", got)
				}
				if log := ev.String(); !strings.HasPrefix(log, "connect|disconnect reconnecting=true|reconnecting 1|") ||
					!strings.HasSuffix(log, "connect|reconnected") {
					t.Errorf("events %s", log)
				}
				// The socket works, and the restored channel delivers.
				if _, err := s.WriteChatMessage(sockCtx(t), ch.Id, `{"after":"reconnect"}`); err != nil {
					t.Fatal(err)
				}
				if !s.IsConnected() {
					t.Error("not connected after the reconnect")
				}
			})
		}
	}
}

// TestSocketReconnectWaits: while the socket reconnects, a request waits
// for the new connection, or fails at once under FailFast; requests in
// flight at the loss fail with a retryable error; Close stops the
// reconnect.
func TestSocketReconnectWaits(t *testing.T) {
	srv, cl, sess := sockTestServer(t, nil)
	fw := newSockForwarder(t, srv.Addr())
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	srv.RegisterRPC("hang", func(ctx context.Context, _ nakamatest.RPCRequest) (string, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "", nil
	})
	defer close(release)
	for _, failFast := range []bool{false, true} {
		t.Run(fmt.Sprint("failfast=", failFast), func(t *testing.T) {
			rc := *sockRecon
			rc.FailFast = failFast
			s, err := NewWebSocket(fw.url(), &SocketOptions{AutoDispatch: true, Reconnect: &rc, Client: cl})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ev := watchSock(s)
			if err := s.Connect(sockCtx(t), sess, nil); err != nil {
				t.Fatal(err)
			}
			inflight := make(chan error, 1)
			go func() { _, err := s.RpcFunc(context.Background(), "hang", ""); inflight <- err }()
			sockWait(t, entered, "the request to reach the server")
			fw.setRefuse(true)
			fw.cut()
			err = sockWait(t, inflight, "the in-flight request")
			if !errors.Is(err, ErrReconnecting) || !errors.Is(err, ErrSocketClosed) {
				t.Fatalf("in flight at the loss: %v", err)
			}
			waiting := make(chan error, 1)
			go func() { waiting <- s.Ping(sockCtx(t)) }()
			if failFast {
				if err := sockWait(t, waiting, "the fail-fast request"); !errors.Is(err, ErrReconnecting) {
					t.Errorf("request while reconnecting: %v", err)
				}
			}
			// Let attempts fail against the refusing forwarder, then let
			// one through.
			ev.waitFor(t, "reconnecting 3")
			fw.setRefuse(false)
			rep := sockWait(t, ev.report, "the reconnect")
			if rep.Err != nil || rep.Attempts < 3 {
				t.Fatalf("report %+v", rep)
			}
			if !failFast {
				if err := sockWait(t, waiting, "the waiting request"); err != nil {
					t.Errorf("request made while reconnecting: %v", err)
				}
			}
			// Close during a reconnect stops it.
			fw.setRefuse(true)
			fw.cut()
			ev.waitFor(t, "disconnect reconnecting=true")
			ev.waitFor(t, "reconnecting 1")
			s.Close()
			select {
			case <-s.Done():
			default:
				t.Error("Close returned before the socket was down")
			}
			if s.IsConnected() {
				t.Error("connected after Close")
			}
			fw.setRefuse(false)
		})
	}
}

// TestSocketSharedHeartbeat: the heartbeats of every connected socket are
// entries of one scheduler whose single goroutine runs only while some
// socket is connected; a pong reschedules its socket's next ping.
func TestSocketSharedHeartbeat(t *testing.T) {
	const n = 20
	socks := make([]*WebSocket, n)
	for i := range socks {
		s, err := NewWebSocket("", &SocketOptions{Adapter: &sockPipeAdapter{}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Connect(sockCtx(t), sockSession(t), nil); err != nil {
			t.Fatal(err)
		}
		socks[i] = s
	}
	beats := func() (int, bool) {
		sockHeart.mu.Lock()
		defer sockHeart.mu.Unlock()
		return len(sockHeart.conns), sockHeart.running
	}
	if k, running := beats(); k != n || !running {
		t.Errorf("%d sockets scheduled (running %v), want %d", k, running, n)
	}
	for _, s := range socks[:n-1] {
		s.Close()
	}
	if k, running := beats(); k != 1 || !running {
		t.Errorf("after closing all but one: %d scheduled, running %v", k, running)
	}
	socks[n-1].Close()
	if k, running := beats(); k != 0 || running {
		t.Errorf("after closing all: %d scheduled, running %v", k, running)
	}
}

// TestSocketAnswerBeforeClose: an answer read before the connection ended
// reaches its caller, though the caller looks only after the end (Nakama
// answers, then closes, for a message that a runtime hook disabled).
func TestSocketAnswerBeforeClose(t *testing.T) {
	a := &sockPipeAdapter{}
	s, err := NewWebSocket("", &SocketOptions{Adapter: a, Keepalive: KeepaliveConfig{Disable: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := sockCtx(t)
	for i := range 100 {
		if err := s.Connect(ctx, sockSession(t), nil); err != nil {
			t.Fatal(err)
		}
		c, err := s.live(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// What request does up to its wait, with the answer and the close
		// coming before the wait begins.
		id := c.nextCID.Add(1)
		p := sockPendingPool.Get().(*sockPending)
		c.pmu.Lock()
		c.pending[id] = p
		c.pmu.Unlock()
		answer, err := s.format.Append(nil, &rtapi.Envelope{Cid: strconv.FormatUint(id, 10),
			Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: int32(rtapi.Error_UNRECOGNIZED_PAYLOAD)}}})
		if err != nil {
			t.Fatal(err)
		}
		a.frame(answer)
		a.h.OnClose(&CloseError{Code: 1000, Reason: "error processing message"})
		resp, err := c.await(ctx, id, p)
		if _, ok := resp.GetMessage().(*rtapi.Envelope_Error); !ok || err != nil {
			t.Fatalf("connection %d: got %v, %v; want the answer that came before the close", i, resp, err)
		}
		<-s.Done()
		s.Tick()
	}
}
