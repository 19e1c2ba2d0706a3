package load_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama/load"
	"github.com/gonakama/nakama/nakamatest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func op(rep *load.Report, name string) load.OpReport {
	for _, o := range rep.Ops {
		if o.Op == name {
			return o
		}
	}
	return load.OpReport{Op: name}
}

// TestRelayMessageBound runs relayed matches until a message budget, and
// checks that the run stopped at exactly that many messages sent, that
// every delivery was measured and that no delivery was invented.
func TestRelayMessageBound(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	const players, size, budget = 8, 4, 400
	rep, err := load.Run(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: players, SpawnRate: -1, Messages: budget, Seed: t.Name(),
		Workload: &load.Relay{Size: size, Rate: 50},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != budget {
		t.Errorf("sent %d, want the budget %d", rep.Sent, budget)
	}
	if rep.PeakConnected != players {
		t.Errorf("peak connected %d, want %d", rep.PeakConnected, players)
	}
	data := op(rep, load.OpMatchData)
	if data.Count != rep.Received || rep.Received == 0 {
		t.Errorf("match.data count %d, received %d: want equal and above 0", data.Count, rep.Received)
	}
	// A message reaches at most the size-1 other players of its match.
	if rep.Received > (size-1)*budget {
		t.Errorf("received %d, more than %d = (size-1) x sent", rep.Received, (size-1)*budget)
	}
	if data.P50 <= 0 || data.P50 > data.P99 || data.P99 > data.Max {
		t.Errorf("match.data percentiles out of order: %+v", data)
	}
	for _, o := range []string{load.OpAuth, load.OpConnect, load.OpMatchCreate} {
		if got := op(rep, o).Count; got != players {
			t.Errorf("%s count %d, want one per player (%d)", o, got, players)
		}
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
	if n := len(srv.Users()); n != players {
		t.Errorf("server has %d users, want %d", n, players)
	}

	// The same seed signs in to the same accounts.
	if _, err := load.Run(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: players, SpawnRate: -1, Messages: 10, Seed: t.Name(), Workload: &load.Relay{Size: size},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Users()); n != players {
		t.Errorf("after a rerun with the same seed the server has %d users, want still %d", n, players)
	}
}

// watch returns options that send the run's progress to ch, often; a full
// ch skips a report.
func watch(ch chan<- load.Progress) *load.Options {
	return &load.Options{ProgressInterval: 5 * time.Millisecond, OnProgress: func(p load.Progress) {
		select {
		case ch <- p:
		default:
		}
	}}
}

// TestSetPlayers lowers and raises a running Start's player count.
func TestSetPlayers(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	progress := make(chan load.Progress, 1024)
	r, err := load.Start(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: 6, SpawnRate: -1, Seed: t.Name(),
		Workload: &load.Chat{RoomSize: 3, Think: load.ThinkTime{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond}},
	}, watch(progress))
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(connected int) {
		t.Helper()
		for p := range progress {
			if p.Connected == connected && p.Received > 0 {
				return
			}
		}
	}
	waitFor(6)
	r.SetPlayers(2)
	waitFor(2)
	r.SetPlayers(4)
	waitFor(4)
	r.Stop()
	rep := r.Wait()
	if rep.Players != 4 || rep.PeakConnected != 6 {
		t.Errorf("players %d, peak %d: want 4 and 6", rep.Players, rep.PeakConnected)
	}
	if op(rep, load.OpChatDelivery).Count == 0 || op(rep, load.OpChatWrite).Count == 0 {
		t.Errorf("no chat measured: %+v", rep.Ops)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
}

// TestReconnect drops every connection and checks that each player counts
// one disconnect, nothing else, and connects again.
func TestReconnect(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	const players = 4
	// connects receives the number of each successful connection.
	connects := make(chan int, 2*players)
	var n atomic.Int64
	opts := &load.Options{Observe: func(s load.Sample) {
		if s.Op == load.OpConnect && s.Err == nil {
			connects <- int(n.Add(1))
		}
	}}
	r, err := load.Start(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: players, SpawnRate: -1, Seed: t.Name(), Workload: &load.Relay{Size: 2, Rate: 100},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for <-connects < players {
	}
	srv.CloseClientConnections()
	for <-connects < 2*players {
	}
	r.Stop()
	rep := r.Wait()
	if len(rep.Errors) != 1 || rep.Errors[0].Op != load.OpDisconnect || rep.Errors[0].Count != players {
		t.Errorf("errors %+v: want %d disconnects and nothing else", rep.Errors, players)
	}
	if n := op(rep, load.OpConnect).Count; n != 2*players {
		t.Errorf("%d connects, want %d", n, 2*players)
	}
	if n := op(rep, load.OpAuth).Count; n != players {
		t.Errorf("%d sign-ins, want %d: the sessions were still good", n, players)
	}
}

// TestErrorsByCode calls a function the server lacks and a leaderboard it
// has, and checks failures are counted by code while successes are timed.
func TestErrorsByCode(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	if err := srv.CreateLeaderboard(nakamatest.Leaderboard{ID: "scores"}); err != nil {
		t.Fatal(err)
	}
	think := load.ThinkTime{Min: time.Millisecond}
	rep, err := load.Run(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: 4, SpawnRate: -1, Messages: 60, Seed: t.Name(),
		Workload: load.Mix{
			{Weight: 1, Workload: &load.RPC{ID: "missing", REST: 0.5, Think: think}},
			{Weight: 1, Workload: &load.Leaderboard{ID: "scores", Think: think}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rpcErrors int64
	for _, e := range rep.Errors {
		if !strings.HasPrefix(e.Op, "rpc.") || e.Code != "NotFound" || e.Example == "" {
			t.Errorf("unexpected error count %+v", e)
		}
		rpcErrors += e.Count
	}
	lb := op(rep, load.OpLeaderboardWrite).Count + op(rep, load.OpLeaderboardList).Count
	if rpcErrors == 0 || lb == 0 || rpcErrors+lb != rep.Sent {
		t.Errorf("%d rpc errors + %d leaderboard calls, %d sent: want both above 0, adding up", rpcErrors, lb, rep.Sent)
	}
	if o := op(rep, load.OpRPCSocket); o.Count != 0 {
		t.Errorf("failed RPCs were timed: %+v", o)
	}
}

// TestMatchmakingWaves sends players through the matchmaker twice.
func TestMatchmakingWaves(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	srv.SetMatchmakerInterval(10 * time.Millisecond)
	rep, err := load.Run(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: 4, SpawnRate: -1, Messages: 4 * 3 * 2, Seed: t.Name(),
		Workload: &load.Matchmaking{Size: 2, Interval: 50 * time.Millisecond},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := op(rep, load.OpMatchmakerMatched).Count; got < 4 {
		t.Errorf("%d matches, want at least one wave of 4: %+v", got, rep.Ops)
	}
	if got := op(rep, load.OpMatchJoin).Count; got < 4 {
		t.Errorf("%d joins, want at least 4", got)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
}

func TestBadScenarios(t *testing.T) {
	relay := &load.Relay{}
	for name, sc := range map[string]*load.Scenario{
		"nil":              nil,
		"no workload":      {Players: 1, Duration: time.Second},
		"no bound":         {Players: 1, Workload: relay},
		"negative players": {Players: -1, Duration: time.Second, Workload: relay},
		"long seed":        {Players: 1, Duration: time.Second, Workload: relay, Seed: strings.Repeat("x", 65)},
		"tiny payload":     {Players: 1, Duration: time.Second, Workload: &load.Relay{PayloadSize: 4}},
		"empty mix":        {Players: 1, Duration: time.Second, Workload: load.Mix{}},
		"rpc without id":   {Players: 1, Duration: time.Second, Workload: load.Mix{{Weight: 1, Workload: &load.RPC{}}}},
		"zero weight":      {Players: 1, Duration: time.Second, Workload: load.Mix{{Workload: relay}}},
		"rest fraction":    {Players: 1, Duration: time.Second, Workload: &load.RPC{ID: "x", REST: 2}},
		"no leaderboard":   {Players: 1, Duration: time.Second, Workload: &load.Leaderboard{}},
	} {
		if _, err := load.Run(context.Background(), "http://127.0.0.1:1", "k", sc, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := load.Run(context.Background(), "ftp://x", "k", &load.Scenario{Duration: time.Second, Workload: relay}, nil); err == nil {
		t.Error("bad URL: no error")
	}
}
