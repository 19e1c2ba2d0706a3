package nakama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// bhBackend is a small stand-in for a Nakama server. It is a ClientAdapter
// itself (the fake adapter), and an http.Handler speaking enough of the REST
// API for the REST adapter. Like the real server it issues HS256 JWTs, checks
// bearer tokens, rotates the refresh token on every refresh and rejects a
// spent one with 401. It counts calls per operation, records the credential
// each carried, and answers scripted errors.
type bhBackend struct {
	serverKey string
	httpKey   string
	uid       string
	username  string

	mu         sync.Mutex
	seq        int
	tokenTTL   time.Duration // lifetime of tokens it issues
	refreshTTL time.Duration
	tokens     map[string]string // valid session tokens -> uid
	refresh    map[string]string // unspent refresh tokens -> uid
	issued     []string          // every token and refresh token ever issued
	calls      map[string]int
	seen       map[string][]string // op -> credential each call carried
	script     map[string][]error  // op -> answers to give first; nil means serve
	before     map[string]func(ctx context.Context, call *Call) error

	releaseOnce sync.Once
	release     chan struct{} // closed at the end of the test: hung calls end
}

// errBhDropConnection, answered by a hook, makes the HTTP handler close the
// connection without an answer: the request arrived, the response is lost.
var errBhDropConnection = errors.New("bh: drop the connection")

func bhNewBackend(t testing.TB) *bhBackend {
	b := &bhBackend{
		serverKey:  "bh-server-key",
		httpKey:    "bh-http-key",
		uid:        "bh-uid-1",
		username:   "bh_user",
		tokenTTL:   time.Hour,
		refreshTTL: 24 * time.Hour,
		tokens:     map[string]string{},
		refresh:    map[string]string{},
		calls:      map[string]int{},
		seen:       map[string][]string{},
		script:     map[string][]error{},
		before:     map[string]func(context.Context, *Call) error{},
		release:    make(chan struct{}),
	}
	t.Cleanup(b.releaseAll)
	return b
}

func (b *bhBackend) releaseAll() { b.releaseOnce.Do(func() { close(b.release) }) }

// issueLocked mints a token pair for uid, valid from the server's clock.
func (b *bhBackend) issueLocked(vars map[string]string, ttl, rttl time.Duration) *api.Session {
	b.seq++
	iat := time.Now().Unix()
	tok := bhJWT(bhClaims{TokenID: fmt.Sprintf("bh-tok-%d", b.seq), UserID: b.uid, Username: b.username, Vars: vars,
		Iat: iat, Exp: iat + int64(ttl/time.Second)})
	ref := bhJWT(bhClaims{TokenID: fmt.Sprintf("bh-ref-%d", b.seq), UserID: b.uid, Username: b.username, Vars: vars,
		Iat: iat, Exp: iat + int64(rttl/time.Second)})
	b.tokens[tok] = b.uid
	b.refresh[ref] = b.uid
	b.issued = append(b.issued, tok, ref)
	return &api.Session{Token: tok, RefreshToken: ref}
}

// newSession issues a token pair with the given lifetimes and makes a
// session of it, as an authenticate call would.
func (b *bhBackend) newSession(t testing.TB, ttl, rttl time.Duration) *Session {
	t.Helper()
	b.mu.Lock()
	a := b.issueLocked(nil, ttl, rttl)
	b.mu.Unlock()
	s, err := NewSession(a)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	return s
}

// dueSession is newSession past the token's half-life, so that the client
// refreshes it before a call.
func (b *bhBackend) dueSession(t testing.TB, ttl, rttl time.Duration) *Session {
	t.Helper()
	return bhAge(b.newSession(t, ttl, rttl), ttl/2+time.Second)
}

// bhAge makes s look received d earlier, as if d had passed on this device.
func bhAge(s *Session, d time.Duration) *Session {
	s.mu.Lock()
	s.st.expiresAt = s.st.expiresAt.Add(-d)
	s.mu.Unlock()
	return s
}

// answer queues answers for the next calls of op.
func (b *bhBackend) answer(op string, errs ...error) {
	b.mu.Lock()
	b.script[op] = append(b.script[op], errs...)
	b.mu.Unlock()
}

func (b *bhBackend) hook(op string, f func(ctx context.Context, call *Call) error) {
	b.mu.Lock()
	b.before[op] = f
	b.mu.Unlock()
}

func (b *bhBackend) count(op string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[op]
}

func (b *bhBackend) total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bhSum(b.calls)
}

func (b *bhBackend) credentials(op string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.seen[op]...)
}

func (b *bhBackend) issuedTokens() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.issued...)
}

// Send implements ClientAdapter.
func (b *bhBackend) Send(ctx context.Context, call *Call) error {
	name := call.Operation.Name
	cred := call.Token
	if r, ok := call.Request.(*api.SessionRefreshRequest); ok {
		cred = r.GetToken()
	}
	b.mu.Lock()
	b.calls[name]++
	b.seen[name] = append(b.seen[name], cred)
	var scripted error
	if q := b.script[name]; len(q) > 0 {
		scripted = q[0]
		b.script[name] = q[1:]
	}
	hook := b.before[name]
	b.mu.Unlock()
	if scripted != nil {
		return scripted
	}
	if hook != nil {
		if err := hook(ctx, call); errors.Is(err, errBhAnswered) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return b.serve(call)
}

func bhUnauthenticated(msg string) error {
	return &Error{Code: Unauthenticated, Message: msg, HTTPStatus: http.StatusUnauthorized}
}

func bhUnavailable(msg string) error {
	return &Error{Code: Unavailable, Message: msg, HTTPStatus: http.StatusServiceUnavailable}
}

func (b *bhBackend) serve(call *Call) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := call.Operation
	switch {
	case o.Auth == AuthBasic && strings.HasPrefix(o.Name, "Authenticate"):
		proto.Merge(call.Response, b.issueLocked(nil, b.tokenTTL, b.refreshTTL))
		return nil
	case o.Name == "SessionRefresh":
		req := call.Request.(*api.SessionRefreshRequest)
		if _, ok := b.refresh[req.GetToken()]; !ok {
			return bhUnauthenticated("Refresh token invalid or expired.")
		}
		delete(b.refresh, req.GetToken()) // rotated: a refresh token works once
		proto.Merge(call.Response, b.issueLocked(req.GetVars(), b.tokenTTL, b.refreshTTL))
		return nil
	case o.Auth == AuthNone:
		return nil
	case o.Auth == AuthBearerOrHTTPKey && call.Token == "":
		req := call.Request.(*api.Rpc)
		if req.GetHttpKey() != b.httpKey {
			return bhUnauthenticated("HTTP key invalid")
		}
		proto.Merge(call.Response, &api.Rpc{Id: req.GetId(), Payload: "bh-rpc-answer"})
		return nil
	}
	uid, ok := b.tokens[call.Token]
	if !ok {
		return bhUnauthenticated("Auth token invalid")
	}
	switch resp := call.Response.(type) {
	case *api.Account:
		resp.User = &api.User{Id: uid, Username: b.username}
	case *api.LeaderboardRecord:
		resp.OwnerId = uid
	case *api.Rpc:
		resp.Id = call.Request.(*api.Rpc).GetId()
		resp.Payload = "bh-rpc-answer"
	}
	if o.Name == "SessionLogout" {
		req := call.Request.(*api.SessionLogoutRequest)
		delete(b.tokens, req.GetToken())
		delete(b.refresh, req.GetRefreshToken())
	}
	return nil
}

// ServeHTTP answers the REST routes the tests use, through Send.
func (b *bhBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := bhMatchRoute(r.Method, r.URL.Path)
	if o == nil {
		bhWriteError(w, &Error{Code: NotFound, Message: "no route", HTTPStatus: 404})
		return
	}
	call := &Call{Operation: o, Request: o.NewRequest(), Response: o.NewResponse()}
	switch o.Auth {
	case AuthBasic:
		if user, _, ok := r.BasicAuth(); !ok || user != b.serverKey {
			bhWriteError(w, bhUnauthenticated("Server key invalid"))
			return
		}
	case AuthBearer, AuthBearerOrHTTPKey:
		call.Token, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	body, _ := io.ReadAll(r.Body)
	switch req := call.Request.(type) {
	case *api.SessionRefreshRequest, *api.SessionLogoutRequest:
		if err := protojson.Unmarshal(body, req); err != nil {
			bhWriteError(w, &Error{Code: InvalidArgument, Message: err.Error(), HTTPStatus: 400})
			return
		}
	case *api.Rpc:
		req.Id = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		req.HttpKey = r.URL.Query().Get("http_key")
		_ = json.Unmarshal(body, &req.Payload)
	}
	err := b.Send(r.Context(), call)
	if errors.Is(err, errBhDropConnection) {
		conn, _, herr := w.(http.Hijacker).Hijack()
		if herr == nil {
			conn.Close()
		}
		return
	}
	if err != nil {
		bhWriteError(w, err)
		return
	}
	out, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(call.Response)
	if err != nil {
		bhWriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func bhWriteError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: Internal, Message: err.Error(), HTTPStatus: 500}
	}
	status := e.HTTPStatus
	if status == 0 {
		status = 500
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": int(e.Code), "message": e.Message, "error": e.Message})
}

// bhMatchRoute finds the operation of a REST request; literal segments beat
// path fields.
func bhMatchRoute(method, path string) *Operation {
	var best *Operation
	bestLiterals := -1
	segs := strings.Split(path, "/")
	for _, o := range Operations() {
		if o.Method != method {
			continue
		}
		pat := strings.Split(o.Path, "/")
		if len(pat) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i := range pat {
			switch {
			case strings.HasPrefix(pat[i], "{"):
			case pat[i] == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = o, literals
		}
	}
	return best
}

// bhServe starts an HTTP server for b, closed when the test ends.
func bhServe(t testing.TB, b *bhBackend) *httptest.Server {
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	t.Cleanup(b.releaseAll) // runs first: hung handlers return, then the server closes
	return srv
}

// bhNoJitter makes every retry wait zero, restored when the test ends.
func bhNoJitter(t testing.TB) { bhSetJitter(t, func(int64) int64 { return 0 }) }

func bhSetJitter(t testing.TB, f func(int64) int64) {
	old := jitter
	jitter = f
	t.Cleanup(func() { jitter = old })
}

func bhCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bhTransports runs f against the fake adapter and against the REST adapter
// talking to the same backend over HTTP.
func bhTransports(t *testing.T, f func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient)) {
	t.Run("fake adapter", func(t *testing.T) {
		b := bhNewBackend(t)
		f(t, b, func(o *ClientOptions) *DefaultClient { return NewClientWithAdapter(b, o) })
	})
	t.Run("REST", func(t *testing.T) {
		b := bhNewBackend(t)
		srv := bhServe(t, b)
		f(t, b, func(o *ClientOptions) *DefaultClient { return bhRESTClient(t, srv, b, o) })
	})
}

// bhRefreshCounter is an OnSessionRefresh that counts its calls and checks
// that it sees the session already updated.
type bhRefreshCounter struct {
	n    atomic.Int32
	mu   sync.Mutex
	seen []*Session
	tok  []string
}

func (r *bhRefreshCounter) fn(s *Session) {
	r.n.Add(1)
	r.mu.Lock()
	r.seen = append(r.seen, s)
	r.tok = append(r.tok, s.Token())
	r.mu.Unlock()
}

func TestRefreshBeforeCallWhenAboutToExpire(t *testing.T) {
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		var cb bhRefreshCounter
		c := newClient(&ClientOptions{OnSessionRefresh: cb.fn})
		s := bhAge(b.newSession(t, time.Hour, 2*time.Hour), 56*time.Minute) // 4 min left: inside the default 5 min window
		oldTok, oldRef := s.Token(), s.RefreshToken()

		acct, err := c.GetAccount(bhCtx(t), s)
		if err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if acct.GetUser().GetId() != b.uid {
			t.Errorf("account user %q, want %q", acct.GetUser().GetId(), b.uid)
		}
		if n := b.count("SessionRefresh"); n != 1 {
			t.Fatalf("SessionRefresh sent %d times, want 1", n)
		}
		if got := b.credentials("SessionRefresh"); got[0] != oldRef {
			t.Errorf("refresh request carried %q, want the session's refresh token", got[0])
		}
		if s.Token() == oldTok || s.RefreshToken() == oldRef {
			t.Fatalf("session tokens were not updated in place")
		}
		if got := b.credentials("GetAccount"); len(got) != 1 || got[0] != s.Token() {
			t.Errorf("GetAccount carried %q, want the new token", got)
		}
		if s.ExpiresWithin(30 * time.Minute) {
			t.Errorf("refreshed session still expires within 30 min: %v", s.ExpiresAt())
		}
		if n := cb.n.Load(); n != 1 {
			t.Fatalf("OnSessionRefresh called %d times, want 1", n)
		}
		if cb.seen[0] != s || cb.tok[0] != s.Token() {
			t.Errorf("OnSessionRefresh got %p holding %q; want the same session %p already updated", cb.seen[0], cb.tok[0], s)
		}

		// The next call needs no refresh.
		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("second GetAccount: %v", err)
		}
		if n := b.count("SessionRefresh"); n != 1 || cb.n.Load() != 1 {
			t.Errorf("second call refreshed again: %d requests, %d callbacks", n, cb.n.Load())
		}
	})
}

func TestRefreshNotOutsideWindow(t *testing.T) {
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		var cb bhRefreshCounter
		c := newClient(&ClientOptions{OnSessionRefresh: cb.fn})
		s := bhAge(b.newSession(t, time.Hour, 2*time.Hour), 54*time.Minute) // 6 min left
		tok := s.Token()
		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if n := b.count("SessionRefresh"); n != 0 || cb.n.Load() != 0 {
			t.Errorf("refreshed a session 6 min from expiry: %d requests", n)
		}
		if s.Token() != tok {
			t.Errorf("token changed without a refresh")
		}

		// A wider window makes the same session due.
		c = newClient(&ClientOptions{RefreshWindow: 10 * time.Minute})
		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if n := b.count("SessionRefresh"); n != 1 {
			t.Errorf("with a 10 min window: %d refreshes, want 1", n)
		}
	})
}

func TestRefreshDisabled(t *testing.T) {
	clock := bhFakeNow(t, time.Now())
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, &ClientOptions{DisableAutoRefresh: true})
	s := b.newSession(t, 60*time.Second, time.Hour)

	// About to expire but still valid: used as it is.
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if n := b.count("SessionRefresh"); n != 0 {
		t.Errorf("DisableAutoRefresh: %d refreshes", n)
	}

	clock.Advance(2 * time.Minute)
	calls := b.total()
	_, err := c.GetAccount(bhCtx(t), s)
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("GetAccount with an expired token and DisableAutoRefresh: %v, want ErrSessionExpired", err)
	}
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "GetAccount" {
		t.Errorf("error %v is not an OpError naming GetAccount", err)
	}
	if b.total() != calls {
		t.Errorf("an expired session made %d calls", b.total()-calls)
	}

	// A 401 is not answered by a refresh either.
	s2 := b.newSession(t, time.Hour, time.Hour)
	b.answer("GetAccount", bhUnauthenticated("revoked"))
	if _, err := c.GetAccount(bhCtx(t), s2); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("401 with DisableAutoRefresh: %v", err)
	}
	if n := b.count("SessionRefresh"); n != 0 {
		t.Errorf("DisableAutoRefresh: a 401 caused %d refreshes", n)
	}
}

func TestRefreshExpiredRefreshToken(t *testing.T) {
	clock := bhFakeNow(t, time.Now())
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, 60*time.Second, 120*time.Second)
	clock.Advance(5 * time.Minute)
	if !s.Expired() || !s.RefreshExpired() {
		t.Fatalf("test setup: session not fully expired")
	}
	_, err := c.GetAccount(bhCtx(t), s)
	if !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("GetAccount: %v, want ErrSessionExpired", err)
	}
	if n := b.total(); n != 0 {
		t.Errorf("an expired session with an expired refresh token made %d calls", n)
	}
	// Same for a restored session without refresh token.
	tok, _ := bhPair(now().Add(-time.Hour), time.Minute, 0, nil)
	r, err := RestoreSession(tok, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAccount(bhCtx(t), r); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("restored expired session without refresh token: %v, want ErrSessionExpired", err)
	}
	if err := c.SessionRefresh(bhCtx(t), r, nil); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("SessionRefresh without refresh token: %v, want ErrSessionExpired", err)
	}
	if n := b.total(); n != 0 {
		t.Errorf("%d calls made", n)
	}
}

func TestRefreshExpiredTokenValidRefresh(t *testing.T) {
	clock := bhFakeNow(t, time.Now())
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, 60*time.Second, time.Hour)
	clock.Advance(2 * time.Minute)
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if b.count("SessionRefresh") != 1 || s.Expired() {
		t.Errorf("expired token with a valid refresh token: %d refreshes, Expired=%v", b.count("SessionRefresh"), s.Expired())
	}

	// The refresh is rejected (the refresh token was revoked): the session
	// has expired.
	s2 := b.newSession(t, 60*time.Second, 24*time.Hour)
	b.mu.Lock()
	clear(b.refresh)
	b.mu.Unlock()
	clock.Advance(2 * time.Minute)
	_, err := c.GetAccount(bhCtx(t), s2)
	if !errors.Is(err, ErrSessionExpired) || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("rejected refresh of an expired token: %v, want ErrSessionExpired wrapping the 401", err)
	}
	if n := b.count("GetAccount"); n != 1 {
		t.Errorf("GetAccount sent %d times, want only the first call's", n)
	}
}

func TestRefreshOn401WhileTokenLooksFresh(t *testing.T) {
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		var cb bhRefreshCounter
		c := newClient(&ClientOptions{OnSessionRefresh: cb.fn})
		// A token the server no longer accepts but that looks fresh locally,
		// as after a restore on a device with a slow clock.
		s := b.newSession(t, time.Hour, 24*time.Hour)
		b.mu.Lock()
		delete(b.tokens, s.Token())
		b.mu.Unlock()
		old := s.Token()

		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if n := b.count("SessionRefresh"); n != 1 {
			t.Errorf("SessionRefresh sent %d times, want 1", n)
		}
		got := b.credentials("GetAccount")
		if len(got) != 2 || got[0] != old || got[1] != s.Token() || s.Token() == old {
			t.Errorf("GetAccount carried %d tokens (first old: %v, second new: %v), want the old then the new",
				len(got), len(got) > 0 && got[0] == old, len(got) > 1 && got[1] == s.Token())
		}
		if cb.n.Load() != 1 {
			t.Errorf("OnSessionRefresh called %d times, want 1", cb.n.Load())
		}

		// When the resend is rejected too, the 401 is returned: one refresh,
		// one resend, no loop.
		b.answer("GetAccount", bhUnauthenticated("no"), bhUnauthenticated("still no"))
		_, err := c.GetAccount(bhCtx(t), s)
		if !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("GetAccount: %v, want Unauthenticated", err)
		}
		if n := b.count("GetAccount"); n != 4 {
			t.Errorf("GetAccount sent %d times in all, want 4", n)
		}
		if n := b.count("SessionRefresh"); n != 2 {
			t.Errorf("SessionRefresh sent %d times in all, want 2", n)
		}
	})
}

func TestSessionLogoutDoesNotRefresh(t *testing.T) {
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.dueSession(t, 60*time.Second, time.Hour) // within the window
	b.answer("SessionLogout", bhUnauthenticated("gone"))
	if err := c.SessionLogout(bhCtx(t), s); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("SessionLogout: %v", err)
	}
	if err := c.SessionLogout(bhCtx(t), s); err != nil {
		t.Errorf("SessionLogout: %v", err)
	}
	if n := b.count("SessionRefresh"); n != 0 {
		t.Errorf("SessionLogout refreshed %d times", n)
	}
}

func TestRefreshEarlyFailureDoesNotFailCall(t *testing.T) {
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		bhNoJitter(t)
		var cb bhRefreshCounter
		c := newClient(&ClientOptions{OnSessionRefresh: cb.fn})
		s := b.dueSession(t, 60*time.Second, time.Hour)
		old := s.Token()
		b.answer("SessionRefresh", bhUnavailable("refresh down"))
		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("GetAccount with a failing early refresh: %v", err)
		}
		if got := b.credentials("GetAccount"); len(got) != 1 || got[0] != old {
			t.Errorf("GetAccount did not go out once with the still-valid token")
		}
		if cb.n.Load() != 0 || s.Token() != old {
			t.Errorf("failed refresh changed the session or called OnSessionRefresh")
		}
		// A rejected refresh token does not fail the call either while the
		// token lasts.
		b.answer("SessionRefresh", bhUnauthenticated("revoked"))
		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("GetAccount with a rejected early refresh: %v", err)
		}
		// The next call tries again, and succeeds.
		if _, err := c.GetAccount(bhCtx(t), s); err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		if n := b.count("SessionRefresh"); n != 3 {
			t.Errorf("SessionRefresh sent %d times, want 3", n)
		}
		if s.Token() == old || cb.n.Load() != 1 {
			t.Errorf("third call did not refresh")
		}
	})
}

func TestRefreshFailureOfExpiredTokenFailsCall(t *testing.T) {
	clock := bhFakeNow(t, time.Now())
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, 60*time.Second, time.Hour)
	clock.Advance(2 * time.Minute)
	b.answer("SessionRefresh", bhUnavailable("refresh down"))
	_, err := c.GetAccount(bhCtx(t), s)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("GetAccount: %v, want the refresh's Unavailable", err)
	}
	if n := b.count("GetAccount"); n != 0 {
		t.Errorf("GetAccount sent %d times with an expired token", n)
	}
}

func TestSessionRefreshExplicit(t *testing.T) {
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		var cb bhRefreshCounter
		c := newClient(&ClientOptions{OnSessionRefresh: cb.fn})
		s := b.newSession(t, time.Hour, 24*time.Hour)
		oldRef := s.RefreshToken()
		if err := c.SessionRefresh(bhCtx(t), s, map[string]string{"mode": "ranked"}); err != nil {
			t.Fatalf("SessionRefresh: %v", err)
		}
		if got := b.credentials("SessionRefresh"); len(got) != 1 || got[0] != oldRef {
			t.Errorf("SessionRefresh carried the wrong refresh token")
		}
		if s.Vars()["mode"] != "ranked" {
			t.Errorf("Vars after refresh = %v", s.Vars())
		}
		if cb.n.Load() != 1 || cb.seen[0] != s {
			t.Errorf("OnSessionRefresh: %d calls", cb.n.Load())
		}
		// The spent refresh token is rejected by the server: restoring the
		// old tokens and refreshing fails with ErrSessionExpired.
		r, err := RestoreSession(s.Token(), oldRef)
		if err != nil {
			t.Fatal(err)
		}
		err = c.SessionRefresh(bhCtx(t), r, nil)
		var oe *OpError
		if !errors.Is(err, ErrSessionExpired) || !errors.As(err, &oe) || oe.Op != "SessionRefresh" {
			t.Errorf("refresh with a spent token: %v, want an OpError with ErrSessionExpired", err)
		}
		if err := c.SessionRefresh(bhCtx(t), nil, nil); !errors.Is(err, ErrNilSession) {
			t.Errorf("SessionRefresh(nil): %v", err)
		}
	})
}

// The server may answer a refresh without a refresh token: the old one stays.
func TestRefreshAnswerWithoutRefreshToken(t *testing.T) {
	clock := bhFakeNow(t, time.Now())
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.dueSession(t, 60*time.Second, time.Hour)
	ref, refExp := s.RefreshToken(), s.RefreshExpiresAt()
	// The hook answers alone, with a session token only.
	b.hook("SessionRefresh", func(ctx context.Context, call *Call) error {
		b.mu.Lock()
		a := b.issueLocked(nil, time.Hour, time.Hour)
		b.mu.Unlock()
		call.Response.(*api.Session).Token = a.Token
		return errBhAnswered
	})
	clock.Advance(10 * time.Minute)
	_, err := c.GetAccount(bhCtx(t), s)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if s.RefreshToken() != ref || !s.RefreshExpiresAt().Equal(refExp) {
		t.Errorf("refresh token or its expiry changed although the answer had none")
	}
}

// errBhAnswered is returned by a hook that filled the answer itself; the
// bhAnswering wrapper turns it into success.
var errBhAnswered = errors.New("bh: answered by hook")

// Single flight: many callers of one about-to-expire session share one
// refresh request, and all use the new token.
func TestRefreshSingleFlight(t *testing.T) {
	bhTransports(t, func(t *testing.T, b *bhBackend, newClient func(*ClientOptions) *DefaultClient) {
		var cb bhRefreshCounter
		c := newClient(&ClientOptions{OnSessionRefresh: cb.fn})
		s := b.dueSession(t, 60*time.Second, time.Hour)
		b.hook("SessionRefresh", func(ctx context.Context, call *Call) error {
			time.Sleep(20 * time.Millisecond) // let the others pile up
			return nil
		})
		const n = 100
		start := make(chan struct{})
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := c.GetAccount(bhCtx(t), s)
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("GetAccount: %v", err)
			}
		}
		if got := b.count("SessionRefresh"); got != 1 {
			t.Errorf("%d SessionRefresh requests, want exactly 1", got)
		}
		if got := cb.n.Load(); got != 1 {
			t.Errorf("OnSessionRefresh called %d times, want 1", got)
		}
		toks := b.credentials("GetAccount")
		if len(toks) != n {
			t.Errorf("%d GetAccount requests, want %d", len(toks), n)
		}
		for _, tok := range toks {
			if tok != s.Token() {
				t.Errorf("a GetAccount carried a token other than the new one")
				break
			}
		}
	})
}

// Another caller refreshes the session between this caller's expiry check
// and its refresh: it must not refresh a second time.
func TestRefreshNoSecondRefreshAfterConcurrentOne(t *testing.T) {
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.dueSession(t, 60*time.Second, time.Hour)
	var once sync.Once
	var inHook atomic.Bool
	old := now
	t.Cleanup(func() { now = old })
	// The second clock reading of the call comes after its expiry check;
	// another "goroutine" completes a refresh right there.
	var readings atomic.Int32
	now = func() time.Time {
		if !inHook.Load() && readings.Add(1) == 2 {
			once.Do(func() {
				inHook.Store(true)
				defer inHook.Store(false)
				if err := c.SessionRefresh(context.Background(), s, nil); err != nil {
					t.Errorf("concurrent SessionRefresh: %v", err)
				}
			})
		}
		return old()
	}
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if readings.Load() < 2 {
		t.Fatalf("the call read the clock %d times; the concurrent refresh never ran", readings.Load())
	}
	if n := b.count("SessionRefresh"); n != 1 {
		t.Errorf("%d SessionRefresh requests, want 1 (the concurrent one)", n)
	}
}

// A 401 answered while another caller refreshed the session is resent with
// the new token, without a second refresh.
func TestRefreshOn401AfterConcurrentRefresh(t *testing.T) {
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, time.Hour, 24*time.Hour)
	old := s.Token()
	b.mu.Lock()
	delete(b.tokens, old) // the server rejects the old token
	b.mu.Unlock()
	var once sync.Once
	b.hook("GetAccount", func(ctx context.Context, call *Call) error {
		once.Do(func() {
			// Another goroutine refreshes while this call is on the wire.
			if err := c.SessionRefresh(context.Background(), s, nil); err != nil {
				t.Errorf("concurrent SessionRefresh: %v", err)
			}
		})
		return nil
	})
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if n := b.count("SessionRefresh"); n != 1 {
		t.Errorf("%d SessionRefresh requests, want 1 (the concurrent one)", n)
	}
	if got := b.credentials("GetAccount"); len(got) != 2 || got[1] != s.Token() {
		t.Errorf("GetAccount not resent once with the new token")
	}
}

// The caller leading the refresh gives up mid-refresh: the callers waiting
// for it are not failed by a cancellation that is not theirs; one of them
// refreshes again.
func TestRefreshLeaderCancelled(t *testing.T) {
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.dueSession(t, 60*time.Second, time.Hour)
	entered := make(chan struct{})
	var first atomic.Bool
	b.hook("SessionRefresh", func(ctx context.Context, call *Call) error {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-ctx.Done()
			return fmt.Errorf("bh: exchange abandoned: %w", ctx.Err())
		}
		return nil
	})
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	defer cancelLeader()
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.GetAccount(leaderCtx, s)
		leaderErr <- err
	}()
	<-entered

	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.GetAccount(bhCtx(t), s)
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the waiters queue up behind the leader
	cancelLeader()

	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want context.Canceled", err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("waiter: %v", err)
		}
	}
	if got := b.count("SessionRefresh"); got != 2 {
		t.Errorf("%d SessionRefresh requests, want 2 (the abandoned one and one retry)", got)
	}
	for _, tok := range b.credentials("GetAccount") {
		if tok != s.Token() {
			t.Errorf("a waiter's call did not carry the new token")
		}
	}
}

// A waiter whose own context ends stops waiting at once.
func TestRefreshWaiterCancelled(t *testing.T) {
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.dueSession(t, 60*time.Second, time.Hour)
	entered := make(chan struct{})
	release := make(chan struct{})
	var first atomic.Bool
	b.hook("SessionRefresh", func(ctx context.Context, call *Call) error {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
		return nil
	})
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.GetAccount(bhCtx(t), s)
		leaderErr <- err
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	waiterErr := make(chan error, 1)
	go func() {
		_, err := c.GetAccount(ctx, s)
		waiterErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-waiterErr:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled waiter: %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("cancelled waiter still waiting for the refresh")
	}
	close(release)
	if err := <-leaderErr; err != nil {
		t.Errorf("leader: %v", err)
	}
	if got := b.count("SessionRefresh"); got != 1 {
		t.Errorf("%d SessionRefresh requests, want 1", got)
	}
	if got := b.count("GetAccount"); got != 1 {
		t.Errorf("%d GetAccount requests, want only the leader's", got)
	}
}

func bhSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
