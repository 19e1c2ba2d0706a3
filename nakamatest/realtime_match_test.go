package nakamatest_test

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
)

func TestRelayedMatch(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
		a := e.connect(alice, f, nil)
		b := e.connect(bob, nakama.SocketJSON, nil)
		c := e.connect(carol, nakama.SocketProtobuf, nil)

		m, err := a.CreateMatch(rtCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(m.MatchId, ".") || m.Authoritative || m.Size != 1 || len(m.Presences) != 0 || m.Self.Username != "alice" {
			t.Fatalf("created %v", m)
		}
		waitFor[*rtapi.MatchPresenceEvent](a, nil) // own join
		mb, err := b.JoinMatch(rtCtx(t), m.MatchId, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Size counts those already there, the joiner aside.
		if mb.Size != 1 || len(mb.Presences) != 1 || mb.Presences[0].UserId != alice.UserID() {
			t.Fatalf("bob joined %v", mb)
		}
		mc, err := c.JoinMatch(rtCtx(t), m.MatchId, nil)
		if err != nil || mc.Size != 2 {
			t.Fatalf("carol joined %v %v", mc, err)
		}
		ev := waitFor[*rtapi.MatchPresenceEvent](a, func(ev *rtapi.MatchPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].Username == "carol"
		})
		if ev.MatchId != m.MatchId {
			t.Fatalf("event %v", ev)
		}
		list, err := e.client.ListMatches(rtCtx(t), alice, &nakama.ListMatchesOptions{Authoritative: nakama.Ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Matches) != 1 || list.Matches[0].MatchId != m.MatchId || list.Matches[0].Size != 3 {
			t.Fatalf("listed %v", list.Matches)
		}

		// Data goes to everyone but the sender...
		if err := a.SendMatchData(rtCtx(t), m.MatchId, 7, []byte("hello"), nil); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*sock{b, c} {
			d := waitFor[*rtapi.MatchData](s, nil)
			if d.OpCode != 7 || string(d.Data) != "hello" || d.Presence.UserId != alice.UserID() || !d.Reliable || d.MatchId != m.MatchId {
				t.Fatalf("data %v", d)
			}
		}
		none[*rtapi.MatchData](a)
		// ...or to the presences named, the sender included if named.
		if err := a.SendMatchData(rtCtx(t), m.MatchId, 8, []byte("psst"), &nakama.SendMatchDataOptions{
			Presences: []*rtapi.UserPresence{mc.Self, m.Self}, Unreliable: true}); err != nil {
			t.Fatal(err)
		}
		if d := waitFor[*rtapi.MatchData](c, nil); d.OpCode != 8 || d.Reliable {
			t.Fatalf("targeted %v", d)
		}
		if d := waitFor[*rtapi.MatchData](a, nil); d.OpCode != 8 {
			t.Fatalf("self-targeted %v", d)
		}
		none[*rtapi.MatchData](b)

		if err := c.LeaveMatch(rtCtx(t), m.MatchId); err != nil {
			t.Fatal(err)
		}
		ev = waitFor[*rtapi.MatchPresenceEvent](b, func(ev *rtapi.MatchPresenceEvent) bool { return len(ev.Leaves) == 1 })
		if ev.Leaves[0].UserId != carol.UserID() {
			t.Fatalf("leave %v", ev)
		}
		// A non-member's data goes nowhere.
		if err := c.SendMatchData(rtCtx(t), m.MatchId, 9, nil, nil); err != nil {
			t.Fatal(err)
		}
		none[*rtapi.MatchData](a)
		_ = a.Close()
		_ = b.Close()
		// An empty relayed match no longer exists.
		rtWaitUntil(t, func() bool { return len(e.srv.Matches()) == 0 })
		_, err = c.JoinMatch(rtCtx(t), m.MatchId, nil)
		socketErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		if got := e.srv.Matches(); len(got) != 0 {
			t.Fatalf("still listed: %v", got)
		}
	})
}

// uuidV5 is the DNS-namespace name-based UUID, from which the server
// derives named match ids; computed here independently.
func rtUUIDv5(name string) string {
	ns, _ := hex.DecodeString("6ba7b8109dad11d180b400c04fd430c8")
	h := sha1.Sum(append(ns, name...))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

func TestNamedMatch(t *testing.T) {
	e := newRTEnv(t)
	a := e.connect(e.user("a"), nakama.SocketJSON, nil)
	b := e.connect(e.user("b"), nakama.SocketProtobuf, nil)
	m1, err := a.CreateMatch(rtCtx(t), &nakama.CreateMatchOptions{Name: "arena"})
	if err != nil {
		t.Fatal(err)
	}
	if m1.MatchId != rtUUIDv5("arena")+"." || m1.Size != 1 {
		t.Fatalf("named %v", m1)
	}
	m2, err := b.CreateMatch(rtCtx(t), &nakama.CreateMatchOptions{Name: "arena"})
	if err != nil {
		t.Fatal(err)
	}
	if m2.MatchId != m1.MatchId || m2.Size != 2 || len(m2.Presences) != 1 {
		t.Fatalf("second %v", m2)
	}
}

func TestMatchErrors(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		c := e.connect(e.user("x"), f, nil)
		_, err := c.JoinMatch(rtCtx(t), "nope", nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match ID")
		_, err = c.JoinMatch(rtCtx(t), "8d2c3a4e-5b6f-4a7b-8c9d-0e1f2a3b4c5d.", nil)
		socketErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		if !errors.Is(err, nakama.ErrNotFound) {
			t.Errorf("not NotFound: %v", err)
		}
		_, err = c.JoinMatch(rtCtx(t), "8d2c3a4e-5b6f-4a7b-8c9d-0e1f2a3b4c5d.nakama", nil)
		socketErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		_, err = c.JoinMatch(rtCtx(t), "8d2c3a4e-5b6f-4a7b-8c9d-0e1f2a3b4c5d.othernode", nil)
		socketErr(t, err, rtapi.Error_MATCH_NOT_FOUND, "Match not found")
		_, err = c.JoinMatchToken(rtCtx(t), "not.a.token", nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match token")
		err = c.LeaveMatch(rtCtx(t), "x")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match ID")
		// Bad match data is reported as an event, having no answer.
		if err := c.SendMatchData(rtCtx(t), "bad", 1, nil, nil); err != nil {
			t.Fatal(err)
		}
		got := waitFor[error](c, nil)
		socketErr(t, got, rtapi.Error_BAD_INPUT, "Invalid match ID")
	})
}

// counter is an authoritative match that counts its ticks, echoes data to
// everyone, rejects users named "banned" and answers signals with its
// state.
type counter struct {
	mu     sync.Mutex
	calls  []string
	joins  []string
	leaves []runtime.PresenceReason
}

type counterState struct {
	ticks     int64
	presences map[string]runtime.Presence
}

func (c *counter) record(s string) {
	c.mu.Lock()
	c.calls = append(c.calls, s)
	c.mu.Unlock()
}

func (c *counter) MatchInit(ctx context.Context, params map[string]any) (any, int, string) {
	c.record("init")
	rate := 20
	if r, ok := params["rate"].(int); ok {
		rate = r
	}
	label, _ := params["label"].(string)
	return &counterState{presences: map[string]runtime.Presence{}}, rate, label
}

func (c *counter) MatchJoinAttempt(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, p runtime.Presence, md map[string]string) (any, bool, string) {
	if ctx.Value(runtime.RUNTIME_CTX_USER_ID) != p.GetUserId() {
		panic("no user in the join attempt's context")
	}
	if p.GetUsername() == "banned" {
		return state, false, "go away"
	}
	if md["deny"] == "silently" {
		return state, false, ""
	}
	return state, true, ""
}

func (c *counter) MatchJoin(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	st := state.(*counterState)
	for _, p := range ps {
		st.presences[p.GetSessionId()] = p
		c.mu.Lock()
		c.joins = append(c.joins, p.GetUsername())
		c.mu.Unlock()
	}
	_ = d.BroadcastMessage(100, []byte(fmt.Sprint(len(st.presences))), nil, nil, true)
	return st
}

func (c *counter) MatchLeave(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	st := state.(*counterState)
	for _, p := range ps {
		delete(st.presences, p.GetSessionId())
		c.mu.Lock()
		c.leaves = append(c.leaves, p.GetReason())
		c.mu.Unlock()
	}
	return st
}

func (c *counter) MatchLoop(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, msgs []runtime.MatchData) any {
	st := state.(*counterState)
	st.ticks++
	for _, m := range msgs {
		switch string(m.GetData()) {
		case "kick":
			_ = d.MatchKick([]runtime.Presence{m})
		case "label":
			_ = d.MatchLabelUpdate(`{"mode":"updated"}`)
		case "stop":
			return nil
		default:
			_ = d.BroadcastMessageDeferred(m.GetOpCode(), m.GetData(), nil, m, true)
		}
	}
	return st
}

func (c *counter) MatchTerminate(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, grace int) any {
	c.record(fmt.Sprint("terminate ", grace))
	_ = d.BroadcastMessage(99, []byte("bye"), nil, nil, true)
	return state
}

func (c *counter) MatchSignal(ctx context.Context, d runtime.MatchDispatcher, tick int64, state any, data string) (any, string) {
	st := state.(*counterState)
	if data == "end" {
		return nil, ""
	}
	return st, fmt.Sprintf("%s:%d", data, len(st.presences))
}

func TestAuthoritativeMatch(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		h := &counter{}
		e.srv.RegisterMatch("counter", h)
		id, err := e.srv.CreateMatch("counter", map[string]any{"label": `{"mode":"ffa","level":3}`})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(id, ".nakama") {
			t.Fatalf("id %q", id)
		}
		alice, bob := e.user("alice"), e.user("bob")
		list, err := e.client.ListMatches(rtCtx(t), alice, &nakama.ListMatchesOptions{Query: "+label.mode:ffa +label.level:>=2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Matches) != 1 || list.Matches[0].MatchId != id || list.Matches[0].TickRate != 20 ||
			list.Matches[0].HandlerName != "counter" || list.Matches[0].Size != 0 {
			t.Fatalf("listed %v", list.Matches)
		}

		a := e.connect(alice, f, nil)
		b := e.connect(bob, nakama.SocketJSON, nil)
		m, err := a.JoinMatch(rtCtx(t), id, &nakama.JoinMatchOptions{Metadata: map[string]string{"k": "v"}})
		if err != nil {
			t.Fatal(err)
		}
		if !m.Authoritative || m.Label.GetValue() != `{"mode":"ffa","level":3}` || m.Size != 0 || m.MatchId != id {
			t.Fatalf("joined %v", m)
		}
		// MatchJoin broadcasts the count.
		if d := waitFor[*rtapi.MatchData](a, nil); d.OpCode != 100 || string(d.Data) != "1" || d.Presence != nil {
			t.Fatalf("broadcast %v", d)
		}
		mb, err := b.JoinMatch(rtCtx(t), id, nil)
		if err != nil || mb.Size != 1 || mb.Presences[0].UserId != alice.UserID() {
			t.Fatalf("bob joined %v %v", mb, err)
		}
		waitFor[*rtapi.MatchPresenceEvent](a, func(ev *rtapi.MatchPresenceEvent) bool {
			return len(ev.Joins) == 1 && ev.Joins[0].Username == "bob"
		})
		// The presence event comes from the tracker, not from the match: as
		// on the server, the match counts bob only when its queued join runs
		// (just before MatchJoin), which may be after the event. MatchJoin's
		// broadcast, to alice and now to bob, says it has.
		for _, s := range []*sock{a, b} {
			waitFor[*rtapi.MatchData](s, func(d *rtapi.MatchData) bool { return d.OpCode == 100 && string(d.Data) == "2" })
		}
		// Joining again answers at once, without a new attempt, with the
		// presences the match counts.
		again, err := a.JoinMatch(rtCtx(t), id, nil)
		if err != nil || again.Size != 2 {
			t.Fatalf("rejoin %v %v", again, err)
		}

		// Data goes through the loop, which echoes it to everyone (deferred).
		if err := b.SendMatchData(rtCtx(t), id, 5, []byte("ping"), nil); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*sock{a, b} {
			d := waitFor[*rtapi.MatchData](s, func(d *rtapi.MatchData) bool { return d.OpCode == 5 })
			if string(d.Data) != "ping" || d.Presence.GetUserId() != bob.UserID() || d.MatchId != id {
				t.Fatalf("echo %v", d)
			}
		}

		// Rejections carry the handler's reason, or the default.
		banned := e.connect(e.user("banned"), f, nil)
		_, err = banned.JoinMatch(rtCtx(t), id, nil)
		socketErr(t, err, rtapi.Error_MATCH_JOIN_REJECTED, "go away")
		if !errors.Is(err, nakama.ErrPermissionDenied) {
			t.Errorf("not PermissionDenied: %v", err)
		}
		other := e.connect(e.user("other"), f, nil)
		_, err = other.JoinMatch(rtCtx(t), id, &nakama.JoinMatchOptions{Metadata: map[string]string{"deny": "silently"}})
		socketErr(t, err, rtapi.Error_MATCH_JOIN_REJECTED, "Match join rejected")

		res, err := e.srv.SignalMatch(id, "hello")
		if err != nil || res != "hello:2" {
			t.Fatalf("signal %q %v", res, err)
		}
		if _, err := e.srv.SignalMatch("x", ""); err == nil || err.Error() != "match id invalid" {
			t.Errorf("bad id: %v", err)
		}
		if _, err := e.srv.SignalMatch(strings.TrimSuffix(id, "nakama"), ""); err == nil || err.Error() != "match not found" {
			t.Errorf("relayed id: %v", err)
		}

		// A label update shows in listings.
		if err := b.SendMatchData(rtCtx(t), id, 1, []byte("label"), nil); err != nil {
			t.Fatal(err)
		}
		rtWaitUntil(t, func() bool {
			l, _ := e.client.ListMatches(rtCtx(t), alice, &nakama.ListMatchesOptions{Query: "label.mode:updated"})
			return len(l.GetMatches()) == 1 && l.Matches[0].Size == 2
		})

		// A kick makes a leave for everyone and for MatchLeave.
		if err := b.SendMatchData(rtCtx(t), id, 1, []byte("kick"), nil); err != nil {
			t.Fatal(err)
		}
		ev := waitFor[*rtapi.MatchPresenceEvent](a, func(ev *rtapi.MatchPresenceEvent) bool { return len(ev.Leaves) == 1 })
		if ev.Leaves[0].UserId != bob.UserID() {
			t.Fatalf("kick %v", ev)
		}
		// A disconnect is a leave with that reason.
		_ = a.Close()
		rtWaitUntil(t, func() bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return slices.Equal(h.leaves, []runtime.PresenceReason{runtime.PresenceReasonLeave, runtime.PresenceReasonDisconnect})
		})
		rtWaitUntil(t, func() bool { l := e.srv.Matches(); return len(l) == 1 && l[0].Size == 0 })

		// Terminate with no grace ends the match.
		if err := e.srv.TerminateMatch(id, 0); err != nil {
			t.Fatal(err)
		}
		rtWaitUntil(t, func() bool { return len(e.srv.Matches()) == 0 })
		if _, err := e.srv.SignalMatch(id, "x"); err == nil || err.Error() != "match not found" {
			t.Errorf("ended match: %v", err)
		}
	})
}

func rtWaitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCreateMatchErrors(t *testing.T) {
	e := newRTEnv(t)
	if _, err := e.srv.CreateMatch("", nil); err == nil || err.Error() != "expects module name" {
		t.Errorf("no name: %v", err)
	}
	if _, err := e.srv.CreateMatch("missing", nil); err == nil || err.Error() != "error creating match: not found" {
		t.Errorf("missing: %v", err)
	}
	e.srv.RegisterMatch("counter", &counter{})
	_, err := e.srv.CreateMatch("counter", map[string]any{"rate": 61})
	if err == nil || err.Error() != "error creating match: MatchInit returned invalid tick rate, must be between 1 and 60" {
		t.Errorf("rate: %v", err)
	}
	_, err = e.srv.CreateMatch("counter", map[string]any{"label": strings.Repeat("x", 2049)})
	if err == nil || err.Error() != "error creating match: MatchInit returned invalid label, must be 2048 bytes or less" {
		t.Errorf("label: %v", err)
	}
	// A match that ends itself leaves the listing.
	id, err := e.srv.CreateMatch("counter", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.SignalMatch(id, "end"); err == nil || err.Error() != "match busy" {
		t.Errorf("ending signal: %v", err)
	}
	rtWaitUntil(t, func() bool { return len(e.srv.Matches()) == 0 })
}

// TestMatchLoopStopsOnClose checks that Close stops running matches.
func TestMatchLoopStopsOnClose(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	srv.RegisterMatch("counter", &counter{})
	for range 3 {
		if _, err := srv.CreateMatch("counter", map[string]any{"rate": 60}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close()
	if n := len(srv.Matches()); n != 0 {
		t.Fatalf("%d matches after Close", n)
	}
}

// echoMatch is a Go runtime module's match: it echoes data back to its
// sender.
type echoMatch struct{}

func (echoMatch) MatchInit(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, params map[string]any) (any, int, string) {
	logger.WithField("k", "v").Info("init %d", 1)
	return struct{}{}, 10, "echo"
}

func (echoMatch) MatchJoinAttempt(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, d runtime.MatchDispatcher, tick int64, state any, p runtime.Presence, md map[string]string) (any, bool, string) {
	return state, true, ""
}

func (echoMatch) MatchJoin(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	return state
}

func (echoMatch) MatchLeave(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, d runtime.MatchDispatcher, tick int64, state any, ps []runtime.Presence) any {
	return state
}

func (echoMatch) MatchLoop(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, d runtime.MatchDispatcher, tick int64, state any, msgs []runtime.MatchData) any {
	for _, m := range msgs {
		_ = d.BroadcastMessage(m.GetOpCode(), m.GetData(), []runtime.Presence{m}, nil, true)
	}
	return state
}

func (echoMatch) MatchTerminate(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, d runtime.MatchDispatcher, tick int64, state any, grace int) any {
	return state
}

func (echoMatch) MatchSignal(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, d runtime.MatchDispatcher, tick int64, state any, data string) (any, string) {
	return state, data
}

func TestRuntimeMatch(t *testing.T) {
	e := newRTEnv(t)
	var logs strings.Builder
	var mu sync.Mutex
	e.srv.RegisterMatch("echo", nakamatest.RuntimeMatch(echoMatch{}, slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))))
	id, err := e.srv.CreateMatch("echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if !strings.Contains(logs.String(), "init 1") || !strings.Contains(logs.String(), "k=v") {
		t.Errorf("logs %q", logs.String())
	}
	mu.Unlock()
	c := e.connect(e.user("u"), nakama.SocketProtobuf, nil)
	if _, err := c.JoinMatch(rtCtx(t), id, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMatchData(rtCtx(t), id, 2, []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if d := waitFor[*rtapi.MatchData](c, nil); d.OpCode != 2 || string(d.Data) != "x" || d.MatchId != id {
		t.Fatalf("echo %v", d)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// joinProbe is echoMatch reporting the presences and context its join
// handlers see.
type joinProbe struct {
	echoMatch
	seen chan string
}

func (j joinProbe) MatchJoinAttempt(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, p runtime.Presence, _ map[string]string) (any, bool, string) {
	ip, _ := ctx.Value(runtime.RUNTIME_CTX_CLIENT_IP).(string)
	port, _ := ctx.Value(runtime.RUNTIME_CTX_CLIENT_PORT).(string)
	j.seen <- fmt.Sprintf("attempt reason=%d ip=%s port=%t", p.GetReason(), ip, port != "")
	return state, true, ""
}

func (j joinProbe) MatchJoin(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, _ runtime.MatchDispatcher, _ int64, state any, ps []runtime.Presence) any {
	j.seen <- fmt.Sprintf("join reason=%d", ps[0].GetReason())
	return state
}

// TestRuntimeMatchJoinAsServer: as on Nakama 3.40, join presences carry
// no reason and the join attempt's context has the client's address.
func TestRuntimeMatchJoinAsServer(t *testing.T) {
	e := newRTEnv(t)
	seen := make(chan string, 4)
	e.srv.RegisterMatch("probe", nakamatest.RuntimeMatch(joinProbe{seen: seen}, nil))
	id, err := e.srv.CreateMatch("probe", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := e.connect(e.user("a"), nakama.SocketJSON, nil)
	if _, err := a.JoinMatch(rtCtx(t), id, nil); err != nil {
		t.Fatal(err)
	}
	ctx := rtCtx(t)
	for _, want := range []string{"attempt reason=0 ip=127.0.0.1 port=true", "join reason=0"} {
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no %q", want)
		}
	}
}
