package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Scenario is what a run does: how many players, how fast they arrive, what
// each does, and what ends the run. Its zero fields take the defaults each
// comment gives; Workload and one of Duration or Messages are required.
type Scenario struct {
	// Name labels the report; default the workload's type.
	Name string
	// Players is how many players run at once. Start may begin with 0 and
	// raise it with Runner.SetPlayers.
	Players int
	// SpawnRate is how many players start per second while the count rises
	// (each authenticates, connects its socket, then plays). Default
	// DefaultSpawnRate; negative starts them all at once.
	SpawnRate float64
	// Duration ends the run this long after it started, ramp-up included.
	Duration time.Duration
	// Messages ends the run once the players have sent this many messages
	// in all (socket messages and REST requests, auth and connect
	// excluded): no player sends more, and the run ends when every player
	// has seen so, letting requests in flight finish (for at most 2 s).
	Messages int64
	// Seed names the accounts: player i signs in with a device id made of
	// Seed and i, so reruns with the same seed reuse the same accounts, and
	// names the matches, rooms and matchmaker properties the players share.
	// At most 64 bytes; default "default".
	Seed string
	// Workload is what every player does once connected.
	Workload Workload
}

// DefaultSpawnRate is the players started per second when
// Scenario.SpawnRate is 0.
const DefaultSpawnRate = 200

// Workload is what a player does once it has signed in and connected its
// socket. Play runs until ctx ends, which happens when the run ends, when
// the player is no longer wanted (SetPlayers lowered the count) or when its
// socket disconnects; it returns nil then. A Play that returns an error is
// counted as an error of op "play", and the player starts again, with a new
// session and socket, after a pause.
//
// Play runs on the player's own goroutine; socket handlers it sets run on
// the socket's dispatcher goroutine (the runner connects sockets with
// AutoDispatch). One Workload value serves every player, so Play must not
// change it.
type Workload interface {
	Play(ctx context.Context, p *Player) error
}

// ThinkTime is a pause between a player's actions, drawn uniformly between
// Min and Max (exactly Min when Max is not above it).
type ThinkTime struct {
	Min, Max time.Duration
}

func (t ThinkTime) draw(r *rand.Rand) time.Duration {
	if t.Max <= t.Min {
		return t.Min
	}
	return t.Min + time.Duration(r.Int64N(int64(t.Max-t.Min)))
}

func (t ThinkTime) orDefault(d ThinkTime) ThinkTime {
	if t.Min <= 0 && t.Max <= 0 {
		return d
	}
	return t
}

// Validate reports the first problem with sc, its workload's settings
// included, except a missing bound: Run requires one, Start does not.
func (sc *Scenario) Validate() error { return sc.validate(false) }

// validate reports the first problem with sc; bounded says whether a bound
// (Duration or Messages) is required.
func (sc *Scenario) validate(bounded bool) error {
	switch {
	case sc.Workload == nil:
		return errors.New("load: the scenario has no workload")
	case sc.Players < 0:
		return fmt.Errorf("load: %d players", sc.Players)
	case sc.Duration < 0:
		return fmt.Errorf("load: negative duration %v", sc.Duration)
	case sc.Messages < 0:
		return fmt.Errorf("load: negative message count %d", sc.Messages)
	case bounded && sc.Duration == 0 && sc.Messages == 0:
		return errors.New("load: the run needs a bound: a duration, a message count or both")
	case len(sc.Seed) > 64:
		return fmt.Errorf("load: seed of %d bytes, more than 64", len(sc.Seed))
	}
	if v, ok := sc.Workload.(interface{ validate() error }); ok {
		return v.validate()
	}
	return nil
}

func (sc Scenario) withDefaults() Scenario {
	if sc.SpawnRate == 0 {
		sc.SpawnRate = DefaultSpawnRate
	}
	if sc.Seed == "" {
		sc.Seed = "default"
	}
	if sc.Name == "" {
		sc.Name = workloadName(sc.Workload)
	}
	return sc
}

func workloadName(w Workload) string {
	if n, ok := w.(interface{ name() string }); ok {
		return n.name()
	}
	return fmt.Sprintf("%T", w)
}
