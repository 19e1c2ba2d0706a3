package nakamatest

import (
	"sync"
	"time"
)

// clock is the server's notion of now. Everything that ages (session and
// refresh tokens, leaderboard and tournament resets) reads it, so a test can move
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

// isFixed reports whether the clock stands still.
func (c *clock) isFixed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.fixed.IsZero()
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
// timestamps all follow it. Modules' leaderboard reset, tournament reset
// and tournament end functions run for the resets and ends the move passes
// before SetTime returns; while the clock stands still, none fire on their
// own. They must not move the clock themselves.
func (s *Server) SetTime(t time.Time) {
	s.clock.set(t)
	s.clockMoved()
}

// FastForward moves the server's clock forward by d (backward if d is
// negative), whether it is the real clock or one stopped by SetTime. It is
// how a test expires a session token without sleeping. Modules' reset and
// end functions run for what the move passes before FastForward returns;
// on a running clock they also fire on their own as time passes, as on a
// real server.
func (s *Server) FastForward(d time.Duration) {
	s.clock.advance(d)
	s.clockMoved()
}

// clockMoved fires what the move passed and has the scheduler look again.
func (s *Server) clockMoved() {
	s.passResets()
	s.wakeResets()
}
