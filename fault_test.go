//go:build !js

package nakama_test

// Fault tests: the client against nakamatest behind internal/faulty, one
// test per fault. Each bounds every wait by a context (a hang fails the
// test rather than stall the run), leaves no goroutine (TestMain runs
// goleak) and checks that whatever the application handed over either
// completed or failed with a clear error. Detection and recovery times are
// logged (go test -v -run Fault), never asserted.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/internal/faulty"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// faultRig is a nakamatest server behind a fault-injecting TCP proxy, and a
// client that goes through the proxy and retries fast.
type faultRig struct {
	srv    *nakamatest.Server
	proxy  *faulty.Proxy
	client *nakama.DefaultClient
}

// faultRetry keeps DefaultRetry's rules and attempts but waits
// milliseconds, so the tests that count retries stay fast.
var faultRetry = nakama.RetryConfig{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

func newFaultRig(t *testing.T, opts *nakama.ClientOptions) *faultRig {
	t.Helper()
	srv := nakamatest.RunT(t, &nakamatest.Options{TokenExpiry: time.Hour, RefreshTokenExpiry: 2 * time.Hour})
	r := newFaultRigAt(t, srv.Addr(), opts)
	r.srv = srv
	return r
}

// newFaultRigAt is a rig for the server at addr (host:port); its srv is
// nil.
func newFaultRigAt(t *testing.T, addr string, opts *nakama.ClientOptions) *faultRig {
	t.Helper()
	p, err := faulty.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return &faultRig{proxy: p, client: faultClient(t, p.URL(), opts)}
}

// faultServers runs f with a rig for nakamatest, and for the real server
// NAKAMA_URL names when it is set, for the faults that need nothing of
// nakamatest's direct API.
func faultServers(t *testing.T, f func(t *testing.T, r *faultRig)) {
	t.Run("nakamatest", func(t *testing.T) { f(t, newFaultRig(t, nil)) })
	raw := os.Getenv("NAKAMA_URL")
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("NAKAMA_URL %q: %v", raw, err)
	}
	t.Run("real", func(t *testing.T) { f(t, newFaultRigAt(t, u.Host, nil)) })
}

func faultClient(t *testing.T, url string, opts *nakama.ClientOptions) *nakama.DefaultClient {
	t.Helper()
	// No refresh before a call unless the token has expired (a real
	// server's tokens last 60 s): a refresh would meet the faults meant for
	// the call.
	o := nakama.ClientOptions{Retry: faultRetry, RefreshWindow: time.Nanosecond}
	if opts != nil {
		o = *opts
	}
	// A transport of the test's own, so that its idle keep-alive
	// connections end with the test rather than outlive it for goleak.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	o.REST.HTTPClient = &http.Client{Transport: tr}
	key := os.Getenv("NAKAMA_SERVER_KEY")
	if key == "" {
		key = "defaultkey"
	}
	c, err := nakama.NewClient(url, key, &o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var faultDevice atomic.Int64

// faultUser authenticates a new device user through c.
func faultUser(t *testing.T, c nakama.Client) *nakama.Session {
	t.Helper()
	s, err := c.AuthenticateDevice(faultCtx(t), fmt.Sprintf("fault-device-%06d", faultDevice.Add(1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// faultCtx bounds a test's waits: a hang fails the test in 20 s instead
// of stalling the run.
func faultCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// faultWait receives from ch within the test's bound.
func faultWait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-faultCtx(t).Done():
		t.Fatalf("timed out waiting for %s", what)
	}
	panic("unreachable")
}

// faultSocket connects a socket for s to url with AutoDispatch, so that
// OnDisconnect runs without a Tick, and returns it with the channel its
// disconnects arrive on. The socket is closed when the test ends.
func faultSocket(t *testing.T, url string, s *nakama.Session, opts *nakama.SocketOptions) (*nakama.WebSocket, <-chan error) {
	t.Helper()
	o := nakama.SocketOptions{}
	if opts != nil {
		o = *opts
	}
	o.AutoDispatch = true
	sock, err := nakama.NewWebSocket(url, &o)
	if err != nil {
		t.Fatal(err)
	}
	disconnected := make(chan error, 4)
	sock.OnDisconnect(func(err error) { disconnected <- err })
	if err := sock.Connect(faultCtx(t), s, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sock.Close() })
	return sock, disconnected
}

// faultReconnect connects sock again for s and pings, and logs how long
// the recovery took.
func faultReconnect(t *testing.T, sock *nakama.WebSocket, s *nakama.Session) {
	t.Helper()
	t0 := time.Now()
	if err := sock.Connect(faultCtx(t), s, nil); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	if err := sock.Ping(faultCtx(t)); err != nil {
		t.Fatalf("ping after reconnect: %v", err)
	}
	t.Logf("reconnect and first pong: %v", time.Since(t0))
}

// faultTickSocket returns a socket for s at url in Tick mode, connected
// after setup has set its handlers, and closed when the test ends.
func faultTickSocket(t *testing.T, url string, s *nakama.Session, opts *nakama.SocketOptions, setup func(*nakama.WebSocket)) *nakama.WebSocket {
	t.Helper()
	sock, err := nakama.NewWebSocket(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sock.Close() })
	setup(sock)
	if err := sock.Connect(faultCtx(t), s, nil); err != nil {
		t.Fatal(err)
	}
	return sock
}

func faultFormats(t *testing.T, f func(t *testing.T, format nakama.SocketFormat)) {
	for _, format := range []nakama.SocketFormat{nakama.SocketProtobuf, nakama.SocketJSON} {
		t.Run(format.String(), func(t *testing.T) { f(t, format) })
	}
}

// holdRPC registers an RPC "hold" that signals each call on the returned
// channel and then waits for release (closed when the test ends) or for
// its caller to go away. It counts its calls.
func holdRPC(t *testing.T, srv *nakamatest.Server) (started <-chan struct{}, calls *atomic.Int64, release func()) {
	ch := make(chan struct{}, 64)
	done := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(done) }) }
	t.Cleanup(release)
	calls = new(atomic.Int64)
	srv.RegisterRPC("hold", func(ctx context.Context, _ nakamatest.RPCRequest) (string, error) {
		calls.Add(1)
		select {
		case ch <- struct{}{}:
		default: // nobody counts this many; never block the server
		}
		select {
		case <-done:
		case <-ctx.Done():
		}
		return "{}", nil
	})
	return ch, calls, release
}

// cutWhileHeld makes call, cuts the proxy's links once the server holds
// it (started), and returns the call's error, logging how long it took to
// come after the cut.
func cutWhileHeld(t *testing.T, r *faultRig, started <-chan struct{}, call func(context.Context) error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- call(faultCtx(t)) }()
	faultWait(t, started, "the RPC to start on the server")
	t0 := time.Now()
	r.proxy.Cut()
	err := faultWait(t, errc, "the call to fail")
	t.Logf("cut to error: %v (%v)", time.Since(t0), err)
	return err
}

// isNetworkFailure reports whether err is the failure of a connection that
// was cut under a request: a reset, or an end of stream.
func isNetworkFailure(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE)
}

// TestFaultRESTServerStopsMidRequest: the link dies after a request reached
// the server and before its answer. A call that is not idempotent fails
// with the network error and is not sent again (the server ran it once);
// an idempotent one is retried and succeeds.
func TestFaultRESTServerStopsMidRequest(t *testing.T) {
	r := newFaultRig(t, nil)
	s := faultUser(t, r.client)
	started, calls, _ := holdRPC(t, r.srv)

	t.Run("RpcFunc, not idempotent", func(t *testing.T) {
		err := cutWhileHeld(t, r, started, func(ctx context.Context) error {
			_, err := r.client.RpcFunc(ctx, s, "hold", "{}")
			return err
		})
		if err == nil || !isNetworkFailure(err) || errors.Is(err, nakama.ErrBadResponse) {
			t.Fatalf("error %v, want the network failure", err)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("the server ran the RPC %d times; a call that is not idempotent must not be re-sent", n)
		}
	})

	t.Run("GetAccount, idempotent", func(t *testing.T) { faultServers(t, restCutBeforeAnswer) })
}

// restCutBeforeAnswer: an idempotent call whose link is cut after the
// request went out and before the answer came is retried and succeeds.
func restCutBeforeAnswer(t *testing.T, r *faultRig) {
	s := faultUser(t, r.client)
	{
		accepted, up := r.proxy.Accepted(), r.proxy.Bytes(faulty.Up)
		r.proxy.Stall(faulty.Down) // the answer never leaves the proxy
		type result struct {
			acc *api.Account
			err error
		}
		done := make(chan result, 1)
		go func() {
			acc, err := r.client.GetAccount(faultCtx(t), s)
			done <- result{acc, err}
		}()
		if err := r.proxy.Await(faultCtx(t), func() bool { return r.proxy.Bytes(faulty.Up) > up }); err != nil {
			t.Fatal("the request never reached the server")
		}
		t0 := time.Now()
		r.proxy.Cut()
		r.proxy.Pass()
		res := faultWait(t, done, "the call to return")
		t.Logf("cut to answer of the retried call: %v", time.Since(t0))
		if res.err != nil || res.acc.GetUser().GetId() != s.UserID() {
			t.Fatalf("GetAccount after a cut: %v %v", res.acc, res.err)
		}
		if r.proxy.Accepted() <= accepted {
			t.Error("no new connection was made for the retry")
		}
	}
}

// TestFaultSocketServerStopsMidRequest: the link dies while a socket
// request waits for its answer. The request fails at once with the
// disconnect, OnDisconnect reports it (1006: no close frame), and the socket
// connects again.
func TestFaultSocketServerStopsMidRequest(t *testing.T) {
	faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
		r := newFaultRig(t, nil)
		s := faultUser(t, r.client)
		started, _, _ := holdRPC(t, r.srv)
		sock, disconnected := faultSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format})

		t0 := time.Now()
		err := cutWhileHeld(t, r, started, func(ctx context.Context) error {
			_, err := sock.RpcFunc(ctx, "hold", "{}")
			return err
		})
		if !errors.Is(err, nakama.ErrSocketClosed) || nakama.CloseStatus(err) != 1006 {
			t.Fatalf("request error %v, want a 1006 *CloseError", err)
		}
		disc := faultWait(t, disconnected, "OnDisconnect")
		t.Logf("cut to OnDisconnect: %v", time.Since(t0))
		if nakama.CloseStatus(disc) != 1006 || sock.IsConnected() {
			t.Fatalf("disconnect %v, connected %v", disc, sock.IsConnected())
		}

		faultReconnect(t, sock, s)
	})
}

// TestFaultSocketBlackhole: the link stops carrying anything without a
// close or a reset. The heartbeat notices within Interval+Timeout of the
// last pong and ends the connection with ErrHeartbeatTimeout; a request
// waiting meanwhile fails with the same cause.
func TestFaultSocketBlackhole(t *testing.T) {
	faultServers(t, func(t *testing.T, r *faultRig) {
		faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
			s := faultUser(t, r.client)
			keep := nakama.KeepaliveConfig{Interval: 100 * time.Millisecond, Timeout: 300 * time.Millisecond}
			sock, disconnected := faultSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format, Keepalive: keep})
			if err := sock.Ping(faultCtx(t)); err != nil {
				t.Fatal(err)
			}

			r.proxy.Blackhole(faulty.Both)
			t0 := time.Now()
			errc := make(chan error, 1)
			go func() {
				_, err := sock.RpcFunc(faultCtx(t), "missing", "")
				errc <- err
			}()
			disc := faultWait(t, disconnected, "the heartbeat to notice the dead link")
			t.Logf("blackhole to disconnect: %v (documented bound: %v after the last pong)", time.Since(t0), keep.Interval+keep.Timeout)
			if !errors.Is(disc, nakama.ErrHeartbeatTimeout) || !nakama.Timeout(disc) || nakama.CloseStatus(disc) != 1006 {
				t.Fatalf("disconnect %v, want a heartbeat timeout", disc)
			}
			if err := faultWait(t, errc, "the waiting request"); !errors.Is(err, nakama.ErrHeartbeatTimeout) {
				t.Fatalf("request waiting on a dead link: %v", err)
			}
			if r.proxy.Discarded(faulty.Up) == 0 {
				t.Error("nothing was sent into the blackhole: the heartbeat did not ping")
			}

			r.proxy.Pass()
			faultReconnect(t, sock, s)
		})
	})
}

// httpRig is a nakamatest server behind a faulty.Handler on an HTTP server
// of its own.
type httpRig struct {
	srv    *nakamatest.Server
	h      *faulty.Handler
	client *nakama.DefaultClient
	url    string
}

func newHTTPRig(t *testing.T, opts *nakama.ClientOptions) *httpRig {
	t.Helper()
	srv := nakamatest.RunT(t, &nakamatest.Options{TokenExpiry: time.Hour, RefreshTokenExpiry: 2 * time.Hour})
	h := faulty.NewHandler(srv)
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); h.Close() })
	return &httpRig{srv: srv, h: h, client: faultClient(t, hs.URL, opts), url: hs.URL}
}

// TestFaultRESTBadAnswers: an HTML error page, an empty body and a
// truncated body each give a clear error wrapping ErrBadResponse that names
// the HTTP status, retried only where the retry rules say (idempotent
// calls, gateway statuses); a body cut by a dropped connection is a network
// failure, retried for idempotent calls. No error holds the token.
func TestFaultRESTBadAnswers(t *testing.T) {
	r := newHTTPRig(t, nil)
	s := faultUser(t, r.client)
	r.srv.RegisterRPC("echo", func(_ context.Context, in nakamatest.RPCRequest) (string, error) { return in.Payload, nil })
	calls := map[string]func(ctx context.Context) error{
		"GetAccount": func(ctx context.Context) error { _, err := r.client.GetAccount(ctx, s); return err },
		"RpcFunc":    func(ctx context.Context) error { _, err := r.client.RpcFunc(ctx, s, "echo", `{"a":1}`); return err },
		// An error answer of the server's (404), faulted.
		"RpcFunc missing": func(ctx context.Context) error { _, err := r.client.RpcFunc(ctx, s, "missing", "{}"); return err },
	}
	for _, tc := range []struct {
		name     string
		fault    faulty.Fault
		call     string
		attempts int64
		bad      bool   // wraps ErrBadResponse
		says     string // in the error
	}{
		{"HTML 502, idempotent", faulty.Fault{Kind: faulty.HTML}, "GetAccount", 4, true, "HTTP 502"},
		{"HTML 502, not idempotent", faulty.Fault{Kind: faulty.HTML}, "RpcFunc", 1, true, "non-JSON body"},
		{"HTML 503", faulty.Fault{Kind: faulty.HTML, Status: 503}, "GetAccount", 4, true, "HTTP 503"},
		{"HTML 500", faulty.Fault{Kind: faulty.HTML, Status: 500}, "GetAccount", 1, true, "HTTP 500"},
		{"HTML 200", faulty.Fault{Kind: faulty.HTML, Status: 200}, "GetAccount", 1, true, "non-JSON body"},
		{"empty 200", faulty.Fault{Kind: faulty.Empty}, "GetAccount", 1, true, "empty body"},
		{"empty 502", faulty.Fault{Kind: faulty.Empty, Status: 502}, "GetAccount", 4, true, "empty body"},
		{"empty 502, not idempotent", faulty.Fault{Kind: faulty.Empty, Status: 502}, "RpcFunc", 1, true, "HTTP 502"},
		{"truncated 200", faulty.Fault{Kind: faulty.Truncate}, "GetAccount", 1, true, "malformed JSON"},
		{"truncated 200, not idempotent", faulty.Fault{Kind: faulty.Truncate}, "RpcFunc", 1, true, "malformed JSON"},
		{"truncated 404", faulty.Fault{Kind: faulty.Truncate}, "RpcFunc missing", 1, true, "HTTP 404"},
		// A gzip stream cut short reads as a cut connection: the two cannot
		// be told apart from the client.
		{"truncated gzip 200", faulty.Fault{Kind: faulty.Truncate, KeepEncoding: true}, "GetAccount", 4, false, "unexpected EOF"},
		{"truncated gzip 200, not idempotent", faulty.Fault{Kind: faulty.Truncate, KeepEncoding: true}, "RpcFunc", 1, false, "unexpected EOF"},
		{"empty 404", faulty.Fault{Kind: faulty.Empty}, "RpcFunc missing", 1, true, "HTTP 404"},
		{"aborted mid-body, idempotent", faulty.Fault{Kind: faulty.Abort}, "GetAccount", 4, false, "unexpected EOF"},
		{"aborted mid-body, not idempotent", faulty.Fault{Kind: faulty.Abort}, "RpcFunc", 1, false, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.h.Set(tc.fault)
			defer r.h.Set(faulty.Fault{})
			before := r.h.Requests()
			t0 := time.Now()
			err := calls[tc.call](faultCtx(t))
			t.Logf("%v after %d attempts: %v", time.Since(t0), r.h.Requests()-before, err)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, nakama.ErrBadResponse) != tc.bad {
				t.Errorf("errors.Is(err, ErrBadResponse) = %v", !tc.bad)
			}
			if tc.bad {
				var e *nakama.Error
				if errors.As(err, &e) {
					t.Errorf("a body that is not the server's became a server error %+v", e)
				}
			} else if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("a body cut short: %v, want io.ErrUnexpectedEOF", err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
			if strings.Contains(err.Error(), s.Token()) {
				t.Error("the error holds the session token")
			}
			if n := r.h.Requests() - before; n != tc.attempts {
				t.Errorf("%d attempts, want %d", n, tc.attempts)
			}
		})
	}
	// Nothing stayed broken.
	if _, err := r.client.GetAccount(faultCtx(t), s); err != nil {
		t.Fatal(err)
	}
}

// TestFaultStalledAnswer: an answer that never comes is bounded by the
// call's context, or by RESTOptions.Timeout on each exchange (an idempotent
// call then tries again); released, a stalled call completes. On the
// socket, a request's context bounds it and the connection survives.
func TestFaultStalledAnswer(t *testing.T) {
	t.Run("REST, context deadline", func(t *testing.T) {
		r := newHTTPRig(t, nil)
		s := faultUser(t, r.client)
		r.h.Set(faulty.Fault{Kind: faulty.Stall})
		ctx, cancel := context.WithTimeout(faultCtx(t), 150*time.Millisecond)
		defer cancel()
		t0 := time.Now()
		_, err := r.client.GetAccount(ctx, s)
		t.Logf("stalled call ended after %v: %v", time.Since(t0), err)
		if !errors.Is(err, context.DeadlineExceeded) || !nakama.Timeout(err) {
			t.Fatalf("error %v, want the context's deadline", err)
		}
		if n := r.h.Requests(); n != 2 { // the authenticate, then one attempt
			t.Errorf("%d requests; nothing may be retried past the caller's deadline", n)
		}
	})
	t.Run("REST, exchange timeout", func(t *testing.T) {
		r := newHTTPRig(t, &nakama.ClientOptions{Retry: nakama.RetryConfig{MaxAttempts: 3, BaseDelay: time.Millisecond},
			REST: nakama.RESTOptions{Timeout: 100 * time.Millisecond}})
		s := faultUser(t, r.client)
		r.h.Set(faulty.Fault{Kind: faulty.Stall})
		before := r.h.Requests()
		t0 := time.Now()
		_, err := r.client.GetAccount(faultCtx(t), s)
		t.Logf("stalled call with a 100ms exchange timeout ended after %v: %v", time.Since(t0), err)
		if !nakama.Timeout(err) {
			t.Fatalf("error %v, want a timeout", err)
		}
		if n := r.h.Requests() - before; n != 3 {
			t.Errorf("%d attempts, want 3: a timed-out exchange of an idempotent call is retried", n)
		}
	})
	t.Run("REST, released", func(t *testing.T) {
		r := newHTTPRig(t, nil)
		s := faultUser(t, r.client)
		r.h.Set(faulty.Fault{Kind: faulty.Stall})
		errc := make(chan error, 1)
		go func() { _, err := r.client.GetAccount(faultCtx(t), s); errc <- err }()
		if err := r.h.Await(faultCtx(t), func() bool { return r.h.Stalled() == 1 }); err != nil {
			t.Fatal(err)
		}
		r.h.Release()
		if err := faultWait(t, errc, "the released call"); err != nil {
			t.Fatal(err)
		}
	})
	faultServers(t, func(t *testing.T, r *faultRig) {
		faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
			s := faultUser(t, r.client)
			sock, disconnected := faultSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format})
			r.proxy.Stall(faulty.Down)
			ctx, cancel := context.WithTimeout(faultCtx(t), 150*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			err := sock.Ping(ctx)
			t.Logf("stalled socket request ended after %v: %v", time.Since(t0), err)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want the context's deadline", err)
			}
			r.proxy.Pass()
			if err := sock.Ping(faultCtx(t)); err != nil {
				t.Fatalf("ping once the link passes again: %v", err)
			}
			select {
			case err := <-disconnected:
				t.Fatalf("a stall shorter than the heartbeat's bound disconnected: %v", err)
			default:
			}
		})
	})
}

// TestFaultSocketOverReadLimit: an answer larger than the adapter's read
// limit ends the connection with 1009; the request waiting for it fails
// with that *CloseError, and so does OnDisconnect.
func TestFaultSocketOverReadLimit(t *testing.T) {
	faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
		r := newFaultRig(t, nil)
		s := faultUser(t, r.client)
		r.srv.RegisterRPC("big", func(context.Context, nakamatest.RPCRequest) (string, error) {
			return strings.Repeat("x", 4096), nil
		})
		adapter := nakama.NewWebSocketAdapter(&nakama.WebSocketAdapterOptions{ReadLimit: 1024})
		sock, disconnected := faultSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format, Adapter: adapter})
		_, err := sock.RpcFunc(faultCtx(t), "big", "")
		if nakama.CloseStatus(err) != 1009 {
			t.Fatalf("request answered over the read limit: %v, want a 1009 *CloseError", err)
		}
		if disc := faultWait(t, disconnected, "OnDisconnect"); nakama.CloseStatus(disc) != 1009 {
			t.Fatalf("disconnect %v", disc)
		}
		// What fits still works on a new connection.
		faultReconnect(t, sock, s)
	})
}

// TestFaultCloseWithRequestsInFlight: Close while 50 requests wait (one
// held by the server, the others queued behind it on the server's reader
// or on the client). Every one returns promptly with an error matching
// ErrSocketClosed; none is lost.
func TestFaultCloseWithRequestsInFlight(t *testing.T) {
	faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
		r := newFaultRig(t, nil)
		s := faultUser(t, r.client)
		started, _, release := holdRPC(t, r.srv)
		sock, _ := faultSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format})

		const n = 50
		errs := make(chan error, n)
		up := r.proxy.Bytes(faulty.Up)
		for range n {
			go func() {
				_, err := sock.RpcFunc(faultCtx(t), "hold", "{}")
				errs <- err
			}()
		}
		faultWait(t, started, "the first RPC to start")
		// Most of the requests are on the wire; those a flow-control cap
		// holds back are in flight all the same.
		if err := r.proxy.Await(faultCtx(t), func() bool { return r.proxy.Bytes(faulty.Up)-up >= 16*20 }); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		closed := make(chan error, 1)
		go func() { closed <- sock.Close() }()
		var last time.Duration
		for i := range n {
			err := faultWait(t, errs, fmt.Sprintf("request %d to return", i))
			if !errors.Is(err, nakama.ErrSocketClosed) {
				t.Errorf("request in flight at Close: %v, want ErrSocketClosed", err)
			}
			last = time.Since(t0)
		}
		t.Logf("all %d requests failed within %v of Close", n, last)
		// The server's reader is still inside the held RPC, so it answers
		// the close handshake only once the RPC returns.
		release()
		if err := faultWait(t, closed, "Close to return"); err != nil {
			t.Errorf("Close: %v", err)
		}
		t.Logf("Close returned after %v", time.Since(t0))
	})
}

// TestFaultSlowConsumer: an application that never calls Tick while the
// server pushes large events. The read loop goes on, so requests are
// answered; the queue keeps at most EventQueueSize events, so memory stays
// bounded; what was dropped is reported, with its count, once Tick runs
// and another event arrives.
func TestFaultSlowConsumer(t *testing.T) {
	faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
		r := newFaultRig(t, nil)
		s := faultUser(t, r.client)
		const queue = 8
		var got, dropped int
		sock := faultTickSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format, EventQueueSize: queue},
			countEvents(t, &got, &dropped))

		content := `{"pad":"` + strings.Repeat("x", 16<<10) + `"}`
		heap0 := faultHeap()
		// 2 MiB in all: enough to tell a bounded queue (128 KiB) from an
		// unbounded one, few enough to stay quick under -race, where the
		// server's JSON checks of each notification's content dominate.
		const rounds, batch = 4, 32
		for i := range rounds {
			for j := range batch {
				if err := r.srv.SendNotification(nakamatest.Notification{UserID: s.UserID(), Subject: "flood",
					Content: content, Code: 1 + j}); err != nil {
					t.Fatal(err)
				}
			}
			// The pong comes after the batch: the read loop took it all
			// in, and the server's outgoing queue (64) never fills.
			if err := sock.Ping(faultCtx(t)); err != nil {
				t.Fatalf("ping after %d notifications, never ticked: %v", (i+1)*batch, err)
			}
		}
		sent := rounds * batch
		grown := faultHeap() - heap0
		t.Logf("%d events of %d KiB sent, never ticked; heap grew %d KiB (queue of %d)", sent, len(content)>>10, grown>>10, queue)
		if limit := int64(sent * len(content) / 2); grown > limit {
			t.Errorf("heap grew by %d bytes while %d events of %d bytes went unhandled; the queue holds %d", grown, sent, len(content), queue)
		}
		if !sock.IsConnected() {
			t.Fatal("the slow consumer was disconnected")
		}

		sock.Tick()
		if got == 0 || got > queue {
			t.Errorf("%d events handled from a queue of %d", got, queue)
		}
		// One more event makes room for the drop report (see
		// TestFaultSlowConsumerDropReport for a report without it).
		if err := r.srv.SendNotification(nakamatest.Notification{UserID: s.UserID(), Subject: "last", Code: 1}); err != nil {
			t.Fatal(err)
		}
		if err := sock.Ping(faultCtx(t)); err != nil {
			t.Fatal(err)
		}
		sock.Tick()
		t.Logf("handled %d, dropped %d, of %d", got, dropped, sent+1)
		if got+dropped != sent+1 {
			t.Errorf("handled %d + reported dropped %d != %d sent: events went missing unreported", got, dropped, sent+1)
		}
	})
}

// faultHeap returns the live heap after a collection.
func faultHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// countEvents returns handlers that count notifications into got and
// the events ErrEventQueueFull reports say were dropped ("N events
// dropped") into dropped; any other error event fails the test.
func countEvents(t *testing.T, got, dropped *int) func(*nakama.WebSocket) {
	return func(sock *nakama.WebSocket) {
		sock.OnNotification(func(*api.Notification) { *got++ })
		sock.OnError(func(err error) {
			if !errors.Is(err, nakama.ErrEventQueueFull) {
				t.Errorf("error event %v", err)
				return
			}
			msg := err.Error()
			i := strings.IndexAny(msg, "0123456789")
			var n int
			if i < 0 {
				t.Errorf("queue-full report without a count: %v", err)
			} else if _, err := fmt.Sscanf(msg[i:], "%d", &n); err != nil {
				t.Errorf("queue-full report %q: %v", msg, err)
			}
			*dropped += n
		})
	}
}

// TestFaultRestartTokenLoss: the server restarts; in one case it keeps its
// tokens, in the other it lost them (every session revoked). The socket
// sees a disconnect without a close frame either way. With the tokens kept,
// REST calls go on and the socket reconnects with the same session. With
// them lost, a REST call fails with ErrSessionExpired (its refresh was
// rejected too), a socket Connect is refused as unauthenticated, and a new
// authentication brings everything back.
func TestFaultRestartTokenLoss(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(fmt.Sprint("tokens lost=", lost), func(t *testing.T) {
			r := newFaultRig(t, nil)
			s := faultUser(t, r.client)
			sock, disconnected := faultSocket(t, r.proxy.URL(), s, nil)
			if _, err := r.client.GetAccount(faultCtx(t), s); err != nil {
				t.Fatal(err)
			}

			t0 := time.Now()
			if err := r.srv.Restart(); err != nil {
				t.Fatal(err)
			}
			if lost {
				// Tokens issued within the second of a revocation survive it.
				r.srv.FastForward(2 * time.Second)
				if err := r.srv.RevokeSessions(s.UserID()); err != nil {
					t.Fatal(err)
				}
			}
			disc := faultWait(t, disconnected, "the socket to notice the restart")
			t.Logf("restart to OnDisconnect: %v (%v)", time.Since(t0), disc)
			if nakama.CloseStatus(disc) != 1006 {
				t.Errorf("disconnect %v, want 1006", disc)
			}

			t1 := time.Now()
			_, err := r.client.GetAccount(faultCtx(t), s)
			t.Logf("first REST call after the restart: %v (%v)", time.Since(t1), err)
			if !lost {
				if err != nil {
					t.Fatalf("REST after a restart that kept the tokens: %v", err)
				}
				faultReconnect(t, sock, s)
				return
			}
			serr := sock.Connect(faultCtx(t), s, nil)
			if !errors.Is(err, nakama.ErrSessionExpired) || !errors.Is(err, nakama.ErrUnauthenticated) {
				t.Errorf("REST with a lost token: %v, want ErrSessionExpired from the rejected refresh", err)
			}
			var de *nakama.SocketDialError
			t.Logf("socket Connect with a lost token: %v", serr)
			if !errors.As(serr, &de) || de.HTTPStatus != 401 || !errors.Is(serr, nakama.ErrUnauthenticated) {
				t.Errorf("socket Connect with a lost token: %v, want a 401 *SocketDialError", serr)
			}
			if strings.Contains(fmt.Sprint(err, serr), s.Token()) {
				t.Error("an error holds the token")
			}

			t2 := time.Now()
			s2, err := r.client.AuthenticateDevice(faultCtx(t), "fault-device-restart", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.client.GetAccount(faultCtx(t), s2); err != nil {
				t.Fatal(err)
			}
			faultReconnect(t, sock, s2)
			t.Logf("re-authenticated and reconnected in %v", time.Since(t2))
		})
	}
}

// TestFaultSocketMalformedFrames: frames a server should never send
// (undecodable, empty, of the other format's frame type, of a message type
// this client does not know, an answer type nobody asked for), slipped in
// between a real server's. Each becomes an OnError event wrapping
// ErrBadResponse; none panics or ends the connection; a known event with
// fields this client does not know is delivered; the server's own events
// and answers go on.
func TestFaultSocketMalformedFrames(t *testing.T) {
	notification := &rtapi.Envelope{Message: &rtapi.Envelope_Notifications{Notifications: &rtapi.Notifications{
		Notifications: []*api.Notification{{Id: "n1", Subject: "newer server", Code: 1}}}}}
	pbNotification, _ := proto.Marshal(notification)
	pong, _ := proto.Marshal(&rtapi.Envelope{Cid: "987654", Message: &rtapi.Envelope_Pong{Pong: &rtapi.Pong{}}})
	type frame struct {
		name   string
		binary bool
		b      []byte
		bad    bool // reported as an error event
	}
	frames := map[nakama.SocketFormat][]frame{
		nakama.SocketProtobuf: {
			{"garbage", true, []byte{0xff, 0xff, 0xff}, true},
			{"truncated field", true, protowire.AppendTag(nil, 14, protowire.BytesType), true},
			{"truncated length", true, []byte{0x0a, 0x05, 'a'}, true},
			{"unknown message type", true, protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), []byte{1}), true},
			{"empty", true, nil, true},
			{"text frame", false, []byte(`{"pong":{}}`), true},
			{"known event, unknown field", true, protowire.AppendVarint(protowire.AppendTag(pbNotification, 9999, protowire.VarintType), 7), false},
			{"answer nobody waits for", true, pong, false},
		},
		nakama.SocketJSON: {
			{"truncated", false, []byte(`{"match_data": {"op_code": "1"`), true},
			{"not JSON", false, []byte(`<html>502</html>`), true},
			{"unknown message type", false, []byte(`{"brand_new_message": {"x": 1}}`), true},
			{"empty", false, nil, true},
			{"null", false, []byte(`null`), true},
			{"binary frame", true, pbNotification, true},
			{"answer type with a non-numeric cid", false, []byte(`{"cid":"abc","pong":{}}`), true},
			{"known event, unknown field", false, []byte(`{"notifications":{"notifications":[{"id":"n1","subject":"newer server","code":1,"new_field":{"a":[1]}}]},"other":1}`), false},
			{"answer nobody waits for", false, []byte(`{"cid":"987654","pong":{}}`), false},
		},
	}
	faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
		r := newFaultRig(t, nil)
		s := faultUser(t, r.client)
		relay, err := faulty.NewWSRelay(r.srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(relay.Close)
		var errs []error
		var subjects []string
		var disc error
		sock := faultTickSocket(t, relay.URL(), s, &nakama.SocketOptions{Format: format}, func(sock *nakama.WebSocket) {
			sock.OnError(func(err error) { errs = append(errs, err) })
			sock.OnNotification(func(n *api.Notification) { subjects = append(subjects, n.Subject) })
			sock.OnDisconnect(func(err error) { disc = err })
		})
		if err := relay.Await(faultCtx(t), func() bool { return len(relay.Conns()) == 1 }); err != nil {
			t.Fatal(err)
		}
		peer := relay.Conns()[0]
		wantErrs := 0
		for _, f := range frames[format] {
			before := len(errs)
			if err := peer.Inject(faultCtx(t), f.binary, f.b); err != nil {
				t.Fatalf("inject %s: %v", f.name, err)
			}
			// The pong follows the frame: by then the frame was read.
			if err := sock.Ping(faultCtx(t)); err != nil {
				t.Fatalf("ping after the %s frame: %v", f.name, err)
			}
			sock.Tick()
			got := errs[before:]
			t.Logf("%s: %d error events %v", f.name, len(got), got)
			if f.bad {
				wantErrs++
				if len(got) != 1 || !errors.Is(got[0], nakama.ErrBadResponse) {
					t.Errorf("%s frame: error events %v, want one wrapping ErrBadResponse", f.name, got)
				}
			} else if len(got) != 0 {
				t.Errorf("%s frame: error events %v, want none", f.name, got)
			}
		}
		if err := r.srv.SendNotification(nakamatest.Notification{UserID: s.UserID(), Subject: "from the server", Code: 2}); err != nil {
			t.Fatal(err)
		}
		if err := sock.Ping(faultCtx(t)); err != nil {
			t.Fatal(err)
		}
		sock.Tick()
		if want := []string{"newer server", "from the server"}; fmt.Sprint(subjects) != fmt.Sprint(want) {
			t.Errorf("notifications %q, want %q", subjects, want)
		}
		if len(errs) != wantErrs || disc != nil || !sock.IsConnected() {
			t.Errorf("%d error events (want %d), disconnect %v, connected %v", len(errs), wantErrs, disc, sock.IsConnected())
		}
	})
}
