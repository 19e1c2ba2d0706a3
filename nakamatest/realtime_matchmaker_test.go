package nakamatest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/rtapi"
)

func TestMatchmakerPair(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		alice, bob := e.user("alice"), e.user("bob")
		a := e.connect(alice, f, nil)
		b := e.connect(bob, nakama.SocketJSON, nil)
		ta, err := a.AddMatchmaker(rtCtx(t), "+properties.region:eu +properties.rank:>=10 +properties.rank:<=20", 2, 2,
			&nakama.MatchmakerOptions{StringProperties: map[string]string{"region": "eu"}, NumericProperties: map[string]float64{"rank": 12}})
		if err != nil {
			t.Fatal(err)
		}
		tb, err := b.AddMatchmaker(rtCtx(t), "properties.region:eu", 2, 2,
			&nakama.MatchmakerOptions{StringProperties: map[string]string{"region": "eu"}, NumericProperties: map[string]float64{"rank": 15}})
		if err != nil {
			t.Fatal(err)
		}
		if ta.Ticket == "" || ta.Ticket == tb.Ticket {
			t.Fatalf("tickets %v %v", ta, tb)
		}
		stats, err := e.client.GetMatchmakerStats(rtCtx(t), alice)
		if err != nil {
			t.Fatal(err)
		}
		if stats.TicketCount != 0 {
			t.Fatalf("stats before any interval: %v", stats)
		}
		// Nothing happens until an interval of server time has passed.
		none[*rtapi.MatchmakerMatched](a)
		e.srv.FastForward(15 * time.Second)

		ma := waitFor[*rtapi.MatchmakerMatched](a, nil)
		mb := waitFor[*rtapi.MatchmakerMatched](b, nil)
		if ma.GetToken() == "" || ma.GetToken() != mb.GetToken() || ma.Ticket != ta.Ticket || mb.Ticket != tb.Ticket {
			t.Fatalf("matched %v / %v", ma, mb)
		}
		if len(ma.Users) != 2 || ma.Self.Presence.UserId != alice.UserID() || mb.Self.Presence.UserId != bob.UserID() ||
			ma.Self.NumericProperties["rank"] != 12 || ma.Self.StringProperties["region"] != "eu" {
			t.Fatalf("users %v self %v", ma.Users, ma.Self)
		}
		stats, _ = e.client.GetMatchmakerStats(rtCtx(t), alice)
		if stats.TicketCount != 2 || len(stats.Completions) != 2 || stats.OldestTicketCreateTime == nil {
			t.Fatalf("stats after matching: %v", stats)
		}
		if n := len(e.srv.MatchmakerTickets()); n != 0 {
			t.Fatalf("%d tickets left", n)
		}

		// The token joins a relayed match, the first user creating it.
		m1, err := a.JoinMatchToken(rtCtx(t), ma.GetToken(), nil)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := b.JoinMatchToken(rtCtx(t), mb.GetToken(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if m1.MatchId != m2.MatchId || m2.Size != 1 || m1.Authoritative {
			t.Fatalf("token matches %v %v", m1, m2)
		}
		// Tokens last 30 seconds.
		e.srv.FastForward(31 * time.Second)
		_, err = a.JoinMatchToken(rtCtx(t), ma.GetToken(), nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid match token")
	})
}

func TestMatchmakerQueries(t *testing.T) {
	e := newRTEnv(t)
	e.srv.SetMatchmakerInterval(time.Hour) // only ProcessMatchmaker runs intervals
	add := func(name, query string, rank float64, mode string) (*sock, string) {
		c := e.connect(e.user(name), nakama.SocketProtobuf, nil)
		tk, err := c.AddMatchmaker(rtCtx(t), query, 2, 2, &nakama.MatchmakerOptions{
			StringProperties: map[string]string{"mode": mode}, NumericProperties: map[string]float64{"rank": rank}})
		if err != nil {
			t.Fatal(err)
		}
		return c, tk.Ticket
	}
	// A excludes ranked players; B is ranked; C is casual.
	a, _ := add("a", "-properties.mode:ranked", 1, "casual")
	b, _ := add("b", "+properties.rank:>100", 500, "ranked")
	e.srv.ProcessMatchmaker()
	none[*rtapi.MatchmakerMatched](a)
	none[*rtapi.MatchmakerMatched](b)
	c, _ := add("c", "*", 5, "casual")
	e.srv.ProcessMatchmaker()
	ma := waitFor[*rtapi.MatchmakerMatched](a, nil)
	mc := waitFor[*rtapi.MatchmakerMatched](c, nil)
	if ma.GetToken() != mc.GetToken() {
		t.Fatal("a and c should share a match")
	}
	none[*rtapi.MatchmakerMatched](b)
	if got := e.srv.MatchmakerTickets(); len(got) != 1 {
		t.Fatalf("tickets left %v", got)
	}
}

func TestMatchmakerCountsAndMultiples(t *testing.T) {
	e := newRTEnv(t)
	e.srv.SetMatchmakerInterval(time.Hour)
	var socks []*sock
	for _, name := range []string{"u1", "u2", "u3"} {
		c := e.connect(e.user(name), nakama.SocketJSON, nil)
		if _, err := c.AddMatchmaker(rtCtx(t), "*", 2, 4, &nakama.MatchmakerOptions{CountMultiple: 2}); err != nil {
			t.Fatal(err)
		}
		socks = append(socks, c)
	}
	// First interval: no one reaches the maximum of 4, and it is nobody's
	// last interval, so they wait.
	e.srv.ProcessMatchmaker()
	none[*rtapi.MatchmakerMatched](socks[0])
	// Second (last) interval: they settle for a multiple of 2.
	e.srv.ProcessMatchmaker()
	count := func() (matched int) {
		for _, c := range socks {
			c.mu.Lock()
			for _, v := range c.backlog {
				if m, ok := v.(*rtapi.MatchmakerMatched); ok {
					matched++
					if len(m.Users) != 2 {
						t.Errorf("match of %d", len(m.Users))
					}
				}
			}
			c.mu.Unlock()
		}
		return matched
	}
	rtWaitUntil(t, func() bool { return count() >= 2 })
	time.Sleep(50 * time.Millisecond)
	if n := count(); n != 2 {
		t.Fatalf("%d users matched, want 2", n)
	}
	if n := len(e.srv.MatchmakerTickets()); n != 1 {
		t.Fatalf("%d tickets left, want 1", n)
	}
}

func TestMatchmakerErrors(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		c := e.connect(e.user("x"), f, nil)
		_, err := c.AddMatchmaker(rtCtx(t), "*", 1, 2, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid minimum count, must be >= 2")
		_, err = c.AddMatchmaker(rtCtx(t), "*", 3, 2, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid maximum count, must be >= minimum count")
		_, err = c.AddMatchmaker(rtCtx(t), "*", 2, 4, &nakama.MatchmakerOptions{CountMultiple: -1})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid count multiple, must be >= 1")
		_, err = c.AddMatchmaker(rtCtx(t), "*", 3, 4, &nakama.MatchmakerOptions{CountMultiple: 2})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid count multiple for minimum count, must divide")
		_, err = c.AddMatchmaker(rtCtx(t), "*", 2, 5, &nakama.MatchmakerOptions{CountMultiple: 2})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid count multiple for maximum count, must divide")
		_, err = c.AddMatchmaker(rtCtx(t), `properties.x:"unterminated`, 2, 2, nil)
		socketErr(t, err, rtapi.Error_RUNTIME_EXCEPTION, "Error adding to matchmaker")
		var tickets []string
		for range 3 {
			tk, err := c.AddMatchmaker(rtCtx(t), "", 2, 2, nil)
			if err != nil {
				t.Fatal(err)
			}
			tickets = append(tickets, tk.Ticket)
		}
		_, err = c.AddMatchmaker(rtCtx(t), "*", 2, 2, nil)
		socketErr(t, err, rtapi.Error_RUNTIME_EXCEPTION, "Error adding to matchmaker") // three tickets at most
		err = c.RemoveMatchmaker(rtCtx(t), "")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid matchmaker ticket")
		err = c.RemoveMatchmaker(rtCtx(t), "nope")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Matchmaker ticket not found")
		if err := c.RemoveMatchmaker(rtCtx(t), tickets[0]); err != nil {
			t.Fatal(err)
		}
		if got := e.srv.MatchmakerTickets(); !slices.Equal(got, tickets[1:]) {
			t.Fatalf("tickets %v", got)
		}
		// Another session cannot remove them; closing the socket does.
		other := e.connect(e.user("y"), f, nil)
		err = other.RemoveMatchmaker(rtCtx(t), tickets[1])
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Matchmaker ticket not found")
		_ = c.Close()
		rtWaitUntil(t, func() bool { return len(e.srv.MatchmakerTickets()) == 0 })
	})
}

// TestMatchmakerMatchedHook checks that the hook's match id replaces the
// token, so the users meet in an authoritative match.
func TestMatchmakerMatchedHook(t *testing.T) {
	e := newRTEnv(t)
	e.srv.RegisterMatch("counter", &counter{})
	var got []*nakamatest.MatchmakerEntry
	e.srv.OnMatchmakerMatched(func(_ context.Context, entries []*nakamatest.MatchmakerEntry) (string, error) {
		got = entries
		return e.srv.CreateMatch("counter", map[string]any{"label": "mm"})
	})
	a := e.connect(e.user("a"), nakama.SocketJSON, nil)
	b := e.connect(e.user("b"), nakama.SocketProtobuf, nil)
	for _, c := range []*sock{a, b} {
		if _, err := c.AddMatchmaker(rtCtx(t), "*", 2, 2, &nakama.MatchmakerOptions{StringProperties: map[string]string{"k": "v"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.ProcessMatchmaker()
	ma := waitFor[*rtapi.MatchmakerMatched](a, nil)
	if ma.GetMatchId() == "" || ma.GetToken() != "" {
		t.Fatalf("matched %v", ma)
	}
	if len(got) != 2 || got[0].GetProperties()["k"] != "v" || got[0].GetPresence().GetNodeId() != "nakama" {
		t.Fatalf("hook got %v", got)
	}
	m, err := a.JoinMatch(rtCtx(t), ma.GetMatchId(), nil)
	if err != nil || !m.Authoritative || m.Label.GetValue() != "mm" {
		t.Fatalf("join %v %v", m, err)
	}
}
