//go:build !js

package nakama

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama/nakamatest"
)

// Local mistakes in path fields fail at once, with nothing sent, no refresh,
// no retry and no warning, the same for every adapter.
func TestPathFieldsCheckedBeforeSending(t *testing.T) {
	b := bhNewBackend(t)
	srv := bhServe(t, b)
	var logs bhLogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	adapters := map[string]ClientAdapter{"fake": b}
	rest, err := NewRESTAdapter(srv.URL, b.serverKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	adapters["REST"] = rest
	for name, a := range adapters {
		cnt := &bhCounting{inner: a}
		c := NewClientWithAdapter(cnt, &ClientOptions{Logger: logger})
		s := b.dueSession(t, 60*time.Second, time.Hour) // a refresh would be due
		for _, id := range []string{"", ".", ".."} {
			_, err := c.ListGroupUsers(bhCtx(t), s, id, nil)
			if !errors.Is(err, ErrInvalidArgument) || CodeOf(err) != InvalidArgument {
				t.Errorf("%s: ListGroupUsers(%q): %v, want ErrInvalidArgument", name, id, err)
			}
			var se *Error
			if errors.As(err, &se) {
				t.Errorf("%s: ListGroupUsers(%q): a *Error, as if the server had answered: %v", name, id, err)
			}
			if !strings.Contains(err.Error(), "group_id") || strings.Count(err.Error(), "ListGroupUsers") != 1 {
				t.Errorf("%s: ListGroupUsers(%q): %q should name the field and the operation once", name, id, err)
			}
			if SafeToRetry(err) {
				t.Errorf("%s: a local mistake is SafeToRetry", name)
			}
		}
		_, err := c.ListLeaderboardRecordsAroundOwner(bhCtx(t), s, "board", "", nil)
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "owner_id") {
			t.Errorf("%s: empty second path field: %v", name, err)
		}
		if n := cnt.total(); n != 0 {
			t.Errorf("%s: %d calls sent for local mistakes, want 0", name, n)
		}
	}
	if strings.Contains(logs.String(), "nakama retry") || strings.Contains(logs.String(), "nakama call") {
		t.Errorf("local mistakes were logged as calls or retries:\n%s", logs.String())
	}
}

func (c *bhCounting) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bhSum(c.n)
}

// Authenticate calls that may create the account are resent only when
// nothing reached the server: a retry after a lost answer would report the
// account the first attempt created as not created. With NoCreate they are
// plain reads, retried like any idempotent call.
func TestRetryAuthenticateCreate(t *testing.T) {
	bhNoJitter(t)
	for _, tc := range []struct {
		name     string
		fail     error
		noCreate bool
		sends    int
	}{
		{"create, lost answer", bhReadFailure, false, 1},
		{"create, 503", bhUnavailable("busy"), false, 1},
		{"create, nothing sent", bhDialFailure, false, 2},
		{"no create, lost answer", bhReadFailure, true, 2},
		{"no create, 503", bhUnavailable("busy"), true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bhNewBackend(t)
			c := NewClientWithAdapter(b, nil)
			b.answer("AuthenticateDevice", tc.fail)
			_, err := c.AuthenticateDevice(bhCtx(t), "bh-device-0001", &AuthenticateOptions{NoCreate: tc.noCreate})
			if tc.sends == 1 && !errors.Is(err, tc.fail) {
				t.Errorf("AuthenticateDevice: %v, want %v", err, tc.fail)
			}
			if tc.sends == 2 && err != nil {
				t.Errorf("AuthenticateDevice: %v, want the retry's success", err)
			}
			if n := b.count("AuthenticateDevice"); n != tc.sends {
				t.Errorf("sent %d times, want %d", n, tc.sends)
			}
		})
	}
}

// The REST adapter marks its transport failures for the retry contract.
func TestRESTTransportErrorsMarked(t *testing.T) {
	s := bhValidSession(t)
	c, _ := bhDeadServerClient(t, &ClientOptions{DisableRetry: true})
	_, err := c.GetAccount(bhCtx(t), s)
	var te temporaryError
	if !SafeToRetry(err) || !errors.As(err, &te) || !te.Temporary() {
		t.Errorf("dial failure %v: SafeToRetry %v, want SafeToRetry and Temporary", err, SafeToRetry(err))
	}

	b := bhNewBackend(t)
	srv := bhServe(t, b)
	rc := bhRESTClient(t, srv, b, &ClientOptions{DisableRetry: true})
	s = b.newSession(t, time.Hour, 24*time.Hour)
	b.hook("AddFriends", func(context.Context, *Call) error { return errBhDropConnection })
	err = rc.AddFriends(bhCtx(t), s, []string{"x"}, nil, nil)
	if SafeToRetry(err) || !errors.As(err, &te) || !te.Temporary() {
		t.Errorf("lost answer %v: want Temporary and not SafeToRetry", err)
	}
}

// DefaultRetry rides out a server that is down for 5 s, for idempotent
// calls. (A call that is not idempotent rides it out too while connections
// are refused, but one sent on a pooled connection the server closed as it
// went down fails: the request was written, so it may have been served.)
func TestRetryRidesOutOutage(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var logs bhLogBuffer
	retried := make(chan struct{}, 64)
	logger := slog.New(&bhSignalHandler{Handler: slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}), ch: retried})
	c, err := NewClient(srv.URL(), "", &ClientOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Adapter().(*RESTAdapter).CloseIdleConnections)
	s, err := c.AuthenticateDevice(ctx, "outage-device-0001", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateAccount(ctx, s, &UpdateAccountOptions{DisplayName: Ptr("before the outage")}); err != nil {
		t.Fatal(err)
	}

	srv.Close()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			acct, err := c.GetAccount(ctx, s)
			if err == nil && acct.GetUser().GetDisplayName() != "before the outage" {
				err = errors.New("wrong account: " + acct.String())
			}
			errs <- err
		}()
	}
	<-retried // the outage is seen: the calls are retrying
	<-time.After(5 * time.Second)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("GetAccount across a 5 s outage: %v\n%s", err, logs.String())
		}
	}
}

// bhSignalHandler signals every record it handles.
type bhSignalHandler struct {
	slog.Handler
	ch chan struct{}
}

func (h *bhSignalHandler) Handle(ctx context.Context, r slog.Record) error {
	select {
	case h.ch <- struct{}{}:
	default:
	}
	return h.Handler.Handle(ctx, r)
}

// The default transport keeps enough idle connections for 100 concurrent
// callers: after the first round, every call reuses one. With a pool of 2
// (http.DefaultTransport's per-host bound), nearly every call opens one.
func TestRESTConnectionPool(t *testing.T) {
	const callers, rounds = 100, 10
	run := func(t *testing.T, opts *RESTOptions) int64 {
		var newConns atomic.Int64
		var mu sync.Mutex
		waiting, gate := 0, make(chan struct{})
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Hold every request until all callers have one in flight, so
			// each round really has 100 at once.
			mu.Lock()
			waiting++
			g := gate
			if waiting == callers {
				close(gate)
				waiting, gate = 0, make(chan struct{})
			}
			mu.Unlock()
			select {
			case <-g:
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
		}))
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				newConns.Add(1)
			}
		}
		srv.Start()
		defer srv.Close()
		a, err := NewRESTAdapter(srv.URL, "k", opts)
		if err != nil {
			t.Fatal(err)
		}
		defer a.CloseIdleConnections()
		c := NewClientWithAdapter(a, &ClientOptions{DisableRetry: true})
		// Rounds apart, so that between them every connection sits idle:
		// the pool decides which survive. (Callers that never pause hand
		// connections to each other even with a small pool.)
		for range rounds {
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					if err := c.Healthcheck(bhCtx(t)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		return newConns.Load()
	}
	// A caller that finds no idle connection dials, and may then be handed
	// one another caller freed meanwhile: the dialled one joins the pool. So
	// a few more than callers may open, never a round's worth more.
	if n := run(t, nil); n > callers+callers/10 {
		t.Errorf("default pool: %d connections for %d calls by %d callers, want at most %d", n, callers*rounds, callers, callers+callers/10)
	}
	if n := run(t, &RESTOptions{MaxIdleConns: 2}); n <= 2*callers {
		t.Errorf("a pool of 2: %d connections for %d calls; the test does not tell a small pool from a large one", n, callers*rounds)
	}
}

// The default pool drops an idle connection before Nakama does (after
// socket.idle_timeout_ms, 60 s by default), so no call goes out on a
// connection the server is closing.
func TestIdleConnectionsDroppedBeforeTheServerDoes(t *testing.T) {
	a, err := NewRESTAdapter("http://127.0.0.1:7350", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := a.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", a.client.Transport)
	}
	if d := tr.IdleConnTimeout; d <= 0 || d >= 60*time.Second {
		t.Errorf("idle connections kept %v, want under Nakama's 60 s", d)
	}
}
