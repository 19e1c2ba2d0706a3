package nakamatest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/rtapi"
)

func TestPartyLifecycle(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		alice, bob := e.user("alice"), e.user("bob")
		a := e.connect(alice, f, nil)
		b := e.connect(bob, nakama.SocketJSON, nil)

		p, err := a.CreateParty(rtCtx(t), false, 3, &nakama.CreatePartyOptions{Label: `{"game":"chess"}`})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(p.PartyId, ".nakama") || p.Open || p.MaxSize != 3 || p.Label != `{"game":"chess"}` ||
			p.Leader.UserId != alice.UserID() || len(p.Presences) != 1 {
			t.Fatalf("created %v", p)
		}
		// The creator also gets the party's state as a member, then the
		// presence event of their join.
		if ev := waitFor[*rtapi.Party](a, nil); ev.PartyId != p.PartyId || ev.Label != "" || ev.Self.UserId != alice.UserID() {
			t.Fatalf("creator's party event %v", ev)
		}
		waitFor[*rtapi.PartyPresenceEvent](a, nil)
		list, err := e.client.ListParties(rtCtx(t), alice, &nakama.ListPartiesOptions{Query: "+label.game:chess"})
		if err != nil || len(list.Parties) != 1 || list.Parties[0].PartyId != p.PartyId {
			t.Fatalf("listed %v %v", list, err)
		}

		// A closed party takes requests.
		if err := b.JoinParty(rtCtx(t), p.PartyId); err != nil {
			t.Fatal(err)
		}
		req := waitFor[*rtapi.PartyJoinRequest](a, nil)
		if req.PartyId != p.PartyId || len(req.Presences) != 1 || req.Presences[0].UserId != bob.UserID() {
			t.Fatalf("request %v", req)
		}
		err = b.JoinParty(rtCtx(t), p.PartyId)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party join request duplicate")
		reqs, err := a.ListPartyJoinRequests(rtCtx(t), p.PartyId)
		if err != nil || len(reqs.Presences) != 1 {
			t.Fatalf("requests %v %v", reqs, err)
		}
		_, err = b.ListPartyJoinRequests(rtCtx(t), p.PartyId)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error listing party join requests: party leader only")

		bobP := reqs.Presences[0]
		if err := a.AcceptPartyMember(rtCtx(t), p.PartyId, bobP); err != nil {
			t.Fatal(err)
		}
		joined := waitFor[*rtapi.Party](b, nil)
		if len(joined.Presences) != 2 || joined.Leader.UserId != alice.UserID() || joined.Self.UserId != bob.UserID() {
			t.Fatalf("bob's party %v", joined)
		}
		for _, s := range []*sock{a, b} {
			ev := waitFor[*rtapi.PartyPresenceEvent](s, func(ev *rtapi.PartyPresenceEvent) bool {
				return len(ev.Joins) == 1 && ev.Joins[0].UserId == bob.UserID()
			})
			if ev.PartyId != p.PartyId {
				t.Fatalf("presence %v", ev)
			}
		}
		err = a.AcceptPartyMember(rtCtx(t), p.PartyId, bobP)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error accepting party join request: party join request not found")

		if err := b.SendPartyData(rtCtx(t), p.PartyId, 3, []byte("hi")); err != nil {
			t.Fatal(err)
		}
		d := waitFor[*rtapi.PartyData](a, nil)
		if d.OpCode != 3 || string(d.Data) != "hi" || d.Presence.UserId != bob.UserID() {
			t.Fatalf("data %v", d)
		}
		none[*rtapi.PartyData](b)

		if err := a.PromotePartyMember(rtCtx(t), p.PartyId, bobP); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*sock{a, b} {
			if l := waitFor[*rtapi.PartyLeader](s, nil); l.Presence.UserId != bob.UserID() {
				t.Fatalf("leader %v", l)
			}
		}
		err = a.UpdateParty(rtCtx(t), p.PartyId, `{}`, true, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error updating party: party leader only")
		err = b.UpdateParty(rtCtx(t), p.PartyId, `{"game":"go"}`, true, &nakama.UpdatePartyOptions{Hidden: true})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error updating party: party is hidden and label is not empty, invalid operation")
		if err := b.UpdateParty(rtCtx(t), p.PartyId, `{"game":"go"}`, true, nil); err != nil {
			t.Fatal(err)
		}
		// Members are sent a PartyUpdate.
		for _, s := range []*sock{a, b} {
			if u := waitFor[*rtapi.PartyUpdate](s, nil); u.PartyId != p.PartyId || !u.Open || u.Hidden || u.Label != `{"game":"go"}` {
				t.Fatalf("update event: %v", u)
			}
		}
		list, _ = e.client.ListParties(rtCtx(t), alice, &nakama.ListPartiesOptions{Query: "+label.game:go"})
		if len(list.GetParties()) != 1 || !list.Parties[0].Open {
			t.Fatalf("listed after update %v", list)
		}

		tk, err := b.AddMatchmakerParty(rtCtx(t), p.PartyId, "*", 3, 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ev := waitFor[*rtapi.PartyMatchmakerTicket](a, nil); ev.Ticket != tk.Ticket || ev.PartyId != p.PartyId {
			t.Fatalf("ticket event %v", ev)
		}
		err = b.RemoveMatchmakerParty(rtCtx(t), p.PartyId, "nope")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error closing party: matchmaker ticket not found")
		if err := b.RemoveMatchmakerParty(rtCtx(t), p.PartyId, tk.Ticket); err != nil {
			t.Fatal(err)
		}

		aliceP := joined.Presences[0]
		err = b.RemovePartyMember(rtCtx(t), p.PartyId, joined.Self)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error removing party member or join request: party cannot remove self")
		if err := b.RemovePartyMember(rtCtx(t), p.PartyId, aliceP); err != nil {
			t.Fatal(err)
		}
		if c := waitFor[*rtapi.PartyClose](a, nil); c.PartyId != p.PartyId {
			t.Fatalf("close %v", c)
		}
		waitFor[*rtapi.PartyPresenceEvent](b, func(ev *rtapi.PartyPresenceEvent) bool { return len(ev.Leaves) == 1 })

		if err := b.CloseParty(rtCtx(t), p.PartyId); err != nil {
			t.Fatal(err)
		}
		waitFor[*rtapi.PartyClose](b, nil)
		err = b.JoinParty(rtCtx(t), p.PartyId)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party not found")
		list, _ = e.client.ListParties(rtCtx(t), alice, nil)
		if len(list.GetParties()) != 0 {
			t.Fatalf("closed party listed %v", list)
		}
	})
}

func TestPartyOpenAndLeader(t *testing.T) {
	e := newRTEnv(t)
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	a := e.connect(alice, nakama.SocketProtobuf, nil)
	b := e.connect(bob, nakama.SocketJSON, nil)
	c := e.connect(carol, nakama.SocketProtobuf, nil)
	p, err := a.CreateParty(rtCtx(t), true, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.JoinParty(rtCtx(t), p.PartyId); err != nil {
		t.Fatal(err)
	}
	if got := waitFor[*rtapi.Party](b, nil); len(got.Presences) != 2 {
		t.Fatalf("bob's party %v", got)
	}
	err = c.JoinParty(rtCtx(t), p.PartyId)
	socketErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party full")

	// The leader leaving makes the oldest member leader.
	if err := a.LeaveParty(rtCtx(t), p.PartyId); err != nil {
		t.Fatal(err)
	}
	if l := waitFor[*rtapi.PartyLeader](b, nil); l.Presence.UserId != bob.UserID() {
		t.Fatalf("new leader %v", l)
	}
	// The last member leaving ends the party.
	_ = b.Close()
	rtWaitUntil(t, func() bool {
		l, _ := e.client.ListParties(rtCtx(t), alice, nil)
		return len(l.GetParties()) == 0
	})
	err = c.JoinParty(rtCtx(t), p.PartyId)
	socketErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party not found")
}

func TestPartyErrors(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		c := e.connect(e.user("x"), f, nil)
		_, err := c.CreateParty(rtCtx(t), true, 257, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid party max size, must be 1-256")
		_, err = c.CreateParty(rtCtx(t), true, 2, &nakama.CreatePartyOptions{Label: "[1]"})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error creating party: failed to unmarshal party label: json: cannot unmarshal array into Go value of type map[string]interface {}")
		_, err = c.CreateParty(rtCtx(t), true, 2, &nakama.CreatePartyOptions{Label: `{"a":"` + strings.Repeat("x", 2048) + `"}`})
		if err == nil {
			t.Fatal("long label accepted")
		}
		err = c.JoinParty(rtCtx(t), "x")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid party ID")
		err = c.JoinParty(rtCtx(t), "8d2c3a4e-5b6f-4a7b-8c9d-0e1f2a3b4c5d.nakama")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error joining party: party not found")
		err = c.PromotePartyMember(rtCtx(t), "x", nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid presence")
		err = c.SendPartyData(rtCtx(t), "8d2c3a4e-5b6f-4a7b-8c9d-0e1f2a3b4c5d.nakama", 1, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Error sending party data: party not found")
		_, err = c.AddMatchmakerParty(rtCtx(t), "x", "*", 1, 2, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid minimum count, must be >= 2")
		err = c.RemoveMatchmakerParty(rtCtx(t), "x", "")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid matchmaker ticket")
		// Leaving a party one is not in is fine.
		if err := c.LeaveParty(rtCtx(t), "8d2c3a4e-5b6f-4a7b-8c9d-0e1f2a3b4c5d.nakama"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPartyMatchmaker checks that a party's ticket matches its members
// together with others, and that a member joining cancels it.
func TestPartyMatchmaker(t *testing.T) {
	e := newRTEnv(t)
	e.srv.SetMatchmakerInterval(time.Hour)
	a := e.connect(e.user("a"), nakama.SocketJSON, nil)
	b := e.connect(e.user("b"), nakama.SocketProtobuf, nil)
	c := e.connect(e.user("c"), nakama.SocketJSON, nil)
	p, err := a.CreateParty(rtCtx(t), true, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.JoinParty(rtCtx(t), p.PartyId); err != nil {
		t.Fatal(err)
	}
	waitFor[*rtapi.Party](b, nil)
	if _, err := a.AddMatchmakerParty(rtCtx(t), p.PartyId, "*", 3, 3, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddMatchmaker(rtCtx(t), "*", 3, 3, nil); err != nil {
		t.Fatal(err)
	}
	e.srv.ProcessMatchmaker()
	for _, s := range []*sock{a, b, c} {
		m := waitFor[*rtapi.MatchmakerMatched](s, nil)
		if len(m.Users) != 3 {
			t.Fatalf("users %v", m.Users)
		}
		if s != c && m.Self.PartyId != p.PartyId {
			t.Fatalf("party member's self %v", m.Self)
		}
	}
}
