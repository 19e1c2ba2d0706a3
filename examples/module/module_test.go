package module_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/examples/module"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/rtapi"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func setup(t *testing.T) (*nakamatest.Server, *nakama.DefaultClient, *nakama.Session, context.Context) {
	// The client and sockets connect to srv.URL().
	t.Helper()
	srv := nakamatest.RunT(t, &nakamatest.Options{Modules: []nakamatest.InitModuleFunc{module.InitModule}})
	client, err := nakama.NewClient(srv.URL(), "defaultkey", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	s, err := client.AuthenticateCustom(ctx, "module-test-user", &nakama.AuthenticateOptions{Username: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	return srv, client, s, ctx
}

func who(t *testing.T, payload string) module.Who {
	t.Helper()
	var w module.Who
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		t.Fatalf("whoami answered %q: %v", payload, err)
	}
	return w
}

func TestWhoami(t *testing.T) {
	srv, client, s, ctx := setup(t)
	r, err := client.RpcFunc(ctx, s, "WhoAmI", "hi")
	if err != nil {
		t.Fatal(err)
	}
	if w := who(t, r.Payload); w.UserID != s.UserID() || w.Username != "ann" || w.SessionID != "" || w.Mode != "rpc" ||
		w.ClientIP != "127.0.0.1" || w.Payload != "hi" {
		t.Errorf("REST with a session: %+v", w)
	}
	r, err = client.RpcFuncHTTPKey(ctx, "defaulthttpkey", "whoami", "s2s")
	if err != nil {
		t.Fatal(err)
	}
	if w := who(t, r.Payload); w.UserID != "" || w.Mode != "rpc" || w.Payload != "s2s" {
		t.Errorf("server to server: %+v", w)
	}

	ws, err := nakama.NewWebSocket(srv.URL(), &nakama.SocketOptions{AutoDispatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.Connect(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	r, err = ws.RpcFunc(ctx, "whoami", "sock")
	if err != nil {
		t.Fatal(err)
	}
	if w := who(t, r.Payload); w.UserID != s.UserID() || w.SessionID == "" || w.Payload != "sock" {
		t.Errorf("socket: %+v", w)
	}
}

func TestDisplayNameHook(t *testing.T) {
	srv, client, s, ctx := setup(t)
	bad, good := "the admin", "Ann"
	err := client.UpdateAccount(ctx, s, &nakama.UpdateAccountOptions{DisplayName: &bad})
	if nakama.CodeOf(err) != nakama.InvalidArgument || err == nil {
		t.Fatalf("bad display name: %v", err)
	}
	if err := client.UpdateAccount(ctx, s, &nakama.UpdateAccountOptions{DisplayName: &good}); err != nil {
		t.Fatal(err)
	}
	if a, _ := srv.Account(s.UserID()); a.User.DisplayName != good {
		t.Errorf("display name %q", a.User.DisplayName)
	}
}

func TestEchoMatch(t *testing.T) {
	srv, client, s, ctx := setup(t)
	r, err := client.RpcFunc(ctx, s, "create_match", "")
	if err != nil {
		t.Fatal(err)
	}
	id := r.Payload
	l, err := client.ListMatches(ctx, s, &nakama.ListMatchesOptions{Query: "+label.mode:echo"})
	if err != nil || len(l.Matches) != 1 || l.Matches[0].MatchId != id || l.Matches[0].TickRate != 10 {
		t.Fatalf("listing by query: %v %v", l, err)
	}

	got := make(chan *rtapi.MatchData, 1)
	ws, err := nakama.NewWebSocket(srv.URL(), &nakama.SocketOptions{AutoDispatch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.OnMatchData(func(d *rtapi.MatchData) { got <- d })
	if err := ws.Connect(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.JoinMatch(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	if err := ws.SendMatchData(ctx, id, 1, []byte("ping"), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if d.OpCode != 2 || string(d.Data) != "ping" || d.Presence.GetUserId() != s.UserID() {
			t.Errorf("echo %v", d)
		}
	case <-ctx.Done():
		t.Fatal("no echo")
	}
	ticks, err := srv.SignalMatch(id, "ticks")
	if n, _ := strconv.Atoi(ticks); err != nil || n < 1 {
		t.Errorf("ticks %q, %v", ticks, err)
	}
}

func TestWeeklyReset(t *testing.T) {
	srv, _, _, _ := setup(t)
	// Sunday noon, then two days on: one Monday 00:00 reset passes.
	srv.SetTime(time.Date(2026, 5, 3, 12, 0, 0, 0, time.UTC))
	if _, ok := srv.StorageObject("resets", "weekly", ""); ok {
		t.Fatal("a reset was recorded before any passed")
	}
	srv.FastForward(48 * time.Hour)
	o, ok := srv.StorageObject("resets", "weekly", "")
	want := `{"reset": ` + strconv.FormatInt(time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC).Unix(), 10) + `}`
	if !ok || o.Value != want {
		t.Fatalf("recorded %v, want %s", o, want)
	}
}
