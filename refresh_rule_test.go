//go:build !js

package nakama

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

// With the server's default 60 s token and the default 5 min window, a
// refresh comes once the token is half spent, not before every call: 100
// calls within 20 s send none; past the half-life, one call refreshes and
// the next ones do not.
func TestRefreshRuleDefaultToken(t *testing.T) {
	start := time.Now()
	clock := bhFakeNow(t, start)
	srv := nakamatest.RunT(t, nil) // Nakama's defaults: 60 s tokens
	srv.SetTime(start)
	advance := func(d time.Duration) { clock.Advance(d); srv.FastForward(d) }

	a, err := NewRESTAdapter(srv.URL(), DefaultServerKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.CloseIdleConnections)
	cnt := &bhCounting{inner: a}
	var refreshed atomic.Int32
	c := NewClientWithAdapter(cnt, &ClientOptions{OnSessionRefresh: func(*Session) { refreshed.Add(1) }})
	ctx := bhCtx(t)
	s, err := c.AuthenticateDevice(ctx, "refresh-rule-device-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.ExpiresAt().Sub(clock.Now()); got != 60*time.Second {
		t.Fatalf("token lifetime %v, want the server's default 60s", got)
	}

	for i := range 100 {
		if _, err := c.GetAccount(ctx, s); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		advance(200 * time.Millisecond) // 100 calls over 20 s
	}
	if n := cnt.count("SessionRefresh"); n != 0 || refreshed.Load() != 0 {
		t.Fatalf("100 calls within 20 s of a 60 s token sent %d refreshes, want 0", n)
	}

	advance(10*time.Second + time.Millisecond) // 30 s after receipt: half spent
	for i := range 20 {
		if _, err := c.GetAccount(ctx, s); err != nil {
			t.Fatalf("call %d past the half-life: %v", i, err)
		}
		advance(100 * time.Millisecond)
	}
	if n := cnt.count("SessionRefresh"); n != 1 || refreshed.Load() != 1 {
		t.Errorf("past the half-life: %d refreshes, want exactly 1", n)
	}
	if got := s.ExpiresAt().Sub(clock.Now()); got < 55*time.Second {
		t.Errorf("after the refresh the token has %v left, want a new 60 s token", got)
	}
}

// A long-lived token is refreshed by the window, not by its half-life.
func TestRefreshRuleLongToken(t *testing.T) {
	start := time.Now()
	clock := bhFakeNow(t, start)
	b := bhNewBackend(t)
	c := NewClientWithAdapter(b, nil)
	s := b.newSession(t, 2*time.Hour, 24*time.Hour)
	clock.Advance(2*time.Hour - DefaultRefreshWindow - time.Second) // 5 min and 1 s left
	if _, err := c.GetAccount(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if n := b.count("SessionRefresh"); n != 0 {
		t.Fatalf("a 2 h token with more than the window left was refreshed")
	}
	clock.Advance(2 * time.Second)
	if _, err := c.GetAccount(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if n := b.count("SessionRefresh"); n != 1 {
		t.Errorf("a 2 h token inside the window: %d refreshes, want 1", n)
	}
}

// A token whose lifetime does not fit a time.Duration is long-lived, not
// expired at once.
func TestSessionHugeLifetime(t *testing.T) {
	now := time.Now().Unix()
	tok := bhJWT(bhClaims{UserID: "u", Iat: now, Exp: now + 400*365*24*3600})
	s, err := NewSession(&api.Session{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	if s.Expired() || s.ExpiresWithin(100*365*24*time.Hour) {
		t.Errorf("a 400-year token reads as expiring: expires %v", s.ExpiresAt())
	}
	if s.refreshDue(DefaultRefreshWindow) {
		t.Errorf("a 400-year token is due for refresh")
	}
}
