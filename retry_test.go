package nakama

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// bhCounting wraps an adapter and counts its sends per operation.
type bhCounting struct {
	inner ClientAdapter
	mu    sync.Mutex
	n     map[string]int
}

func (c *bhCounting) Send(ctx context.Context, call *Call) error {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[call.Operation.Name]++
	c.mu.Unlock()
	return c.inner.Send(ctx, call)
}

func (c *bhCounting) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// bhClosedURL returns the URL of a local port nothing listens on.
func bhClosedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// bhValidSession returns a session the client will not refresh.
func bhValidSession(t testing.TB) *Session {
	t.Helper()
	iat := time.Now()
	tok, ref := bhPair(iat, time.Hour, 24*time.Hour, nil)
	s, err := NewSession(&api.Session{Token: tok, RefreshToken: ref})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bhTransportError is a transport failure as an adapter reports it under
// the retry contract of ClientAdapter: through the SafeToRetry and Temporary
// methods, here on a type of the test's own as another package's adapter
// would have.
type bhTransportError struct {
	err             error
	safe, temporary bool
}

func (e *bhTransportError) Error() string     { return "bh transport: " + e.err.Error() }
func (e *bhTransportError) Unwrap() error     { return e.err }
func (e *bhTransportError) SafeToRetry() bool { return e.safe }
func (e *bhTransportError) Temporary() bool   { return e.temporary }

var (
	bhReadFailure = &bhTransportError{err: &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}, temporary: true}
	bhDialFailure = &bhTransportError{err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, safe: true, temporary: true}
)

func TestRetryIdempotentUpToMaxAttempts(t *testing.T) {
	bhNoJitter(t)
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, time.Hour, 24*time.Hour)

	for i := range DefaultRetry.MaxAttempts + 1 {
		b.answer("GetAccount", bhUnavailable(fmt.Sprint("attempt ", i+1)))
	}
	_, err := c.GetAccount(bhCtx(t), s)
	var e *Error
	if !errors.As(err, &e) || e.Code != Unavailable || e.Message != fmt.Sprint("attempt ", DefaultRetry.MaxAttempts) {
		t.Fatalf("GetAccount: %v, want the last attempt's Unavailable", err)
	}
	if n := b.count("GetAccount"); n != DefaultRetry.MaxAttempts {
		t.Errorf("GetAccount sent %d times, want %d", n, DefaultRetry.MaxAttempts)
	}

	// Transient failures then success.
	b2 := bhNewBackend(t)
	c2 := NewClientWithAdapter(b2, nil)
	s2 := b2.newSession(t, time.Hour, 24*time.Hour)
	b2.answer("GetAccount", bhUnavailable("1"), bhReadFailure, badResponse(502, "proxy page"))
	acct, err := c2.GetAccount(bhCtx(t), s2)
	if err != nil || acct.GetUser().GetId() != b2.uid {
		t.Fatalf("GetAccount after 3 transient failures: %v, %v", acct, err)
	}
	if n := b2.count("GetAccount"); n != 4 {
		t.Errorf("GetAccount sent %d times, want 4", n)
	}

	// MaxAttempts from the config.
	b3 := bhNewBackend(t)
	c3 := NewClientWithAdapter(b3, &ClientOptions{Retry: RetryConfig{MaxAttempts: 6}})
	s3 := b3.newSession(t, time.Hour, 24*time.Hour)
	for i := range 7 {
		b3.answer("GetAccount", bhUnavailable(fmt.Sprint(i+1)))
	}
	_, err = c3.GetAccount(bhCtx(t), s3)
	if !errors.As(err, &e) || e.Message != "6" {
		t.Errorf("GetAccount: %v, want the 6th attempt's error", err)
	}
	if n := b3.count("GetAccount"); n != 6 {
		t.Errorf("GetAccount sent %d times, want 6", n)
	}
}

func TestRetryTransientKinds(t *testing.T) {
	bhNoJitter(t)
	cases := []struct {
		name  string
		err   error
		retry bool
	}{
		{"Unavailable 503", bhUnavailable("x"), true},
		{"ResourceExhausted", &Error{Code: ResourceExhausted, HTTPStatus: 429}, true},
		{"Aborted", &Error{Code: Aborted, HTTPStatus: 409}, true},
		{"Internal 502", &Error{Code: Internal, HTTPStatus: 502}, true},
		{"Unknown 504", &Error{Code: Unknown, HTTPStatus: 504}, true},
		{"Internal 500", &Error{Code: Internal, HTTPStatus: 500}, false},
		{"proxy 503 page", badResponse(503, "html"), true},
		{"proxy 500 page", badResponse(500, "html"), false},
		{"lost connection", bhReadFailure, true},
		{"dial failure", bhDialFailure, true},
		{"exchange timeout", &bhTransportError{err: context.DeadlineExceeded, temporary: true}, true},
		{"wrapped transient", fmt.Errorf("bh: %w", bhReadFailure), true},
		// Not positively transient: not retried.
		{"unmarked context error", fmt.Errorf("exchange: %w", context.DeadlineExceeded), false},
		{"unmarked network error", &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}, false},
		{"unmarked dial error", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, false},
		{"unknown error", errors.New("bh: something odd"), false},
		{"Temporary false", &bhTransportError{err: io.EOF}, false},
		{"InvalidArgument 400", &Error{Code: InvalidArgument, HTTPStatus: 400}, false},
		{"NotFound 404", &Error{Code: NotFound, HTTPStatus: 404}, false},
		{"PermissionDenied 403", &Error{Code: PermissionDenied, HTTPStatus: 403}, false},
		{"FailedPrecondition 400", &Error{Code: FailedPrecondition, HTTPStatus: 400}, false},
		{"AlreadyExists 409", &Error{Code: AlreadyExists, HTTPStatus: 409}, false},
		{"Unauthenticated 401", bhUnauthenticated("x"), false},
		{"proxy 400 page", badResponse(400, "html"), false},
		{"proxy 404 page", badResponse(404, "html"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bhNewBackend(t)
			c := NewClientWithAdapter(b, &ClientOptions{DisableAutoRefresh: true})
			s := b.newSession(t, time.Hour, 24*time.Hour)
			for range DefaultRetry.MaxAttempts {
				b.answer("GetAccount", tc.err)
			}
			_, err := c.GetAccount(bhCtx(t), s)
			if !errors.Is(err, tc.err) {
				t.Errorf("GetAccount: %v, want %v", err, tc.err)
			}
			want := 1
			if tc.retry {
				want = DefaultRetry.MaxAttempts
			}
			if n := b.count("GetAccount"); n != want {
				t.Errorf("GetAccount sent %d times, want %d", n, want)
			}
		})
	}
}

func TestRetryNonIdempotent(t *testing.T) {
	bhNoJitter(t)
	type sendFn func(c *DefaultClient, s *Session) error
	ops := map[string]sendFn{
		"WriteLeaderboardRecord": func(c *DefaultClient, s *Session) error {
			_, err := c.WriteLeaderboardRecord(bhCtx(t), s, "bh-board", 10, nil)
			return err
		},
		"AddFriends": func(c *DefaultClient, s *Session) error {
			return c.AddFriends(bhCtx(t), s, []string{"bh-friend"}, nil, nil)
		},
	}
	for name, send := range ops {
		t.Run(name, func(t *testing.T) {
			for _, fail := range []error{bhUnavailable("503"), bhReadFailure, badResponse(503, "proxy"),
				&Error{Code: ResourceExhausted, HTTPStatus: 429}} {
				b := bhNewBackend(t)
				c := NewClientWithAdapter(b, nil)
				s := b.newSession(t, time.Hour, 24*time.Hour)
				b.answer(name, fail, fail, fail, fail)
				if err := send(c, s); !errors.Is(err, fail) {
					t.Errorf("after %v: %v", fail, err)
				}
				if n := b.count(name); n != 1 {
					t.Errorf("after %v: sent %d times, want 1", fail, n)
				}
			}
			// A dial failure proves nothing reached the server: retried.
			b := bhNewBackend(t)
			c := NewClientWithAdapter(b, nil)
			s := b.newSession(t, time.Hour, 24*time.Hour)
			b.answer(name, bhDialFailure, bhDialFailure)
			if err := send(c, s); err != nil {
				t.Errorf("after two dial failures: %v", err)
			}
			if n := b.count(name); n != 3 {
				t.Errorf("after two dial failures: sent %d times, want 3", n)
			}
		})
	}
}

// Over REST: a server that is not there fails at dial, so even a call that is
// not idempotent is retried; a response lost after the request arrived is
// not.
func TestRetryRESTDialFailureAndLostResponse(t *testing.T) {
	bhNoJitter(t)
	s := bhValidSession(t)

	c, cnt := bhDeadServerClient(t, nil)
	_, err := c.WriteLeaderboardRecord(bhCtx(t), s, "bh-board", 1, nil)
	if err == nil || !SafeToRetry(err) {
		t.Fatalf("WriteLeaderboardRecord to a closed port: %v, want a dial failure", err)
	}
	if n := cnt.count("WriteLeaderboardRecord"); n != DefaultRetry.MaxAttempts {
		t.Errorf("WriteLeaderboardRecord to a closed port sent %d times, want %d", n, DefaultRetry.MaxAttempts)
	}
	if err := c.AddFriends(bhCtx(t), s, []string{"x"}, nil, nil); err == nil {
		t.Errorf("AddFriends to a closed port succeeded")
	}
	if n := cnt.count("AddFriends"); n != DefaultRetry.MaxAttempts {
		t.Errorf("AddFriends to a closed port sent %d times, want %d", n, DefaultRetry.MaxAttempts)
	}
	if _, err := c.GetAccount(bhCtx(t), s); err == nil {
		t.Errorf("GetAccount to a closed port succeeded")
	}
	if n := cnt.count("GetAccount"); n != DefaultRetry.MaxAttempts {
		t.Errorf("GetAccount to a closed port sent %d times, want %d", n, DefaultRetry.MaxAttempts)
	}

	// DisableRetry: once, even after a dial failure.
	c, cnt = bhDeadServerClient(t, &ClientOptions{DisableRetry: true})
	if err := c.AddFriends(bhCtx(t), s, []string{"x"}, nil, nil); err == nil {
		t.Errorf("AddFriends to a closed port succeeded")
	}
	if n := cnt.count("AddFriends"); n != 1 {
		t.Errorf("DisableRetry: AddFriends sent %d times, want 1", n)
	}

	// Lost response: the server reads the request and hangs up.
	b := bhNewBackend(t)
	srv := bhServe(t, b)
	rc := bhRESTClient(t, srv, b, nil)
	s = b.newSession(t, time.Hour, 24*time.Hour)
	drop := func(context.Context, *Call) error { return errBhDropConnection }
	b.hook("WriteLeaderboardRecord", drop)
	b.hook("AddFriends", drop)
	b.hook("GetAccount", drop)
	if _, err := rc.WriteLeaderboardRecord(bhCtx(t), s, "bh-board", 1, nil); err == nil || SafeToRetry(err) {
		t.Errorf("WriteLeaderboardRecord with a lost response: %v", err)
	}
	if n := b.count("WriteLeaderboardRecord"); n != 1 {
		t.Errorf("WriteLeaderboardRecord with a lost response reached the server %d times, want 1", n)
	}
	if err := rc.AddFriends(bhCtx(t), s, []string{"x"}, nil, nil); err == nil {
		t.Errorf("AddFriends with a lost response succeeded")
	}
	if n := b.count("AddFriends"); n != 1 {
		t.Errorf("AddFriends with a lost response reached the server %d times, want 1", n)
	}
	// An idempotent call is retried after a lost response (the transport may
	// add a replay of its own for a GET on a reused connection).
	if _, err := rc.GetAccount(bhCtx(t), s); err == nil {
		t.Errorf("GetAccount with a lost response succeeded")
	}
	if n := b.count("GetAccount"); n < DefaultRetry.MaxAttempts {
		t.Errorf("GetAccount with lost responses reached the server %d times, want at least %d", n, DefaultRetry.MaxAttempts)
	}
}

// Over REST, error statuses: 503 retried for idempotent calls only, 4xx never.
func TestRetryRESTStatuses(t *testing.T) {
	bhNoJitter(t)
	b := bhNewBackend(t)
	srv := bhServe(t, b)
	c := bhRESTClient(t, srv, b, nil)
	s := b.newSession(t, time.Hour, 24*time.Hour)

	b.answer("GetAccount", bhUnavailable("a"), bhUnavailable("b"))
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Errorf("GetAccount after two 503s: %v", err)
	}
	if n := b.count("GetAccount"); n != 3 {
		t.Errorf("GetAccount reached the server %d times, want 3", n)
	}
	b.answer("WriteLeaderboardRecord", bhUnavailable("a"))
	_, err := c.WriteLeaderboardRecord(bhCtx(t), s, "bh-board", 5, nil)
	var e *Error
	if !errors.As(err, &e) || e.HTTPStatus != 503 || e.Code != Unavailable {
		t.Errorf("WriteLeaderboardRecord after a 503: %v", err)
	}
	if n := b.count("WriteLeaderboardRecord"); n != 1 {
		t.Errorf("WriteLeaderboardRecord after a 503 reached the server %d times, want 1", n)
	}
	b.answer("GetAccount", &Error{Code: NotFound, Message: "nope", HTTPStatus: 404})
	if _, err := c.GetAccount(bhCtx(t), s); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetAccount after a 404: %v", err)
	}
	if n := b.count("GetAccount"); n != 4 {
		t.Errorf("a 404 was retried: GetAccount reached the server %d times in all, want 4", n)
	}
}

func TestRetryDisabled(t *testing.T) {
	bhNoJitter(t)
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, &ClientOptions{DisableRetry: true, Retry: RetryConfig{MaxAttempts: 10}})
	s := b.newSession(t, time.Hour, 24*time.Hour)
	for _, fail := range []error{bhUnavailable("x"), bhReadFailure, bhDialFailure} {
		b.answer("GetAccount", fail, fail)
		if _, err := c.GetAccount(bhCtx(t), s); !errors.Is(err, fail) {
			t.Errorf("GetAccount: %v, want %v", err, fail)
		}
		b.mu.Lock()
		b.script["GetAccount"] = nil
		b.mu.Unlock()
	}
	if n := b.count("GetAccount"); n != 3 {
		t.Errorf("DisableRetry: GetAccount sent %d times for 3 calls", n)
	}
}

func TestRetryMaxElapsed(t *testing.T) {
	// Every wait is its cap: the first retry would wait 2s, past the 1s
	// budget, so no retry starts.
	bhSetJitter(t, func(n int64) int64 { return n - 1 })
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, &ClientOptions{Retry: RetryConfig{BaseDelay: 2 * time.Second, MaxElapsed: time.Second}})
	s := b.newSession(t, time.Hour, 24*time.Hour)
	b.answer("GetAccount", bhUnavailable("1"), bhUnavailable("2"))
	t0 := time.Now()
	_, err := c.GetAccount(bhCtx(t), s)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("GetAccount: %v", err)
	}
	if n := b.count("GetAccount"); n != 1 {
		t.Errorf("GetAccount sent %d times, want 1: the retry would end past MaxElapsed", n)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("GetAccount took %v; it should not have waited", d)
	}

	// Slow attempts spend the budget too.
	bhNoJitter(t)
	b2 := bhNewBackend(t)
	c2 := NewClientWithAdapter(b2, &ClientOptions{Retry: RetryConfig{MaxAttempts: 1000, MaxElapsed: 200 * time.Millisecond}})
	s2 := b2.newSession(t, time.Hour, 24*time.Hour)
	b2.hook("GetAccount", func(context.Context, *Call) error {
		time.Sleep(40 * time.Millisecond)
		return bhUnavailable("slow")
	})
	t0 = time.Now()
	if _, err := c2.GetAccount(bhCtx(t), s2); !errors.Is(err, ErrUnavailable) {
		t.Errorf("GetAccount: %v", err)
	}
	if n := b2.count("GetAccount"); n < 2 || n > 10 {
		t.Errorf("GetAccount sent %d times within a 200ms budget of 40ms attempts", n)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("GetAccount took %v with a 200ms budget", d)
	}
}

func TestRetryContextDeadlineDuringBackoff(t *testing.T) {
	bhSetJitter(t, func(n int64) int64 { return n - 1 })
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, &ClientOptions{Retry: RetryConfig{BaseDelay: 3 * time.Second}})
	s := b.newSession(t, time.Hour, 24*time.Hour)
	b.answer("GetAccount", bhUnavailable("1"), bhUnavailable("2"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := c.GetAccount(ctx, s)
	if !errors.Is(err, context.DeadlineExceeded) || !Timeout(err) {
		t.Errorf("GetAccount: %v, want context.DeadlineExceeded", err)
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("GetAccount: %v, want it to keep the last failure too", err)
	}
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "GetAccount" {
		t.Errorf("error %v does not name the operation", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("GetAccount waited %v past its 100ms deadline", d)
	}
	if n := b.count("GetAccount"); n != 1 {
		t.Errorf("GetAccount sent %d times, want 1", n)
	}

	// Cancelling stops the wait the same way, with context.Canceled.
	b.answer("GetAccount", bhUnavailable("3"))
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	t0 = time.Now()
	if _, err := c.GetAccount(ctx2, s); !errors.Is(err, context.Canceled) {
		t.Errorf("GetAccount cancelled during backoff: %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("GetAccount waited %v after cancellation", d)
	}
}

func TestRetryDelay(t *testing.T) {
	var asked []int64
	max := func(n int64) int64 { asked = append(asked, n); return n - 1 }
	min := func(int64) int64 { return 0 }
	ms := time.Millisecond
	r := DefaultRetry
	want := []time.Duration{250 * ms, 500 * ms, time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}
	for n, w := range want {
		asked = nil
		if got := r.delay(n, max); got != w {
			t.Errorf("DefaultRetry.delay(%d) upper bound = %v, want %v", n, got, w)
		}
		// The random source is asked for a wait up to the cap.
		if len(asked) != 1 || asked[0] != int64(w)+1 {
			t.Errorf("delay(%d) drew from [0, %v), want [0, %v]", n, asked, w)
		}
		if got := r.delay(n, min); got != 0 {
			t.Errorf("delay(%d) lower bound = %v, want 0", n, got)
		}
	}
	if got := r.delay(10000, max); got != r.MaxDelay {
		t.Errorf("delay(10000) = %v, want the MaxDelay cap", got)
	}

	r = RetryConfig{BaseDelay: 100 * ms, Multiplier: 3, MaxDelay: time.Second}.withDefaults()
	for n, w := range []time.Duration{100 * ms, 300 * ms, 900 * ms, time.Second, time.Second} {
		if got := r.delay(n, max); got != w {
			t.Errorf("custom delay(%d) = %v, want %v", n, got, w)
		}
	}

	// The real source stays within [cap/2, cap], so the default's waits
	// together cover at least 6.4 s: a server restart of 5 s is ridden out.
	var least time.Duration
	for n := range DefaultRetry.MaxAttempts - 1 {
		least += want[n] / 2
		for range 200 {
			if d := DefaultRetry.delay(n, jitter); d < want[n]/2 || d > want[n] {
				t.Fatalf("delay(%d) with the real source = %v, outside [%v, %v]", n, d, want[n]/2, want[n])
			}
		}
	}
	if least < 6*time.Second || least > DefaultRetry.MaxElapsed {
		t.Errorf("the default's waits cover at least %v; want 6s or more, within MaxElapsed %v", least, DefaultRetry.MaxElapsed)
	}
}

// The client asks the random source for the capped exponential bounds.
func TestRetryClientWaits(t *testing.T) {
	var mu sync.Mutex
	var asked []time.Duration
	bhSetJitter(t, func(n int64) int64 {
		mu.Lock()
		asked = append(asked, time.Duration(n-1))
		mu.Unlock()
		return 0
	})
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, time.Hour, 24*time.Hour)
	b.answer("GetAccount", bhUnavailable("1"), bhUnavailable("2"), bhUnavailable("3"), bhUnavailable("4"))
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
	if fmt.Sprint(asked) != fmt.Sprint(want) {
		t.Errorf("wait caps %v, want %v", asked, want)
	}
}

func TestRetryConfigDefaults(t *testing.T) {
	if got := (RetryConfig{}).withDefaults(); got != DefaultRetry {
		t.Errorf("zero RetryConfig = %+v, want DefaultRetry %+v", got, DefaultRetry)
	}
	c := NewClientWithAdapter(bhNewBackend(t), &ClientOptions{Retry: RetryConfig{MaxAttempts: 2, MaxDelay: time.Second}})
	want := DefaultRetry
	want.MaxAttempts, want.MaxDelay = 2, time.Second
	if c.retry != want {
		t.Errorf("partial RetryConfig = %+v, want %+v", c.retry, want)
	}
	if c := NewClientWithAdapter(bhNewBackend(t), nil); c.retry != DefaultRetry {
		t.Errorf("nil options: %+v, want DefaultRetry", c.retry)
	}
	if c := NewClientWithAdapter(bhNewBackend(t), &ClientOptions{DisableRetry: true}); c.retry.MaxAttempts != 1 {
		t.Errorf("DisableRetry: MaxAttempts %d, want 1", c.retry.MaxAttempts)
	}

	// And in behaviour: MaxAttempts 2, the other fields defaulted.
	bhNoJitter(t)
	b := bhNewBackend(t)
	c = NewClientWithAdapter(b, &ClientOptions{Retry: RetryConfig{MaxAttempts: 2}})
	s := b.newSession(t, time.Hour, 24*time.Hour)
	b.answer("GetAccount", bhUnavailable("1"), bhUnavailable("2"), bhUnavailable("3"))
	if _, err := c.GetAccount(bhCtx(t), s); err == nil {
		t.Fatal("GetAccount succeeded")
	}
	if n := b.count("GetAccount"); n != 2 {
		t.Errorf("MaxAttempts 2: sent %d times", n)
	}
}

// An already-cancelled context fails fast and sends nothing, not even a due
// refresh.
func TestCancelledContextSendsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", what, err)
		}
	}
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		c := newClient(nil)
		fresh := b.newSession(t, time.Hour, 24*time.Hour)
		due := b.dueSession(t, 60*time.Second, 24*time.Hour)
		_, err := c.AuthenticateDevice(ctx, "bh-device-0001", nil)
		check(t, "AuthenticateDevice", err)
		check(t, "Healthcheck", c.Healthcheck(ctx))
		_, err = c.GetAccount(ctx, fresh)
		check(t, "GetAccount", err)
		_, err = c.GetAccount(ctx, due)
		check(t, "GetAccount with a session due for refresh", err)
		_, err = c.WriteLeaderboardRecord(ctx, fresh, "bh-board", 1, nil)
		check(t, "WriteLeaderboardRecord", err)
		check(t, "SessionRefresh", c.SessionRefresh(ctx, fresh, nil))
		check(t, "SessionLogout", c.SessionLogout(ctx, fresh))
		_, err = c.RpcFuncHTTPKey(ctx, b.httpKey, "bh_rpc", "{}")
		check(t, "RpcFuncHTTPKey", err)
		if n := b.total(); n != 0 {
			b.mu.Lock()
			t.Errorf("a cancelled context sent %d calls: %v", n, b.calls)
			b.mu.Unlock()
		}
	})
}

// bhHang makes the backend hold a call until its context ends (or the test).
func bhHang(b *bhBackend) func(ctx context.Context, call *Call) error {
	return func(ctx context.Context, call *Call) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.release:
			return errors.New("bh: released")
		}
	}
}

func TestRESTTimeoutBoundsHangingServer(t *testing.T) {
	bhNoJitter(t)
	b := bhNewBackend(t)
	srv := bhServe(t, b)
	b.hook("GetAccount", bhHang(b))
	b.hook("WriteLeaderboardRecord", bhHang(b))
	s := b.newSession(t, time.Hour, 24*time.Hour)

	c := bhRESTClient(t, srv, b, &ClientOptions{DisableRetry: true, REST: RESTOptions{Timeout: 100 * time.Millisecond}})
	t0 := time.Now()
	_, err := c.GetAccount(context.Background(), s)
	if !errors.Is(err, context.DeadlineExceeded) || !Timeout(err) {
		t.Errorf("GetAccount from a hanging server: %v, want a timeout", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("GetAccount took %v with a 100ms timeout", d)
	}
	if strings.Contains(fmt.Sprint(err), s.Token()) {
		t.Errorf("error names the token")
	}

	// With retries, an idempotent call is tried MaxAttempts times, each
	// bounded; a call that is not idempotent only once.
	c = bhRESTClient(t, srv, b, &ClientOptions{REST: RESTOptions{Timeout: 100 * time.Millisecond}})
	t0 = time.Now()
	if _, err := c.GetAccount(context.Background(), s); !Timeout(err) {
		t.Errorf("GetAccount with retries from a hanging server: %v", err)
	}
	if n := b.count("GetAccount"); n != 1+DefaultRetry.MaxAttempts {
		t.Errorf("GetAccount reached the server %d times in all, want %d", n, 1+DefaultRetry.MaxAttempts)
	}
	if _, err := c.WriteLeaderboardRecord(context.Background(), s, "bh-board", 1, nil); !Timeout(err) {
		t.Errorf("WriteLeaderboardRecord from a hanging server: %v", err)
	}
	if n := b.count("WriteLeaderboardRecord"); n != 1 {
		t.Errorf("WriteLeaderboardRecord reached the server %d times, want 1", n)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestContextDeadlineBoundsHangingServer(t *testing.T) {
	b := bhNewBackend(t)
	srv := bhServe(t, b)
	b.hook("GetAccount", bhHang(b))
	s := b.newSession(t, time.Hour, 24*time.Hour)
	c := bhRESTClient(t, srv, b, nil) // the default 10 s exchange timeout
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := c.GetAccount(ctx, s)
	if !errors.Is(err, context.DeadlineExceeded) || !Timeout(err) || CodeOf(err) != DeadlineExceeded {
		t.Errorf("GetAccount past its deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("GetAccount took %v with a 150ms deadline", d)
	}
	if n := b.count("GetAccount"); n != 1 {
		t.Errorf("GetAccount reached the server %d times, want 1 (the caller's deadline is not retried)", n)
	}

	// Same through the fake adapter.
	b2 := bhNewBackend(t)
	b2.hook("GetAccount", bhHang(b2))
	s2 := b2.newSession(t, time.Hour, 24*time.Hour)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := NewClientWithAdapter(b2, nil).GetAccount(ctx2, s2); !errors.Is(err, context.DeadlineExceeded) || !Timeout(err) {
		t.Errorf("fake adapter: %v", err)
	}
	if n := b2.count("GetAccount"); n != 1 {
		t.Errorf("fake adapter: sent %d times", n)
	}
}
