package conformance

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama"
)

// counting is an adapter that counts what it sends, per operation.
type counting struct {
	next nakama.ClientAdapter
	mu   sync.Mutex
	n    map[string]int
}

func (c *counting) Send(ctx context.Context, call *nakama.Call) error {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[call.Operation.Name]++
	c.mu.Unlock()
	return c.next.Send(ctx, call)
}

func (c *counting) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

func init() {
	register(
		// The client's refresh rule against the server's own token lifetime
		// (Nakama's default: 60 s): no refresh while the token is young, one
		// once it is half spent.
		Case{Name: "client/refresh-at-half-life", Run: func(t *testing.T, h *Harness) {
			cnt := &counting{next: h.rec}
			var refreshed atomic.Int32
			c := nakama.NewClientWithAdapter(cnt, &nakama.ClientOptions{OnSessionRefresh: func(*nakama.Session) { refreshed.Add(1) }})
			s, err := c.AuthenticateCustom(h.Ctx(t), h.Unique("custom"), nil)
			Must(t, err)
			received := time.Now()
			life := time.Until(s.ExpiresAt())
			if life > nakama.DefaultRefreshWindow {
				t.Skipf("the server's tokens live %v, longer than the refresh window: the half-life rule does not apply", life)
			}
			for range 100 {
				_, err := c.GetAccount(h.Ctx(t), s)
				Must(t, err)
			}
			if time.Since(received) < life/2 {
				if n := cnt.count("SessionRefresh"); n != 0 || refreshed.Load() != 0 {
					t.Errorf("100 calls within the first half of a %v token sent %d refreshes, want 0", life, n)
				}
			}
			if !h.Target.Real {
				// nakamatest's clock moves, the client's does not: the second
				// half is TestRefreshRuleDefaultToken's, with both clocks moved.
				return
			}
			time.Sleep(time.Until(received.Add(life/2 + time.Second)))
			for range 10 {
				_, err := c.GetAccount(h.Ctx(t), s)
				Must(t, err)
			}
			if n := cnt.count("SessionRefresh"); n != 1 || refreshed.Load() != 1 {
				t.Errorf("past the half-life: %d refreshes, want exactly 1", n)
			}
		}},

		// Path fields that would change the route fail before anything is
		// sent, the same whatever the server.
		Case{Name: "client/path-fields-checked-locally", Run: func(t *testing.T, h *Harness) {
			cnt := &counting{next: h.rec}
			c := nakama.NewClientWithAdapter(cnt, nil)
			s := h.NewUser(t)
			for _, id := range []string{"", ".", ".."} {
				_, err := c.ListGroupUsers(h.Ctx(t), s, id, nil)
				var se *nakama.Error
				if !errors.Is(err, nakama.ErrInvalidArgument) || errors.As(err, &se) {
					t.Errorf("ListGroupUsers(%q): %v, want a local ErrInvalidArgument", id, err)
				}
				err = c.JoinGroup(h.Ctx(t), s, id)
				if !errors.Is(err, nakama.ErrInvalidArgument) || errors.As(err, &se) {
					t.Errorf("JoinGroup(%q): %v, want a local ErrInvalidArgument", id, err)
				}
			}
			if n := cnt.count("ListGroupUsers") + cnt.count("JoinGroup"); n != 0 {
				t.Errorf("%d requests sent for local mistakes", n)
			}
		}},
	)
}
