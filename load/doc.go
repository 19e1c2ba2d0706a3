// Package load simulates many Nakama players in one process, to load-test a
// server and its modules before launch.
//
// A Scenario is a plain Go value: how many players, how fast they arrive,
// what bounds the run (a duration, a message count, or both) and the
// Workload each player runs once it has authenticated and connected its
// socket. The package ships workloads for the common shapes of game
// traffic — Relay (relayed matches of K players exchanging match data at
// R messages per second each), Chat (chat rooms), RPC (a mix of socket and
// REST RPCs), Leaderboard (score writes and reads), Matchmaking (waves of
// players through the matchmaker) — and Mix to combine them; any type
// with a Play method is a Workload too.
//
//	report, err := load.Run(ctx, "http://127.0.0.1:7350", "defaultkey", &load.Scenario{
//		Players:   1000,
//		SpawnRate: 200,
//		Duration:  time.Minute,
//		Workload:  &load.Relay{Size: 4, Rate: 10},
//	}, nil)
//
// Start returns a *Runner instead, whose player count can change while it
// runs (SetPlayers), as a Locust master asks of its workers (see the
// locust subpackage).
//
// Every latency goes into an HdrHistogram per operation ("auth",
// "connect", "match.data", "rpc.socket", ...), so the Report's percentiles
// are exact to three significant digits. Relay and chat latencies are
// one-way, from the sender's clock to the receiver's: both are players of
// the same process, so the clocks agree.
//
// Device ids derive from Scenario.Seed and the player's index, so a rerun
// with the same seed signs in to the same accounts instead of creating new
// ones.
package load
