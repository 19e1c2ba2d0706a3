package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

// The server-side pieces the demo uses. nakamatest gets them natively; a
// real server needs them from its runtime (the conformance Lua module under
// testdata/modules provides conformance_echo), and the demo says so and
// skips the step when they are missing.
const (
	demoLeaderboard = "demo_weekly"
	demoRPC         = "conformance_echo"
)

// demo plays a short scripted session of two players, printing each step.
func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	serverURL := fs.String("url", "", "server to play against (default: nakamatest, started in this process)")
	serverKey := fs.String("server-key", nakama.DefaultServerKey, "server key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := &printer{w: stdout}
	if *serverURL == "" {
		srv, err := nakamatest.Run(&nakamatest.Options{ServerKey: *serverKey})
		if err != nil {
			return err
		}
		defer srv.Close()
		if err := setUpEmbedded(srv); err != nil {
			return err
		}
		*serverURL = srv.URL()
		p.say("server", "started nakamatest, the in-memory Nakama server, at %s", *serverURL)
	} else {
		p.say("server", "using the Nakama server at %s", *serverURL)
	}
	client, err := nakama.NewClient(*serverURL, *serverKey, nil)
	if err != nil {
		return err
	}
	if err := client.Healthcheck(ctx); err != nil {
		return fmt.Errorf("server not reachable: %w", err)
	}
	return play(ctx, client, *serverURL, p)
}

// setUpEmbedded gives nakamatest what a game's server modules would.
func setUpEmbedded(srv *nakamatest.Server) error {
	if err := srv.CreateLeaderboard(nakamatest.Leaderboard{ID: demoLeaderboard, SortOrder: "desc", Operator: "best", EnableRanks: true}); err != nil {
		return err
	}
	// A real server runs its matchmaker every 15 seconds; a demo need not
	// wait that long.
	srv.SetMatchmakerInterval(200 * time.Millisecond)
	srv.RegisterRPC(demoRPC, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
		return in.Payload, nil
	})
	return nil
}

type printer struct{ w io.Writer }

func (p *printer) say(who, format string, args ...any) {
	fmt.Fprintf(p.w, "%-7s %s\n", who, fmt.Sprintf(format, args...))
}

func play(ctx context.Context, c nakama.Client, serverURL string, p *printer) error {
	run := randomSuffix()

	// Accounts.
	alice, err := c.AuthenticateDevice(ctx, "demo-device-alice-"+run, &nakama.AuthenticateOptions{Username: "alice-" + run})
	if err != nil {
		return err
	}
	p.say("alice", "authenticated with a device id: user %s, username %q, new account %v", alice.UserID(), alice.Username(), alice.Created())
	bob, err := c.AuthenticateEmail(ctx, "bob-"+run+"@example.com", "bob's password", &nakama.AuthenticateOptions{Username: "bob-" + run})
	if err != nil {
		return err
	}
	p.say("bob", "authenticated with an email: user %s, username %q, token valid until %s", bob.UserID(), bob.Username(), bob.ExpiresAt().Format("15:04:05"))
	if err := c.UpdateAccount(ctx, alice, &nakama.UpdateAccountOptions{DisplayName: nakama.Ptr("Alice"), Location: nakama.Ptr("Lisbon")}); err != nil {
		return err
	}
	acct, err := c.GetAccount(ctx, alice)
	if err != nil {
		return err
	}
	p.say("alice", "updated her account: display name %q, location %q, wallet %s", acct.GetUser().GetDisplayName(), acct.GetUser().GetLocation(), acct.GetWallet())

	// Storage, with optimistic concurrency.
	acks, err := c.WriteStorageObjects(ctx, alice, nakama.StorageObjectWrite{Collection: "saves", Key: "slot1",
		Value: `{"level": 3, "hp": 72}`, PermissionRead: nakama.Ptr[int32](2)})
	if err != nil {
		return err
	}
	version := acks.GetAcks()[0].GetVersion()
	p.say("alice", "saved her game to storage (public read), version %s", version)
	objs, err := c.ReadStorageObjects(ctx, bob, nakama.StorageObjectID{Collection: "saves", Key: "slot1", UserID: alice.UserID()})
	if err != nil {
		return err
	}
	if len(objs.GetObjects()) == 1 {
		p.say("bob", "read alice's public save: %s", objs.GetObjects()[0].GetValue())
	}
	_, err = c.WriteStorageObjects(ctx, alice, nakama.StorageObjectWrite{Collection: "saves", Key: "slot1", Value: `{"level": 4, "hp": 80}`, Version: version})
	if err != nil {
		return err
	}
	_, err = c.WriteStorageObjects(ctx, alice, nakama.StorageObjectWrite{Collection: "saves", Key: "slot1", Value: `{"level": 1}`, Version: version})
	p.say("alice", "saved again with the version she read: ok; with the same, now stale, version: %v", describe(err))

	// Friends.
	if err := c.AddFriends(ctx, alice, nil, []string{bob.Username()}, nil); err != nil {
		return err
	}
	p.say("alice", "sent bob a friend request")
	friends, err := c.ListFriends(ctx, bob, &nakama.ListFriendsOptions{State: nakama.Ptr(api.Friend_INVITE_RECEIVED)})
	if err != nil {
		return err
	}
	for _, f := range friends.GetFriends() {
		p.say("bob", "has a friend request from %q", f.GetUser().GetUsername())
	}
	if err := c.AddFriends(ctx, bob, []string{alice.UserID()}, nil, nil); err != nil {
		return err
	}
	friends, err = c.ListFriends(ctx, alice, nil)
	if err != nil {
		return err
	}
	for _, f := range friends.GetFriends() {
		p.say("alice", "is now friends with %q (state %s)", f.GetUser().GetUsername(), api.Friend_State(f.GetState().GetValue()))
	}

	// A leaderboard.
	for _, e := range []struct {
		who   string
		s     *nakama.Session
		score int64
	}{{"alice", alice, 1200}, {"bob", bob, 1450}, {"alice", alice, 900}} {
		rec, err := c.WriteLeaderboardRecord(ctx, e.s, demoLeaderboard, e.score, nil)
		if errors.Is(err, nakama.ErrNotFound) {
			p.say("server", "has no leaderboard %q; skipping the leaderboard", demoLeaderboard)
			break
		}
		if err != nil {
			return err
		}
		p.say(e.who, "scored %d on %s; best kept: %d", e.score, demoLeaderboard, rec.GetScore())
	}
	records, err := c.ListLeaderboardRecords(ctx, alice, demoLeaderboard, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 10}})
	if err == nil {
		for _, r := range records.GetRecords() {
			p.say("board", "#%d %-20s %d", r.GetRank(), r.GetUsername().GetValue(), r.GetScore())
		}
	}

	// An RPC.
	res, err := c.RpcFunc(ctx, bob, demoRPC, `{"hello":"from bob"}`)
	switch {
	case errors.Is(err, nakama.ErrNotFound):
		p.say("server", "has no RPC %q; skipping the RPC", demoRPC)
	case err != nil:
		return err
	default:
		p.say("bob", "called RPC %q; it answered %s", demoRPC, res.GetPayload())
	}

	// Realtime: chat, the matchmaker and match data.
	if err := playRealtime(ctx, serverURL, p, run, map[string]*nakama.Session{"alice": alice, "bob": bob}); err != nil {
		return err
	}

	// Goodbye.
	for _, e := range []struct {
		who string
		s   *nakama.Session
	}{{"alice", alice}, {"bob", bob}} {
		if err := c.SessionLogout(ctx, e.s); err != nil {
			return err
		}
		p.say(e.who, "logged out")
	}
	_, err = c.GetAccount(ctx, alice)
	p.say("alice", "using her old session after logout: %v", describe(err))
	return nil
}

// describe renders an expected error briefly: the server's code and message.
func describe(err error) string {
	if err == nil {
		return "ok"
	}
	var se *nakama.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("refused, %s: %s", se.Code, strings.TrimSuffix(se.Message, "."))
	}
	return err.Error()
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
