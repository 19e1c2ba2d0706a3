package module_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/examples/module"
	"github.com/gonakama/nakama/nakamagrpc"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// target is a server running the module, nakamatest in process or the
// real Nakama NAKAMA_MODULE_URL names running the module built as a plugin,
// seen only as a client sees it.
type target struct {
	url, grpcAddr, key, httpKy string
	client                     *nakama.DefaultClient
	ctx                        context.Context
}

// eachTarget runs test on nakamatest, then on the real server named by
// NAKAMA_MODULE_URL (its gRPC address is NAKAMA_MODULE_GRPC_ADDR, by
// default the URL's port minus one; NAKAMA_MODULE_SERVER_KEY and
// NAKAMA_MODULE_HTTP_KEY default to Nakama's defaultkey and
// defaulthttpkey), skipping that run when the variable is unset.
func eachTarget(t *testing.T, test func(t *testing.T, tg *target)) {
	t.Run("nakamatest", func(t *testing.T) {
		srv := nakamatest.RunT(t, &nakamatest.Options{Modules: []nakamatest.InitModuleFunc{module.InitModule}})
		test(t, newTarget(t, srv.URL(), srv.GRPCAddr(), "defaultkey", "defaulthttpkey"))
	})
	t.Run("real", func(t *testing.T) {
		u := os.Getenv("NAKAMA_MODULE_URL")
		if u == "" {
			t.Skip("NAKAMA_MODULE_URL is not set: no real Nakama running this module as a plugin " +
				"(see examples/module/README.md)")
		}
		grpcAddr := os.Getenv("NAKAMA_MODULE_GRPC_ADDR")
		if grpcAddr == "" {
			var err error
			if grpcAddr, err = nakamagrpc.AddrForURL(u); err != nil {
				t.Fatalf("NAKAMA_MODULE_GRPC_ADDR is not set: %v", err)
			}
		}
		test(t, newTarget(t, u, grpcAddr, envOr("NAKAMA_MODULE_SERVER_KEY", "defaultkey"), envOr("NAKAMA_MODULE_HTTP_KEY", "defaulthttpkey")))
	})
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newTarget(t *testing.T, url, grpcAddr, key, httpKey string) *target {
	t.Helper()
	client, err := nakama.NewClient(url, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A real server keeps the connections open; goleak would see them.
	t.Cleanup(client.Adapter().(*nakama.RESTAdapter).CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return &target{url: url, grpcAddr: grpcAddr, key: key, httpKy: httpKey, client: client, ctx: ctx}
}

// newPlayer signs a new player in. A real server keeps its accounts, so
// each run's custom id and username are new.
func (tg *target) newPlayer(t *testing.T) *nakama.Session {
	t.Helper()
	return tg.newPlayerVars(t, nil)
}

// newPlayerVars signs a new player in with the session variables vars.
func (tg *target) newPlayerVars(t *testing.T, vars map[string]string) *nakama.Session {
	t.Helper()
	name := "p" + strings.ToLower(rand.Text()[:12])
	s, err := tg.client.AuthenticateCustom(tg.ctx, "module-test-"+name, &nakama.AuthenticateOptions{Username: name, Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (tg *target) socket(t *testing.T) *nakama.WebSocket {
	t.Helper()
	ws, err := nakama.NewWebSocket(tg.url, &nakama.SocketOptions{AutoDispatch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

func connect(t *testing.T, tg *target, ws *nakama.WebSocket, s *nakama.Session) {
	t.Helper()
	if err := ws.Connect(tg.ctx, s, nil); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond: a real server lists a new match only once its
// label index catches up, about once a second, and says nothing when it
// does.
func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		}
	}
}

// tokenExpiry reads the exp claim of the session's token.
func tokenExpiry(t *testing.T, s *nakama.Session) int64 {
	t.Helper()
	parts := strings.Split(s.Token(), ".")
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if len(parts) != 3 {
		t.Fatalf("token %q", s.Token())
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err == nil {
		err = json.Unmarshal(b, &claims)
	}
	if err != nil {
		t.Fatalf("token claims: %v", err)
	}
	return claims.Exp
}

// header returns the first value of the header whoami saw, or "".
func header(w module.Who, name string) string {
	if v := w.Headers[name]; len(v) > 0 {
		return v[0]
	}
	return ""
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
	eachTarget(t, func(t *testing.T, tg *target) {
		vars := map[string]string{"tier": "gold"}
		s := tg.newPlayerVars(t, vars)
		// The user's part of the context, for every call with a session.
		user := func(how string, w module.Who) {
			t.Helper()
			if w.UserID != s.UserID() || w.Username != s.Username() || !maps.Equal(w.Vars, vars) || w.Expiry != tokenExpiry(t, s) ||
				w.Mode != "rpc" || w.ClientIP != "127.0.0.1" || w.ClientPort == "" {
				t.Errorf("%s: %+v", how, w)
			}
		}
		r, err := tg.client.RpcFunc(tg.ctx, s, "WhoAmI", "hi")
		if err != nil {
			t.Fatal(err)
		}
		w := who(t, r.Payload)
		user("REST with a session", w)
		if w.SessionID != "" || w.Lang != "" || w.Payload != "hi" || header(w, "Authorization") != "Bearer "+s.Token() ||
			w.Headers["User-Agent"] == nil || len(w.Query) != 0 {
			t.Errorf("REST with a session: %+v", w)
		}
		r, err = tg.client.RpcFuncHTTPKey(tg.ctx, tg.httpKy, "whoami", "s2s")
		if err != nil {
			t.Fatal(err)
		}
		// The http_key is not among the query parameters.
		if w := who(t, r.Payload); w.UserID != "" || w.Vars != nil || w.Expiry != 0 || w.Mode != "rpc" || w.ClientIP != "127.0.0.1" ||
			w.Payload != "s2s" || w.Headers["Authorization"] != nil || len(w.Query) != 0 {
			t.Errorf("server to server: %+v", w)
		}

		ws := tg.socket(t)
		if err := ws.Connect(tg.ctx, s, &nakama.ConnectOptions{Lang: "pt-BR"}); err != nil {
			t.Fatal(err)
		}
		r, err = ws.RpcFunc(tg.ctx, "whoami", "sock")
		if err != nil {
			t.Fatal(err)
		}
		w = who(t, r.Payload)
		user("socket", w)
		if w.SessionID == "" || w.Lang != "pt-BR" || w.Headers != nil || w.Query != nil || w.Payload != "sock" {
			t.Errorf("socket: %+v", w)
		}

		gc, err := nakamagrpc.NewClient(tg.grpcAddr, tg.key, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer gc.Close()
		r, err = gc.RpcFunc(tg.ctx, s, "whoami", "grpc")
		if err != nil {
			t.Fatal(err)
		}
		w = who(t, r.Payload)
		user("gRPC", w)
		if w.SessionID != "" || header(w, "authorization") != "Bearer "+s.Token() || w.Payload != "grpc" {
			t.Errorf("gRPC: %+v", w)
		}
	})
}

func TestErrors(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *target) {
		s := tg.newPlayer(t)
		for _, c := range []struct {
			rpc, payload string
			code         nakama.Code
			msg          string
		}{
			{"create_league", "nope", nakama.InvalidArgument, `payload must be {"id":...,"reset":...}`},
			{"create_league", `{"id":"l` + s.Username() + `","reset":"bad cron"}`, nakama.Internal,
				"expects reset schedule to be a valid CRON expression"},
			{"delete_league", "none-" + s.Username(), nakama.NotFound, "no such league"},
			{"match_ticks", "nope", nakama.Internal, "match id invalid"},
			{"match_ticks", "a1b2c3d4-0000-4000-8000-000000000000.nakama", nakama.Internal, "match not found"},
			{"no_such_rpc", "", nakama.NotFound, "RPC function not found"},
		} {
			_, err := tg.client.RpcFunc(tg.ctx, s, c.rpc, c.payload)
			var e *nakama.Error
			if !errors.As(err, &e) || e.Code != c.code || e.Message != c.msg {
				t.Errorf("%s(%q): %v, want %v %q", c.rpc, c.payload, err, c.code, c.msg)
			}
		}
		_, err := tg.client.RpcFuncHTTPKey(tg.ctx, tg.httpKy, "create_league", `{"id":"x","reset":"* * * * *"}`)
		var e *nakama.Error
		if !errors.As(err, &e) || e.Code != nakama.PermissionDenied || e.Message != "a league needs a player's session" {
			t.Errorf("create_league without a session: %v", err)
		}
	})
}

func TestDisplayNameHook(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *target) {
		s := tg.newPlayer(t)
		bad, good := "the admin", "Ann"
		err := tg.client.UpdateAccount(tg.ctx, s, &nakama.UpdateAccountOptions{DisplayName: &bad})
		var e *nakama.Error
		if !errors.As(err, &e) || e.Code != nakama.InvalidArgument || e.Message != "display name not allowed" {
			t.Fatalf("bad display name: %v", err)
		}
		if err := tg.client.UpdateAccount(tg.ctx, s, &nakama.UpdateAccountOptions{DisplayName: &good}); err != nil {
			t.Fatal(err)
		}
		if a, err := tg.client.GetAccount(tg.ctx, s); err != nil || a.User.DisplayName != good {
			t.Errorf("display name %v, %v", a, err)
		}
	})
}

func TestEchoMatch(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *target) {
		s := tg.newPlayer(t)
		r, err := tg.client.RpcFunc(tg.ctx, s, "create_match", "")
		if err != nil {
			t.Fatal(err)
		}
		id := r.Payload
		var l *api.MatchList
		eventually(t, tg.ctx, "listing the match by query", func() bool {
			l, err = tg.client.ListMatches(tg.ctx, s, &nakama.ListMatchesOptions{Query: "+label.creator:" + s.Username()})
			return err != nil || len(l.Matches) > 0
		})
		label := `{"creator":"` + s.Username() + `","mode":"echo"}`
		if err != nil || len(l.Matches) != 1 || l.Matches[0].MatchId != id || !l.Matches[0].Authoritative || l.Matches[0].Size != 0 ||
			l.Matches[0].TickRate != 10 || l.Matches[0].HandlerName != "echo" || l.Matches[0].GetLabel().GetValue() != label {
			t.Fatalf("listing by query: %v %v", l, err)
		}

		got := make(chan *rtapi.MatchData, 1)
		ws := tg.socket(t)
		ws.OnMatchData(func(d *rtapi.MatchData) { got <- d })
		connect(t, tg, ws, s)
		m, err := ws.JoinMatch(tg.ctx, id, nil)
		if err != nil || m.MatchId != id || !m.Authoritative || m.GetLabel().GetValue() != label || m.Self.GetUserId() != s.UserID() ||
			m.Self.GetUsername() != s.Username() || m.Self.GetSessionId() == "" || len(m.Presences) != 0 {
			t.Fatalf("join: %v, %v", m, err)
		}
		if err := ws.SendMatchData(tg.ctx, id, 1, []byte("ping"), nil); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			if d.MatchId != id || d.OpCode != 2 || string(d.Data) != "ping" || !d.Reliable || d.Presence.GetUserId() != s.UserID() ||
				d.Presence.GetSessionId() != m.Self.GetSessionId() || d.Presence.GetUsername() != s.Username() {
				t.Errorf("echo %v", d)
			}
		case <-tg.ctx.Done():
			t.Fatal("no echo")
		}
		// The listing counts the player, by label too.
		eventually(t, tg.ctx, "listing the joined match by label", func() bool {
			l, err = tg.client.ListMatches(tg.ctx, s, &nakama.ListMatchesOptions{Label: label})
			return err != nil || len(l.Matches) == 1 && l.Matches[0].Size == 1
		})
		if err != nil || l.Matches[0].MatchId != id {
			t.Errorf("listing by label: %v, %v", l, err)
		}
		r, err = tg.client.RpcFunc(tg.ctx, s, "match_ticks", id)
		if n, _ := strconv.Atoi(r.GetPayload()); err != nil || n < 1 {
			t.Errorf("ticks %v, %v", r, err)
		}
		if err := ws.LeaveMatch(tg.ctx, id); err != nil {
			t.Fatal(err)
		}
	})
}

// TestLeagueReset creates a league resetting every two seconds and awaits
// its owner's notification of the first reset, on the server's real clock.
func TestLeagueReset(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg *target) {
		s := tg.newPlayer(t)
		resets := make(chan *api.Notification, 16)
		ws := tg.socket(t)
		ws.OnNotification(func(n *api.Notification) { resets <- n })
		connect(t, tg, ws, s)
		id := "league-" + s.Username()
		payload, _ := json.Marshal(module.League{ID: id, Reset: "*/2 * * * * * *"})
		if _, err := tg.client.RpcFunc(tg.ctx, s, "create_league", string(payload)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := tg.client.RpcFunc(context.Background(), s, "delete_league", id); err != nil {
				t.Errorf("delete_league: %v", err)
			}
		})
		var n *api.Notification
		select {
		case n = <-resets:
		case <-tg.ctx.Done():
			t.Fatal("no reset notification")
		}
		var r module.Reset
		if err := json.Unmarshal([]byte(n.Content), &r); err != nil || n.Code != module.ResetNotification || n.Subject != "league reset" {
			t.Fatalf("notification %v: %v", n, err)
		}
		// The server passes the board as it was a second before the reset:
		// its next reset is this one.
		if r.Leaderboard != id || r.Reset%2 != 0 || r.NextReset != r.Reset || r.PrevReset != r.Reset-2 || r.Mode != "leaderboard_reset" {
			t.Errorf("reset %+v", r)
		}
		// Nor take its id, nor delete it.
		if _, err := tg.client.RpcFunc(tg.ctx, tg.newPlayer(t), "create_league", string(payload)); nakama.CodeOf(err) != nakama.AlreadyExists {
			t.Errorf("another player created the league again: %v", err)
		}
		other := tg.newPlayer(t)
		if _, err := tg.client.RpcFunc(tg.ctx, other, "delete_league", id); nakama.CodeOf(err) != nakama.PermissionDenied {
			t.Errorf("another player deleted the league: %v", err)
		}
	})
}

// TestWeeklyReset moves nakamatest's clock over a Monday: a real server's
// clock cannot be moved.
func TestWeeklyReset(t *testing.T) {
	srv := nakamatest.RunT(t, &nakamatest.Options{Modules: []nakamatest.InitModuleFunc{module.InitModule}})
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
