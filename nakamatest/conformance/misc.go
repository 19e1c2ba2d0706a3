package conformance

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

// FixtureSendChannelMessage stores a persistent chat message, as a runtime
// function sending one does, and answers with a ChannelMessageSent.
const FixtureSendChannelMessage = "conformance_send_channel_message"

// ChannelMessage is FixtureSendChannelMessage's payload.
type ChannelMessage struct {
	ChannelID string         `json:"channel_id"`
	Content   map[string]any `json:"content"`
	SenderID  string         `json:"sender_id"`
	Username  string         `json:"username"`
}

// ChannelMessageSent is FixtureSendChannelMessage's answer.
type ChannelMessageSent struct {
	MessageID string `json:"message_id"`
}

func boolPtr(b bool) *bool { return &b }

// directServer returns the nakamatest server behind the target, or skips
// the test on a real server, whose state a client cannot set up; needs
// says what the test uses nakamatest's direct API for.
func directServer(t *testing.T, h *Harness, needs string) *nakamatest.Server {
	t.Helper()
	srv, ok := h.Target.Extra.(*nakamatest.Server)
	if !ok || h.Target.Real {
		t.Skip("needs nakamatest's direct API (" + needs + "): not available on a real server")
	}
	return srv
}

func init() {
	installers = append(installers, func(s *nakamatest.Server) {
		s.RegisterRPC(FixtureSendChannelMessage, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			var m ChannelMessage
			if err := json.Unmarshal([]byte(in.Payload), &m); err != nil {
				return "", err
			}
			content, err := fixtureContent(m.Content)
			if err != nil {
				return "", err
			}
			sent, err := s.AddChannelMessage(nakamatest.ChannelMessage{ChannelID: m.ChannelID, SenderID: m.SenderID,
				Username: m.Username, Content: content})
			if err != nil {
				return "", err
			}
			out, err := json.Marshal(ChannelMessageSent{MessageID: sent.MessageId})
			return string(out), err
		})
	})

	register(
		Case{Name: "channels/history-access", Run: func(t *testing.T, h *Harness) {
			a, b, c := h.NewUser(t), h.NewUser(t), h.NewUser(t)
			room := "2..." + h.Unique("room")
			l, err := h.Client.ListChannelMessages(h.Ctx(t), a, room, &nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Limit: 10}})
			Must(t, err)
			if len(l.Messages) != 0 || l.NextCursor != "" || l.PrevCursor != "" || l.CacheableCursor != "" {
				t.Errorf("empty room: %v", l)
			}
			// A direct chat is readable by its two users only.
			dm := "4." + a.UserID() + "." + b.UserID() + "."
			_, err = h.Client.ListChannelMessages(h.Ctx(t), b, dm, nil)
			Must(t, err)
			_, err = h.Client.ListChannelMessages(h.Ctx(t), c, dm, nil)
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Channel not found." {
				t.Errorf("foreign direct chat: %q", e.Message)
			}
			// A group's history needs membership; an unknown group has none.
			_, err = h.Client.ListChannelMessages(h.Ctx(t), a, "3.00000000-0000-4000-8000-00000000beef..", nil)
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Group not found." {
				t.Errorf("unknown group: %q", e.Message)
			}
			for _, id := range []string{"lobby", "2..", "2.x..room", "5...x", "3.not-a-uuid..", "4...label"} {
				_, err = h.Client.ListChannelMessages(h.Ctx(t), a, id, nil)
				if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid channel ID." {
					t.Errorf("channel id %q: %q", id, e.Message)
				}
			}
			_, err = h.Client.ListChannelMessages(h.Ctx(t), a, room, &nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Limit: 101}})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid limit - limit must be between 1 and 100." {
				t.Errorf("bad limit: %q", e.Message)
			}
			_, err = h.Client.ListChannelMessages(h.Ctx(t), a, room, &nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Cursor is invalid or expired." {
				t.Errorf("bad cursor: %q", e.Message)
			}
		}},

		Case{Name: "channels/history-paging", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			room := "2..." + h.Unique("room")
			var sent []string
			for n := 1; n <= 3; n++ {
				var ack ChannelMessageSent
				h.Fixture(t, FixtureSendChannelMessage, ChannelMessage{ChannelID: room, Content: map[string]any{"n": n},
					SenderID: s.UserID(), Username: s.Username()}, &ack)
				sent = append(sent, ack.MessageID)
			}
			contents := func(l *api.ChannelMessageList) []string {
				var out []string
				for _, m := range l.Messages {
					out = append(out, m.Content)
				}
				return out
			}
			list := func(limit int, backward bool, cursor string) *api.ChannelMessageList {
				t.Helper()
				l, err := h.Client.ListChannelMessages(h.Ctx(t), s, room,
					&nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Limit: limit, Cursor: cursor}, Backward: backward})
				Must(t, err)
				return l
			}
			first := list(2, false, "")
			if got := contents(first); !equalStrings(got, []string{`{"n": 1}`, `{"n": 2}`}) || first.NextCursor == "" || first.PrevCursor != "" {
				t.Fatalf("first page %v %v", got, first)
			}
			m := first.Messages[0]
			if m.MessageId != sent[0] || m.ChannelId != room || m.RoomName != room[4:] || m.SenderId != s.UserID() || m.Username != s.Username() ||
				m.GetCode().GetValue() != 0 || !m.GetPersistent().GetValue() {
				t.Errorf("message %v", m)
			}
			second := list(2, false, first.NextCursor)
			if got := contents(second); !equalStrings(got, []string{`{"n": 3}`}) || second.NextCursor != "" || second.PrevCursor == "" {
				t.Errorf("second page %v %v", got, second)
			}
			back := list(2, false, second.PrevCursor)
			if got := contents(back); !equalStrings(got, []string{`{"n": 1}`, `{"n": 2}`}) {
				t.Errorf("previous page %v", got)
			}
			newest := list(2, true, "")
			if got := contents(newest); !equalStrings(got, []string{`{"n": 3}`, `{"n": 2}`}) {
				t.Errorf("backward page %v", got)
			}
			// A cursor is for one direction only.
			_, err := h.Client.ListChannelMessages(h.Ctx(t), s, room,
				&nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Cursor: newest.NextCursor}})
			Code(t, err, nakama.InvalidArgument)
		}},

		Case{Name: "matches/list", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			label := h.Unique("label")
			l, err := h.Client.ListMatches(h.Ctx(t), s, &nakama.ListMatchesOptions{Label: label})
			Must(t, err)
			if len(l.Matches) != 0 {
				t.Errorf("unique label listed %v", l.Matches)
			}
			l, err = h.Client.ListMatches(h.Ctx(t), s, &nakama.ListMatchesOptions{Query: "+label.run:" + label, Authoritative: boolPtr(true)})
			Must(t, err)
			if len(l.Matches) != 0 {
				t.Errorf("unique query listed %v", l.Matches)
			}
			bad := []struct {
				o    nakama.ListMatchesOptions
				code nakama.Code
				msg  string
			}{
				{nakama.ListMatchesOptions{Limit: 101}, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 100."},
				{nakama.ListMatchesOptions{Label: "x", Authoritative: boolPtr(false)}, nakama.InvalidArgument, "Label filtering is not supported for non-authoritative matches."},
				{nakama.ListMatchesOptions{Query: "*", Authoritative: boolPtr(false)}, nakama.InvalidArgument, "Query filtering is not supported for non-authoritative matches."},
				{nakama.ListMatchesOptions{MinSize: int32Ptr(-1)}, nakama.InvalidArgument, "Minimum size must be 0 or above."},
				{nakama.ListMatchesOptions{MaxSize: int32Ptr(-1)}, nakama.InvalidArgument, "Maximum size must be 0 or above."},
				{nakama.ListMatchesOptions{MinSize: int32Ptr(3), MaxSize: int32Ptr(2)}, nakama.InvalidArgument, "Maximum size must be greater than or equal to minimum size when both are specified."},
				{nakama.ListMatchesOptions{Query: `label.x:"open`}, nakama.Internal, "Error listing matches."},
			}
			for _, b := range bad {
				_, err := h.Client.ListMatches(h.Ctx(t), s, &b.o)
				if e := Code(t, err, b.code); e.Message != b.msg {
					t.Errorf("%+v: %q, want %q", b.o, e.Message, b.msg)
				}
			}
		}},

		Case{Name: "matches/list-filters", Run: func(t *testing.T, h *Harness) {
			srv := directServer(t, h, "server-side matches and parties")
			s := h.NewUser(t)
			run := h.Unique("run")
			add := func(m nakamatest.Match) string {
				id, err := srv.AddMatch(m)
				Must(t, err)
				t.Cleanup(func() { srv.RemoveMatch(id) })
				return id
			}
			small := add(nakamatest.Match{Authoritative: true, Label: `{"run":"` + run + `","level":5,"mode":"ffa"}`, Size: 0, TickRate: 10, HandlerName: "h"})
			big := add(nakamatest.Match{Authoritative: true, Label: `{"run":"` + run + `","level":20,"mode":"ffa"}`, Size: 4})
			list := func(opts *nakama.ListMatchesOptions) []string {
				t.Helper()
				l, err := h.Client.ListMatches(h.Ctx(t), s, opts)
				Must(t, err)
				var ids []string
				for _, m := range l.Matches {
					ids = append(ids, m.MatchId)
				}
				return ids
			}
			q := "+label.run:" + run
			if got := list(&nakama.ListMatchesOptions{Query: q}); !equalStrings(got, []string{big, small}) {
				t.Errorf("query: %v, want newest first %v", got, []string{big, small})
			}
			if got := list(&nakama.ListMatchesOptions{Query: q + " +label.level:>=10"}); !equalStrings(got, []string{big}) {
				t.Errorf("range query: %v", got)
			}
			if got := list(&nakama.ListMatchesOptions{Query: q + " -label.level:5"}); !equalStrings(got, []string{big}) {
				t.Errorf("must-not query: %v", got)
			}
			if got := list(&nakama.ListMatchesOptions{Query: q, MinSize: int32Ptr(1)}); !equalStrings(got, []string{big}) {
				t.Errorf("min size: %v", got)
			}
			if got := list(&nakama.ListMatchesOptions{Query: q, MaxSize: int32Ptr(0)}); !equalStrings(got, []string{small}) {
				t.Errorf("max size: %v", got)
			}
			if got := list(&nakama.ListMatchesOptions{Query: q, Limit: 1}); !equalStrings(got, []string{big}) {
				t.Errorf("limit: %v", got)
			}
		}},

		Case{Name: "parties/list", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			l, err := h.Client.ListParties(h.Ctx(t), s, &nakama.ListPartiesOptions{Query: "+label.run:" + h.Unique("run")})
			Must(t, err)
			if len(l.Parties) != 0 || l.Cursor != "" {
				t.Errorf("unique query listed %v", l)
			}
			_, err = h.Client.ListParties(h.Ctx(t), s, &nakama.ListPartiesOptions{ListOptions: nakama.ListOptions{Limit: 101}})
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid limit - limit must be between 1 and 100." {
				t.Errorf("bad limit: %q", e.Message)
			}
			_, err = h.Client.ListParties(h.Ctx(t), s, &nakama.ListPartiesOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
			if e := Code(t, err, nakama.Internal); e.Message != "Error listing matches." {
				t.Errorf("bad cursor: %q", e.Message)
			}
		}},

		Case{Name: "parties/list-paging", Run: func(t *testing.T, h *Harness) {
			srv := directServer(t, h, "server-side matches and parties")
			s := h.NewUser(t)
			run := h.Unique("run")
			var open []string
			for i, p := range []nakamatest.Party{
				{Open: true, MaxSize: 4, Label: `{"run":"` + run + `"}`},
				{Open: false, MaxSize: 4, Label: `{"run":"` + run + `"}`},
				{Open: true, MaxSize: 2, Label: `{"run":"` + run + `"}`},
				{Open: true, MaxSize: 8, Hidden: true},
			} {
				id, err := srv.AddParty(p)
				Must(t, err)
				t.Cleanup(func() { srv.RemoveParty(id) })
				if i != 1 && !p.Hidden {
					open = append(open, id)
				}
			}
			opts := &nakama.ListPartiesOptions{ListOptions: nakama.ListOptions{Limit: 1}, Open: boolPtr(true), Query: "+label.run:" + run}
			var got []string
			for i := 0; ; i++ {
				l, err := h.Client.ListParties(h.Ctx(t), s, opts)
				Must(t, err)
				for _, p := range l.Parties {
					got = append(got, p.PartyId)
					if !p.Open || p.Label != `{"run":"`+run+`"}` {
						t.Errorf("party %v", p)
					}
				}
				if l.Cursor == "" {
					break
				}
				opts.Cursor = l.Cursor
				if i > 5 {
					t.Fatal("paging does not end")
				}
			}
			if !equalStrings(got, open) {
				t.Errorf("open parties %v, want %v", got, open)
			}
			// A cursor only continues the listing it came from.
			first, err := h.Client.ListParties(h.Ctx(t), s, &nakama.ListPartiesOptions{ListOptions: nakama.ListOptions{Limit: 1}, Query: "+label.run:" + run})
			Must(t, err)
			_, err = h.Client.ListParties(h.Ctx(t), s, &nakama.ListPartiesOptions{ListOptions: nakama.ListOptions{Limit: 2, Cursor: first.Cursor}, Query: "+label.run:" + run})
			Code(t, err, nakama.Internal)
		}},

		Case{Name: "matchmaker/stats", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			st, err := h.Client.GetMatchmakerStats(h.Ctx(t), s)
			Must(t, err)
			if st.TicketCount < 0 {
				t.Errorf("stats %v", st)
			}
			// realtime/matchmaker runs alongside, so the pool need not be
			// idle; the statistics must still be consistent.
			if (st.TicketCount == 0) != (st.OldestTicketCreateTime == nil) || len(st.Completions) > 10 {
				t.Errorf("inconsistent statistics %v", st)
			}
		}},

		Case{Name: "events/accepted", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			name := h.Unique("event")
			Must(t, h.Client.Event(h.Ctx(t), s, name, map[string]string{"k": "v"}))
			Must(t, h.Client.Event(h.Ctx(t), s, "", nil))
			if h.Target.Real {
				return
			}
			srv := h.Target.Extra.(*nakamatest.Server)
			for _, e := range srv.Events() {
				if e.Name == name {
					if !e.External || e.Properties["k"] != "v" {
						t.Errorf("event %v", e)
					}
					return
				}
			}
			t.Errorf("event %s not recorded", name)
		}},

		Case{Name: "purchases/unconfigured", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			ctx := h.Ctx(t)
			expect := func(what string, err error, code nakama.Code, msg string) {
				t.Helper()
				if e := Code(t, err, code); msg != "" && e.Message != msg {
					t.Errorf("%s: %q, want %q", what, e.Message, msg)
				}
			}
			var err error
			_, err = h.Client.ValidatePurchaseApple(ctx, s, "", nil)
			expect("apple, empty", err, nakama.InvalidArgument, "Receipt cannot be empty.")
			_, err = h.Client.ValidatePurchaseApple(ctx, s, "bm90LWEtandz", nil)
			expect("apple, legacy receipt", err, nakama.FailedPrecondition, "Apple IAP is not configured.")
			_, err = h.Client.ValidatePurchaseApple(ctx, s, "e30.e30.sig", nil)
			expect("apple, JWS receipt", err, nakama.Unknown, "invalid jws header: x5c field must contain at least 3 certificates")
			_, err = h.Client.ValidatePurchaseGoogle(ctx, s, "", nil)
			expect("google", err, nakama.FailedPrecondition, "Google IAP is not configured.")
			_, err = h.Client.ValidatePurchaseHuawei(ctx, s, "p", "sig", nil)
			expect("huawei", err, nakama.FailedPrecondition, "Huawei IAP is not configured.")
			_, err = h.Client.ValidatePurchaseFacebookInstant(ctx, s, "", nil)
			expect("facebook instant", err, nakama.FailedPrecondition, "Facebook Instant IAP is not configured.")
			_, err = h.Client.ValidatePurchaseSamsung(ctx, s, "", nil)
			expect("samsung, empty", err, nakama.InvalidArgument, "Purchase ID cannot be empty.")
			if !h.Target.Real {
				// A real server asks Samsung, whatever the network says.
				_, err = h.Client.ValidatePurchaseSamsung(ctx, s, "purchase", nil)
				expect("samsung", err, nakama.Unknown, "")
			}
			_, err = h.Client.ValidateSubscriptionApple(ctx, s, "", nil)
			expect("apple subscription", err, nakama.FailedPrecondition, "Apple IAP is not configured.")
			_, err = h.Client.ValidateSubscriptionGoogle(ctx, s, "", &nakama.ValidatePurchaseOptions{DontPersist: true})
			expect("google subscription", err, nakama.FailedPrecondition, "Google IAP is not configured.")

			_, err = h.Client.GetSubscription(ctx, s, h.Unique("product"))
			expect("get subscription", err, nakama.NotFound, "subscription not found")
			l, err := h.Client.ListSubscriptions(ctx, s, nil)
			Must(t, err)
			if len(l.ValidatedSubscriptions) != 0 || l.Cursor != "" || l.PrevCursor != "" {
				t.Errorf("subscriptions %v", l)
			}
			_, err = h.Client.ListSubscriptions(ctx, s, &nakama.ListOptions{Limit: 101})
			expect("list subscriptions, bad limit", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
		}},
	)
}

func int32Ptr(n int32) *int32 { return &n }
