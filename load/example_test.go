package load_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gonakama/nakama/load"
	"github.com/gonakama/nakama/nakamatest"
)

// Four players in one relayed match send match data at 20 messages per
// second each until 80 messages are out.
func ExampleRun() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	rep, err := load.Run(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players:   4,
		SpawnRate: -1, // all at once
		Messages:  80,
		Workload:  &load.Relay{Size: 4, Rate: 20},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sent", rep.Sent, "connected", rep.PeakConnected)
	for _, o := range rep.Ops {
		if o.Op == load.OpMatchData {
			fmt.Println("deliveries measured:", o.Count == rep.Received && o.Count > 0)
		}
	}
	// Output:
	// sent 80 connected 4
	// deliveries measured: true
}

// A workload of your own: each player writes a score, then reads the
// board, every half second.
type scoreKeeper struct{ board string }

func (w scoreKeeper) Play(ctx context.Context, p *load.Player) error {
	for p.Think(ctx, load.ThinkTime{Min: 500 * time.Millisecond}) == nil && p.Sent(2) {
		start := time.Now()
		_, err := p.Client.WriteLeaderboardRecord(ctx, p.Session, w.board, int64(p.Index), nil)
		p.Record(ctx, "score.write", start, err)
		start = time.Now()
		_, err = p.Client.ListLeaderboardRecords(ctx, p.Session, w.board, nil)
		p.Record(ctx, "score.list", start, err)
	}
	return nil
}

func ExampleWorkload() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := srv.CreateLeaderboard(nakamatest.Leaderboard{ID: "weekly"}); err != nil {
		log.Fatal(err)
	}
	rep, err := load.Run(context.Background(), srv.URL(), "defaultkey", &load.Scenario{
		Players: 2, Messages: 4, Workload: scoreKeeper{board: "weekly"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range rep.Ops {
		fmt.Println(o.Op, o.Count, o.Errors)
	}
	// Output:
	// auth 2 0
	// connect 2 0
	// score.list 2 0
	// score.write 2 0
}
