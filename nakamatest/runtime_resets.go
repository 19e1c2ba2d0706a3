package nakamatest

import (
	"context"
	"slices"
	"strings"
	"time"
)

// maxResetsPerMove bounds the callbacks one clock move fires per board, so
// a jump of years over a per-minute schedule stays quick.
const maxResetsPerMove = 1000

// fireResets runs the modules' leaderboard reset, tournament reset and
// tournament end functions for every reset and end the server clock
// passed moving from from to to, in time order per board, boards by id.
// SetTime and FastForward call it after moving the clock, on their own
// goroutine, so a test sees the callbacks' effects when they return.
func (s *Server) fireResets(from, to time.Time) {
	m := &s.modules
	if (m.leaderboardReset == nil && m.tournamentReset == nil && m.tournamentEnd == nil) || !to.After(from) {
		return
	}
	var calls []func()
	s.mu.Lock()
	ids := make([]string, 0, len(s.leaderboards.boards))
	for id := range s.leaderboards.boards {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, strings.Compare)
	for _, id := range ids {
		b := s.leaderboards.boards[id]
		if b.reset != nil {
			t := from
			for range maxResetsPerMove {
				t = b.reset.next(t)
				if t.After(to) || (b.isTournament() && b.endTime > 0 && t.Unix() > b.endTime) {
					break
				}
				reset := t.Unix()
				if b.isTournament() && m.tournamentReset != nil {
					// As the server: the tournament as of the reset, with its
					// active end and next reset.
					info := b.apiTournament(t)
					calls = append(calls, func() {
						s.runReset("tournament_reset", func(ctx context.Context) error {
							return m.tournamentReset(ctx, info, int64(info.EndActive), int64(info.NextReset))
						})
					})
				} else if !b.isTournament() && m.leaderboardReset != nil {
					info := apiLeaderboard(b, t)
					calls = append(calls, func() {
						s.runReset("leaderboard_reset", func(ctx context.Context) error { return m.leaderboardReset(ctx, info, reset) })
					})
				}
			}
		}
		if b.isTournament() && m.tournamentEnd != nil && b.endTime > from.Unix() && b.endTime <= to.Unix() {
			info := b.apiTournament(time.Unix(b.endTime, 0))
			calls = append(calls, func() {
				s.runReset("tournament_end", func(ctx context.Context) error {
					return m.tournamentEnd(ctx, info, int64(info.EndActive), int64(info.NextReset))
				})
			})
		}
	}
	s.mu.Unlock()
	for _, c := range calls {
		c()
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
