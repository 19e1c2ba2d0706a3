package nakamatest_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
)

// moduleEnv is newRTEnv with a module loaded.
func moduleEnv(t *testing.T, init nakamatest.InitModuleFunc) *rtEnv {
	t.Helper()
	srv := nakamatest.RunT(t, &nakamatest.Options{Modules: []nakamatest.InitModuleFunc{init}, RuntimeEnv: map[string]string{"stage": "test"}})
	client, err := nakama.NewClient(srv.URL(), "defaultkey", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &rtEnv{t: t, srv: srv, client: client}
}

// ctxString reads a runtime context value that is a string.
func ctxString(ctx context.Context, key string) string {
	v, _ := ctx.Value(key).(string)
	return v
}

func TestModuleRealtimeHooksAndStreams(t *testing.T) {
	var mu sync.Mutex
	afterOut := make(chan string, 4) // the after hook runs once the answer is sent
	var started []string
	const lobby = 100 // a stream mode of the module's own
	e := moduleEnv(t, func(_ context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, init runtime.Initializer) error {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(init.RegisterBeforeRt("ChannelJoin", func(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, in *rtapi.Envelope) (*rtapi.Envelope, error) {
			switch in.GetChannelJoin().Target {
			case "forbidden":
				return nil, runtime.NewError("no entry for "+ctxString(ctx, runtime.RUNTIME_CTX_USERNAME), 7)
			case "disabled":
				return nil, nil
			}
			return in, nil
		}))
		must(init.RegisterAfterRt("channeljoin", func(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, out, in *rtapi.Envelope) error {
			afterOut <- out.GetChannel().GetRoomName() + "/" + in.GetChannelJoin().Target
			return nil
		}))
		must(init.RegisterEventSessionStart(func(ctx context.Context, _ runtime.Logger, evt *api.Event) {
			mu.Lock()
			defer mu.Unlock()
			started = append(started, evt.Name+" "+ctxString(ctx, runtime.RUNTIME_CTX_SESSION_ID))
		}))
		must(init.RegisterRpc("lobby_join", func(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, _ string) (string, error) {
			_, err := nk.StreamUserJoin(lobby, "", "", "lobby", ctxString(ctx, runtime.RUNTIME_CTX_USER_ID),
				ctxString(ctx, runtime.RUNTIME_CTX_SESSION_ID), false, false, "here")
			return "", err
		}))
		must(init.RegisterRpc("lobby_send", func(_ context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, payload string) (string, error) {
			if err := nk.StreamSend(lobby, "", "", "lobby", payload, nil, true); err != nil {
				return "", err
			}
			n, err := nk.StreamCount(lobby, "", "", "lobby")
			return strconv.Itoa(n), err
		}))
		must(init.RegisterRpc("env", func(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ string) (string, error) {
			env, _ := ctx.Value(runtime.RUNTIME_CTX_ENV).(map[string]string)
			return env["stage"] + " " + ctxString(ctx, runtime.RUNTIME_CTX_LANG), nil
		}))
		return nil
	})
	sa, sb := e.user("alice"), e.user("bob")
	a := e.connect(sa, nakama.SocketJSON, nil)
	b := e.connect(sb, nakama.SocketProtobuf, nil)
	ctx := rtCtx(t)

	if r, err := a.RpcFunc(ctx, "env", ""); err != nil || r.Payload != "test en" {
		t.Fatalf("env over the socket: %v %v", r, err)
	}

	// Streams: joins are announced to the stream, data reaches everyone.
	if _, err := a.RpcFunc(ctx, "lobby_join", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RpcFunc(ctx, "lobby_join", ""); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(a, func(ev *rtapi.StreamPresenceEvent) bool {
		return len(ev.Joins) == 1 && ev.Joins[0].UserId == sb.UserID()
	})
	if ev.Stream.Mode != lobby || ev.Stream.Label != "lobby" || ev.Stream.Subject != "" {
		t.Errorf("presence event on %v", ev.Stream)
	}
	r, err := b.RpcFunc(ctx, "lobby_send", "hello")
	if err != nil || r.Payload != "2" {
		t.Fatalf("lobby_send: %v %v", r, err)
	}
	for _, c := range []*sock{a, b} {
		d := waitFor[*rtapi.StreamData](c, nil)
		if d.Data != "hello" || d.Stream.Mode != lobby || d.Stream.Label != "lobby" || !d.Reliable {
			t.Errorf("stream data %v", d)
		}
	}

	// Realtime hooks: an error answers the message, the after hook sees
	// the answer, nil disables the message and ends the session.
	_, err = a.JoinChat(ctx, "forbidden", rtapi.ChannelJoin_ROOM, nil)
	socketErr(t, err, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, "no entry for alice")
	if _, err := a.JoinChat(ctx, "open", rtapi.ChannelJoin_ROOM, nil); err != nil {
		t.Fatal(err)
	}
	_, err = b.JoinChat(ctx, "disabled", rtapi.ChannelJoin_ROOM, nil)
	socketErr(t, err, rtapi.Error_UNRECOGNIZED_PAYLOAD, "Requested resource was not found.")
	waitFor[disconnected](b, nil)

	select {
	case got := <-afterOut:
		if got != "open/open" {
			t.Errorf("the after hook saw %s", got)
		}
	case <-ctx.Done():
		t.Fatal("the after hook did not run")
	}
	select {
	case got := <-afterOut:
		t.Errorf("an after hook ran for a rejected join: %s", got)
	default:
	}
	mu.Lock()
	defer mu.Unlock()
	if len(started) != 2 || started[0][:len("session_start ")] != "session_start " || len(started[0]) < 30 {
		t.Errorf("session starts %v", started)
	}
}

func TestModuleAPIHooks(t *testing.T) {
	var mu sync.Mutex
	var created []bool
	e := moduleEnv(t, func(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, init runtime.Initializer) error {
		if err := init.RegisterBeforeAuthenticateCustom(func(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, in *api.AuthenticateCustomRequest) (*api.AuthenticateCustomRequest, error) {
			if ctxString(ctx, runtime.RUNTIME_CTX_MODE) != "before" || ctxString(ctx, runtime.RUNTIME_CTX_CLIENT_IP) != "127.0.0.1" {
				return nil, runtime.NewError("bad context", 13)
			}
			in.Username = "forced-" + in.Account.Id
			return in, nil
		}); err != nil {
			return err
		}
		if err := init.RegisterAfterAuthenticateCustom(func(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, out *api.Session, in *api.AuthenticateCustomRequest) error {
			mu.Lock()
			defer mu.Unlock()
			created = append(created, out.Created)
			return nil
		}); err != nil {
			return err
		}
		if err := init.RegisterBeforeGetAccount(func(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule) error {
			return runtime.NewError("accounts are closed to "+ctxString(ctx, runtime.RUNTIME_CTX_USERNAME), 7)
		}); err != nil {
			return err
		}
		return init.RegisterHttp("/custom/hello", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "hello "+r.Method)
		}, http.MethodGet)
	})
	ctx := rtCtx(t)
	s, err := e.client.AuthenticateCustom(ctx, "custom-hooked", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Username() != "forced-custom-hooked" {
		t.Errorf("the before hook's username was not used: %q", s.Username())
	}
	if _, err := e.client.AuthenticateCustom(ctx, "custom-hooked", nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(created) != 2 || !created[0] || created[1] {
		t.Errorf("after hooks saw created %v", created)
	}
	mu.Unlock()
	_, err = e.client.GetAccount(ctx, s)
	var ne *nakama.Error
	if !errors.As(err, &ne) || ne.Code != nakama.PermissionDenied || ne.Message != "accounts are closed to forced-custom-hooked" {
		t.Errorf("GetAccount: %v", err)
	}

	resp, err := http.Get(e.srv.URL() + "/custom/hello")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(resp); resp.StatusCode != 200 || body != "hello GET" {
		t.Errorf("custom handler: %d %q", resp.StatusCode, body)
	}
	resp, err = http.Post(e.srv.URL()+"/custom/hello", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	readAll(resp)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("custom handler for POST: %d", resp.StatusCode)
	}
}

func TestModuleMatchmakerMatched(t *testing.T) {
	e := moduleEnv(t, func(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, init runtime.Initializer) error {
		if err := init.RegisterMatch("duel", func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule) (runtime.Match, error) {
			return &loopMatch{}, nil
		}); err != nil {
			return err
		}
		return init.RegisterMatchmakerMatched(func(ctx context.Context, _ runtime.Logger, _ *sql.DB, nk runtime.NakamaModule, entries []runtime.MatchmakerEntry) (string, error) {
			if ctxString(ctx, runtime.RUNTIME_CTX_MODE) != "matchmaker" || len(entries) != 2 {
				return "", nil
			}
			return nk.MatchCreate(ctx, "duel", map[string]any{"players": len(entries)})
		})
	})
	ctx := rtCtx(t)
	a := e.connect(e.user("mm-a"), nakama.SocketJSON, nil)
	b := e.connect(e.user("mm-b"), nakama.SocketJSON, nil)
	for _, c := range []*sock{a, b} {
		if _, err := c.AddMatchmaker(ctx, "*", 2, 2, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.ProcessMatchmaker()
	ma := waitFor[*rtapi.MatchmakerMatched](a, nil)
	mb := waitFor[*rtapi.MatchmakerMatched](b, nil)
	if ma.GetMatchId() == "" || ma.GetMatchId() != mb.GetMatchId() {
		t.Fatalf("matched %v and %v", ma, mb)
	}
	if got, err := e.srv.SignalMatch(ma.GetMatchId(), "players"); err != nil || got != "2" {
		t.Errorf("the match got %q, %v", got, err)
	}
}

// loopMatch is a minimal runtime.Match whose signal answers a parameter.
type loopMatch struct{}

func (*loopMatch) MatchInit(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, params map[string]any) (any, int, string) {
	return params, 5, ""
}
func (*loopMatch) MatchJoinAttempt(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, st any, _ runtime.Presence, _ map[string]string) (any, bool, string) {
	return st, true, ""
}
func (*loopMatch) MatchJoin(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, st any, _ []runtime.Presence) any {
	return st
}
func (*loopMatch) MatchLeave(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, st any, _ []runtime.Presence) any {
	return st
}
func (*loopMatch) MatchLoop(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, st any, _ []runtime.MatchData) any {
	return st
}
func (*loopMatch) MatchTerminate(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, _ any, _ int) any {
	return nil
}
func (*loopMatch) MatchSignal(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, st any, data string) (any, string) {
	v, _ := st.(map[string]any)[data].(int)
	return st, strconv.Itoa(v)
}

// TestModuleContextsAsServer pins contexts Nakama 3.40 gave a probe
// module: an after-authenticate hook sees the new session's user, a
// client's event its address, and session_end its close reason ("" for a
// client's close) at a whole second.
func TestModuleContextsAsServer(t *testing.T) {
	type seen struct{ what, user, name, ip, reason string }
	got := make(chan seen, 8)
	e := moduleEnv(t, func(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, init runtime.Initializer) error {
		rec := func(ctx context.Context, what, reason string) {
			got <- seen{what, ctxString(ctx, runtime.RUNTIME_CTX_USER_ID), ctxString(ctx, runtime.RUNTIME_CTX_USERNAME),
				ctxString(ctx, runtime.RUNTIME_CTX_CLIENT_IP), reason}
		}
		if err := init.RegisterAfterAuthenticateDevice(func(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ *api.Session, _ *api.AuthenticateDeviceRequest) error {
			rec(ctx, "auth", "")
			return nil
		}); err != nil {
			return err
		}
		if err := init.RegisterEvent(func(ctx context.Context, _ runtime.Logger, evt *api.Event) { rec(ctx, "event", "") }); err != nil {
			return err
		}
		return init.RegisterEventSessionEnd(func(ctx context.Context, _ runtime.Logger, evt *api.Event) {
			reason, ok := evt.Properties["reason"]
			if !ok || evt.Timestamp.GetNanos() != 0 {
				reason = "bad event " + evt.String()
			}
			rec(ctx, "end", reason)
		})
	})
	ctx := rtCtx(t)
	s, err := e.client.AuthenticateDevice(ctx, "device-contexts-0001", &nakama.AuthenticateOptions{Username: "ctxuser"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.client.Event(ctx, s, "hello", nil); err != nil {
		t.Fatal(err)
	}
	c := e.connect(s, nakama.SocketJSON, nil)
	c.Close()
	for _, what := range []string{"auth", "event", "end"} {
		select {
		case g := <-got:
			if g.what != what || g.user != s.UserID() || g.name != "ctxuser" || g.ip != "127.0.0.1" || g.reason != "" {
				t.Errorf("%s: %+v", what, g)
			}
		case <-ctx.Done():
			t.Fatalf("no %s call", what)
		}
	}
}
