package nakama

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// Session is an authenticated user's pair of tokens: a short-lived session
// token that authenticates calls and a longer-lived refresh token that gets a
// new one. Make one with an Authenticate method, or with RestoreSession from
// tokens the application stored.
//
// A Session is safe for concurrent use. When a client refreshes it, the
// tokens and expiry change in place, so every goroutine holding the pointer
// sees the new tokens; concurrent callers that find it about to expire share
// one refresh request.
//
// Expiry is judged from each token's lifetime (exp - iat) counted from the
// moment this process received it, so a device clock far from the server's
// does not make a fresh token look expired or an expired one look fresh.
type Session struct {
	mu sync.Mutex
	st sessionState
	// refreshing is the refresh in flight; nil when none is.
	refreshing *flight
}

// flight is one refresh request shared by the callers that wait for it.
type flight struct {
	done chan struct{} // closed when err is set
	err  error
}

// sessionState is everything a refresh replaces at once.
type sessionState struct {
	token, refreshToken string
	created             bool
	claims              claims
	refreshClaims       claims
	expiresAt           time.Time // local clock
	refreshExpiresAt    time.Time // local clock
	// lifetime is the session token's own lifetime (exp - iat); zero when
	// the token has no iat claim.
	lifetime time.Duration
}

type claims struct {
	TokenID  string            `json:"tid"`
	UserID   string            `json:"uid"`
	Username string            `json:"usn"`
	Vars     map[string]string `json:"vrs"`
	Exp      int64             `json:"exp"`
	Iat      int64             `json:"iat"`
}

// now is the clock sessions judge expiry by; tests replace it.
var now = time.Now

// NewSession makes a session from an authenticate or refresh answer,
// counting the tokens' lifetimes from now.
func NewSession(s *api.Session) (*Session, error) {
	if s == nil {
		return nil, fmt.Errorf("nakama: NewSession: nil session")
	}
	st, err := newSessionState(s.GetToken(), s.GetRefreshToken(), now(), true)
	if err != nil {
		return nil, err
	}
	st.created = s.GetCreated()
	return &Session{st: st}, nil
}

// RestoreSession makes a session from tokens the application stored earlier
// (Session.Token and Session.RefreshToken). The time they were received is not
// known, so expiry is judged against this device's clock; if that clock is
// off, the client notices when the server rejects the token and refreshes
// then. refreshToken may be empty, in which case the session cannot be
// refreshed.
func RestoreSession(token, refreshToken string) (*Session, error) {
	st, err := newSessionState(token, refreshToken, time.Time{}, false)
	if err != nil {
		return nil, err
	}
	return &Session{st: st}, nil
}

func newSessionState(token, refreshToken string, received time.Time, fromServer bool) (sessionState, error) {
	st := sessionState{token: token, refreshToken: refreshToken}
	var err error
	if st.claims, err = parseToken(token); err != nil {
		return st, fmt.Errorf("nakama: session token: %w", err)
	}
	st.expiresAt = localExpiry(st.claims, received, fromServer)
	st.lifetime = lifetime(st.claims)
	if refreshToken != "" {
		if st.refreshClaims, err = parseToken(refreshToken); err != nil {
			return st, fmt.Errorf("nakama: refresh token: %w", err)
		}
		st.refreshExpiresAt = localExpiry(st.refreshClaims, received, fromServer)
	}
	return st, nil
}

// localExpiry turns a token's claims into a time on this device's clock.
func localExpiry(c claims, received time.Time, fromServer bool) time.Time {
	if fromServer && c.Iat > 0 && c.Exp >= c.Iat {
		return received.Add(lifetime(c))
	}
	return time.Unix(c.Exp, 0)
}

// lifetime is exp - iat, clamped to what a time.Duration holds, so a token
// issued for centuries reads as long-lived rather than overflowing into an
// expired one. Zero when the claims give no lifetime.
func lifetime(c claims) time.Duration {
	if c.Iat <= 0 || c.Exp < c.Iat {
		return 0
	}
	const maxSeconds = int64(math.MaxInt64 / time.Second)
	if d := c.Exp - c.Iat; d < maxSeconds {
		return time.Duration(d) * time.Second
	}
	return time.Duration(maxSeconds) * time.Second
}

// parseToken reads a JWT's claims without verifying its signature: only the
// server can, and the client needs just the user and the expiry.
func parseToken(token string) (claims, error) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("not a JWT: want three dot-separated parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, fmt.Errorf("bad JWT payload encoding: %w", err)
	}
	if err := decodeClaims(payload, &c); err != nil {
		return c, fmt.Errorf("bad JWT claims: %w", err)
	}
	if c.Exp == 0 {
		return c, errors.New("JWT has no exp claim")
	}
	return c, nil
}

func (s *Session) state() sessionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Token returns the session token, the bearer credential of every
// authenticated call. Store it with RefreshToken to restore the session later.
func (s *Session) Token() string { return s.state().token }

// RefreshToken returns the refresh token; empty when the server sent none.
func (s *Session) RefreshToken() string { return s.state().refreshToken }

// Created reports whether the authenticate call that made this session
// created the account.
func (s *Session) Created() bool { return s.state().created }

// UserID returns the user's id.
func (s *Session) UserID() string { return s.state().claims.UserID }

// Username returns the username the token was issued for.
func (s *Session) Username() string { return s.state().claims.Username }

// Vars returns a copy of the session variables set at authentication or
// refresh.
func (s *Session) Vars() map[string]string { return maps.Clone(s.state().claims.Vars) }

// ExpiresAt returns when the session token expires, on this device's clock.
func (s *Session) ExpiresAt() time.Time { return s.state().expiresAt }

// RefreshExpiresAt returns when the refresh token expires, on this device's
// clock; the zero time when there is no refresh token.
func (s *Session) RefreshExpiresAt() time.Time { return s.state().refreshExpiresAt }

// Expired reports whether the session token has expired.
func (s *Session) Expired() bool { return s.ExpiresWithin(0) }

// ExpiresWithin reports whether the session token expires within d from now.
func (s *Session) ExpiresWithin(d time.Duration) bool {
	return !now().Add(d).Before(s.ExpiresAt())
}

// refreshDue reports whether the token should be refreshed before a call:
// when the time left is below window and below half of the token's own
// lifetime. The second bound keeps a short-lived token (Nakama's default is
// 60 s) from being refreshed before every call under a window longer than
// its whole life; such a token is refreshed once it is half spent.
func (s *Session) refreshDue(window time.Duration) bool {
	st := s.state()
	if half := st.lifetime / 2; st.lifetime > 0 && half < window {
		window = half
	}
	return !now().Add(window).Before(st.expiresAt)
}

// RefreshExpired reports whether the refresh token has expired, or is absent.
func (s *Session) RefreshExpired() bool { return s.RefreshExpiresWithin(0) }

// RefreshExpiresWithin reports whether the refresh token expires within d
// from now; true when there is no refresh token.
func (s *Session) RefreshExpiresWithin(d time.Duration) bool {
	st := s.state()
	return st.refreshToken == "" || !now().Add(d).Before(st.refreshExpiresAt)
}

// String describes the session without its tokens, so that logging a session
// never leaks a credential.
func (s *Session) String() string {
	st := s.state()
	return fmt.Sprintf("Session{user %s (%s), expires %s}", st.claims.UserID, st.claims.Username,
		st.expiresAt.UTC().Format(time.RFC3339))
}

// update replaces the tokens with those of a refresh answer.
func (s *Session) update(a *api.Session) error {
	refresh := a.GetRefreshToken()
	if refresh == "" {
		// The server keeps the old refresh token valid when it sends none.
		refresh = s.RefreshToken()
	}
	st, err := newSessionState(a.GetToken(), refresh, now(), true)
	if err != nil {
		return err
	}
	s.mu.Lock()
	st.created = s.st.created
	if a.GetRefreshToken() == "" {
		st.refreshExpiresAt = s.st.refreshExpiresAt
	}
	s.st = st
	s.mu.Unlock()
	return nil
}

// refresh runs do once for all concurrent callers: the first caller sends the
// refresh request and the others wait for its outcome: a refresh answers with
// a new refresh token, and where the old one is revoked (a server hook, or a
// future server) a second, racing refresh would present a spent token; where
// it is not, the second request is merely wasted. A waiter whose context ends stops waiting; if
// the caller that sent the request gave up (its context ended), a waiter
// tries again itself rather than inherit a cancellation that was not its own.
// led reports whether this caller sent the request.
func (s *Session) refresh(ctx context.Context, do func(ctx context.Context) error) (led bool, err error) {
	for {
		s.mu.Lock()
		if f := s.refreshing; f != nil {
			s.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return false, ctx.Err()
			}
			if f.err != nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue
			}
			return false, f.err
		}
		f := &flight{done: make(chan struct{})}
		s.refreshing = f
		s.mu.Unlock()

		f.err = do(ctx)

		s.mu.Lock()
		s.refreshing = nil
		s.mu.Unlock()
		close(f.done)
		return true, f.err
	}
}

// GoString keeps %#v from printing the tokens.
func (s *Session) GoString() string { return s.String() }
