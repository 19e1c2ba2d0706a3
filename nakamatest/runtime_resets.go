package nakamatest

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// maxResetsPerMove bounds the callbacks one pass fires per board, so a
// jump of years over a per-minute schedule stays quick.
const maxResetsPerMove = 1000

// resetState runs the modules' leaderboard reset, tournament reset and
// tournament end functions: as the server's clock passes a reset or end,
// whether a test moves the clock (SetTime, FastForward, which fire them
// before returning) or real time passes (the scheduler goroutine, running
// while the server is open and a module registered such a function). Each
// board remembers, in its resetMark, the second of its last fired event
// (or of its creation): everything up to it has fired.
type resetState struct {
	// mu serialises passes, so no reset fires twice; the functions run
	// with it held, which is why they must not move the clock.
	mu   sync.Mutex
	wake chan struct{} // a board or the clock changed: the scheduler looks again

	// running is guarded by Server.life.
	running bool
	stop    chan struct{}
	done    chan struct{}
}

// resetEvent is one function call a pass makes for a board.
type resetEvent struct {
	at  int64 // when the server fires it
	end bool  // a tournament's end of an active period, else a reset
}

// hasResetFuncs reports whether a module registered any function a reset
// or end runs.
func (m *moduleState) hasResetFuncs() bool {
	return m.leaderboardReset != nil || m.tournamentReset != nil || m.tournamentEnd != nil
}

// watches reports whether a registered function runs for b's events.
func (m *moduleState) watches(b *board) bool {
	if b.isTournament() {
		return m.tournamentReset != nil || m.tournamentEnd != nil
	}
	return m.leaderboardReset != nil
}

// boardEvents returns, in time order, the resets and ends of b in the
// seconds (from, to], at most limit of them, as the server's leaderboard
// scheduler finds them: it looks from each fired second for the next one,
// a leaderboard's next reset, or a tournament's end of its current active
// period and its expiry (the next reset, or its end time). So a tournament
// without a reset schedule also "resets" at its end time, and one whose
// active period ends before the next reset gets an end call per period.
func (b *board) boardEvents(from, to int64, limit int) []resetEvent {
	var out []resetEvent
	c := from
	for len(out) < limit {
		if !b.isTournament() {
			if b.reset == nil {
				return out
			}
			n := b.reset.next(time.Unix(c, 0)).Unix()
			if n <= c || n > to {
				return out
			}
			out = append(out, resetEvent{at: n})
			c = n
			continue
		}
		if b.endTime > 0 && b.endTime < c {
			return out // over for good
		}
		_, endActive, expiry := b.deadlines(time.Unix(c, 0))
		var w int64 // the next event's second; 0: none is left
		if endActive > c {
			w = endActive
		}
		if expiry > c && (w == 0 || expiry < w) {
			w = expiry
		}
		if w == 0 || w > to {
			return out
		}
		// As the server processes them: the end before the reset.
		if endActive == w {
			out = append(out, resetEvent{at: w, end: true})
		}
		if expiry == w {
			out = append(out, resetEvent{at: w})
		}
		c = w
	}
	return out
}

// passResets fires the functions for every reset and end between each
// board's mark and the server clock's now, board by board in id order, and
// moves each mark to the last event fired. A clock moved back moves the
// marks back, firing nothing. It returns once the functions have run.
func (s *Server) passResets() {
	m := &s.modules
	if !m.hasResetFuncs() {
		return
	}
	m.resets.mu.Lock()
	defer m.resets.mu.Unlock()
	now := s.clock.now().Unix()
	var calls []func()
	s.mu.Lock()
	ids := make([]string, 0, len(s.leaderboards.boards))
	for id := range s.leaderboards.boards {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, strings.Compare)
	for _, id := range ids {
		b := s.leaderboards.boards[id]
		if !m.watches(b) || now < b.resetMark {
			b.resetMark = now
			continue
		}
		events := b.boardEvents(b.resetMark, now, maxResetsPerMove)
		for _, e := range events {
			if c := m.resetCall(b, e, s.runReset); c != nil {
				calls = append(calls, c)
			}
		}
		switch {
		case len(events) == maxResetsPerMove:
			b.resetMark = now // the rest are dropped
		case len(events) > 0:
			// The server looks for the next event from the last it fired;
			// from a later second, the cron quirk (see cronSchedule.last)
			// could hide a tournament's next end.
			b.resetMark = events[len(events)-1].at
		}
	}
	s.mu.Unlock()
	for _, c := range calls {
		c()
	}
}

// resetCall returns the call of event e of board b, nil when no function
// is registered for it. The board is passed as it was one second before,
// as the server reads it: a leaderboard's next reset is the one firing, a
// tournament's active end and next reset those of the period ending. Server.mu
// is held.
func (m *moduleState) resetCall(b *board, e resetEvent, run func(mode string, fn func(context.Context) error)) func() {
	before := time.Unix(e.at-1, 0)
	switch {
	case !b.isTournament() && m.leaderboardReset != nil:
		info := apiLeaderboard(b, before)
		return func() {
			run("leaderboard_reset", func(ctx context.Context) error { return m.leaderboardReset(ctx, info, e.at) })
		}
	case b.isTournament() && e.end && m.tournamentEnd != nil:
		return tournamentCall(run, "tournament_end", m.tournamentEnd, b.apiTournament(before))
	case b.isTournament() && !e.end && m.tournamentReset != nil:
		return tournamentCall(run, "tournament_reset", m.tournamentReset, b.apiTournament(before))
	}
	return nil
}

func tournamentCall(run func(string, func(context.Context) error), mode string, fn func(context.Context, *api.Tournament, int64, int64) error, info *api.Tournament) func() {
	return func() {
		run(mode, func(ctx context.Context) error { return fn(ctx, info, int64(info.EndActive), int64(info.NextReset)) })
	}
}

func (s *Server) runReset(mode string, fn func(ctx context.Context) error) {
	var err error
	func() {
		defer s.recovered(mode+" function", &err)
		err = fn(s.runtimeContext(context.Background(), mode, runtimeCaller{}))
	}()
	if err != nil {
		s.modules.log.Error("%s function failed: %v", mode, err)
	}
}

// wakeResets tells the scheduler that a board or the clock changed. It
// never blocks, and does nothing when no scheduler runs.
func (s *Server) wakeResets() {
	select {
	case s.modules.resets.wake <- struct{}{}:
	default:
	}
}

// startResets starts the scheduler when a module registered a reset or
// end function and it is not running; s.life is held.
func (s *Server) startResets() {
	r := &s.modules.resets
	if r.running || !s.modules.hasResetFuncs() {
		return
	}
	r.running = true
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go s.scheduleResets(r.stop, r.done)
}

// stopResets stops the scheduler and waits for it; s.life is held.
func (s *Server) stopResets() {
	r := &s.modules.resets
	if !r.running {
		return
	}
	r.running = false
	close(r.stop)
	<-r.done
}

// scheduleResets sleeps until the next reset or end of any board, then
// fires what is due, as the server's scheduler does in real time. While
// the clock stands still (SetTime) it only waits to be woken.
func (s *Server) scheduleResets(stop, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(time.Hour)
	for {
		timer.Stop()
		var fire <-chan time.Time
		if s.clock.isFixed() {
			// Only a move of the clock fires anything: wait for it.
		} else if next, ok := s.nextReset(); ok {
			timer.Reset(time.Unix(next, 0).Sub(s.clock.now()))
			fire = timer.C
		}
		select {
		case <-stop:
			timer.Stop()
			return
		case <-s.modules.resets.wake:
		case <-fire:
			s.passResets()
		}
	}
}

// nextReset returns the second of the earliest reset or end still to fire.
func (s *Server) nextReset() (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, ok := int64(math.MaxInt64), false
	for _, b := range s.leaderboards.boards {
		if !s.modules.watches(b) {
			continue
		}
		if e := b.boardEvents(b.resetMark, math.MaxInt64, 1); len(e) == 1 && e[0].at < next {
			next, ok = e[0].at, true
		}
	}
	return next, ok
}
