//go:build !js

package nakama_test

// Fault tests that failed before the fixes of issues #7 (a token lifetime
// past time.Duration's range) and #8 (the drop report, the default socket
// request timeout).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/internal/faulty"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

// TestSessionLifetimeBeyondDuration: a token whose lifetime (exp - iat)
// is longer than a time.Duration holds (about 292 years) must not look
// expired. Today NewSession multiplies the lifetime into a Duration, which
// overflows: a token for 317 years is Expired at once, expiring in 1759.
// Found while writing FuzzSessionTokens's expiry property, which leaves
// such lifetimes to this test.
func TestSessionLifetimeBeyondDuration(t *testing.T) {
	for _, exp := range []int64{10_000_000_000, 20_000_000_000, math.MaxInt64} {
		tok := fuzzToken([]byte(fmt.Sprintf(`{"exp":%d,"iat":1}`, exp)))
		s, err := nakama.NewSession(&api.Session{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		if s.Expired() || s.ExpiresAt().Before(time.Now().AddDate(290, 0, 0)) {
			t.Errorf("token with exp %d, iat 1: expires at %v, expired %v", exp, s.ExpiresAt(), s.Expired())
		}
	}
}

// TestFaultSlowConsumerDropReport: the count of the events dropped while
// the application did not Tick reaches it at the next Tick, even when no
// new event arrives (#8.2). Today the report is queued only when a later
// event finds room, so after a flood and silence it never comes.
func TestFaultSlowConsumerDropReport(t *testing.T) {
	faultFormats(t, func(t *testing.T, format nakama.SocketFormat) {
		r := newFaultRig(t, nil)
		s := faultUser(t, r.client)
		const queue = 8
		var got, dropped int
		sock := faultTickSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Format: format, EventQueueSize: queue},
			countEvents(t, &got, &dropped))
		const sent = 40
		for i := range sent {
			if err := r.srv.SendNotification(nakamatest.Notification{UserID: s.UserID(), Subject: "flood", Code: 1 + i}); err != nil {
				t.Fatal(err)
			}
		}
		if err := sock.Ping(faultCtx(t)); err != nil {
			t.Fatal(err)
		}
		sock.Tick()
		sock.Tick() // no event arrived in between
		if got+dropped != sent {
			t.Errorf("handled %d + reported dropped %d != %d sent, with no event after the flood", got, dropped, sent)
		}
	})
}

// TestFaultStalledSocketRequestDefaultTimeout: a socket request made with a
// context that never ends, on a link that is alive but never answers,
// fails with a timeout by the socket's default request timeout (#8.3)
// rather than wait until Close. The heartbeat is given a longer bound than
// this test waits, so it is the request timeout that must end the wait;
// it must end it before the server gives up on the link (about 40 s: its
// WebSocket pings go unanswered).
func TestFaultStalledSocketRequestDefaultTimeout(t *testing.T) {
	r := newFaultRig(t, nil)
	s := faultUser(t, r.client)
	keep := nakama.KeepaliveConfig{Interval: time.Hour, Timeout: time.Hour}
	sock, _ := faultSocket(t, r.proxy.URL(), s, &nakama.SocketOptions{Keepalive: keep})
	r.proxy.Blackhole(faulty.Down)
	errc := make(chan error, 1)
	t0 := time.Now()
	go func() { errc <- sock.Ping(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	select {
	case err := <-errc:
		t.Logf("request ended after %v: %v", time.Since(t0), err)
		// Today it ends after about 40 s, when the server, whose pings the
		// blackhole swallows, drops the connection: a 1006 close, not a
		// timeout. A default request timeout must come before that.
		if !nakama.Timeout(err) || errors.Is(err, nakama.ErrSocketClosed) {
			t.Errorf("error %v, want the request's timeout", err)
		}
	case <-ctx.Done():
		_ = sock.Close()
		<-errc
		t.Fatal("a request without a deadline waited two minutes for an answer that never comes")
	}
}
