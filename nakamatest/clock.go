package nakamatest

import (
	"sync"
	"time"
)

// clock is the server's notion of now. Everything that ages (session and
// refresh tokens, and later leaderboard resets) reads it, so a test can move
// time instead of sleeping. It has its own lock so that reading the time
// never waits on the store.
type clock struct {
	mu     sync.Mutex
	fixed  time.Time     // when non-zero, the time stands still here
	offset time.Duration // added to the real clock when not fixed
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		return c.fixed
	}
	return time.Now().Add(c.offset)
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed = t
	c.offset = 0
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		c.fixed = c.fixed.Add(d)
		return
	}
	c.offset += d
}

// Now returns the server's current time: the real clock, moved by any
// FastForward, or the time given to SetTime.
func (s *Server) Now() time.Time { return s.clock.now() }

// SetTime stops the server's clock at t: until the next SetTime, the server
// believes it is t, plus whatever FastForward adds. SetTime(time.Time{})
// returns to the real clock. Token expiry, issue times and account
// timestamps all follow it.
// Reset and end functions of modules run for the resets the move passes.
func (s *Server) SetTime(t time.Time) {
	from := s.clock.now()
	s.clock.set(t)
	s.fireResets(from, s.clock.now())
}

// FastForward moves the server's clock forward by d (backward if d is
// negative), whether it is the real clock or one stopped by SetTime. It is
// how a test expires a session token without sleeping.
// Reset and end functions of modules run for the resets the move passes,
// before FastForward returns.
func (s *Server) FastForward(d time.Duration) {
	from := s.clock.now()
	s.clock.advance(d)
	s.fireResets(from, s.clock.now())
}
