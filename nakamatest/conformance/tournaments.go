package conformance

import (
	"crypto/rand"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/proto"
)

func init() {
	register(
		Case{Name: "tournaments/list", Run: testTournamentList},
		Case{Name: "tournaments/write-and-records", Run: testTournamentWriteAndRecords},
		Case{Name: "tournaments/join-required", Run: testTournamentJoinRequired},
		Case{Name: "tournaments/limits", Run: testTournamentLimits},
		Case{Name: "tournaments/not-started", Run: testTournamentNotStarted},
		Case{Name: "tournaments/ended", Run: testTournamentEnded},
		Case{Name: "tournaments/recurring", Run: testTournamentRecurring},
		Case{Name: "tournaments/errors", Run: testTournamentErrors},
	)
}

// newTournament creates a tournament with a unique id through the
// fixture; empty sort order and operator mean desc and best, and a zero
// duration an hour.
func newTournament(t *testing.T, h *Harness, tt Tournament) string {
	t.Helper()
	tt.ID = h.Unique("t")
	if tt.SortOrder == "" {
		tt.SortOrder = "desc"
	}
	if tt.Operator == "" {
		tt.Operator = "best"
	}
	if tt.Duration == 0 {
		tt.Duration = 3600
	}
	h.Fixture(t, FixtureCreateTournament, tt, nil)
	return tt.ID
}

func writeT(t *testing.T, h *Harness, s *nakama.Session, id string, score int64, opts *nakama.WriteRecordOptions) *api.LeaderboardRecord {
	t.Helper()
	rec, err := h.Client.WriteTournamentRecord(h.Ctx(t), s, id, score, opts)
	Must(t, err)
	return rec
}

func listT(t *testing.T, h *Harness, s *nakama.Session, id string, opts *nakama.ListRecordsOptions) *api.TournamentRecordList {
	t.Helper()
	l, err := h.Client.ListTournamentRecords(h.Ctx(t), s, id, opts)
	Must(t, err)
	return l
}

// findT pages through the tournaments opts lists until it finds id: a
// real server that has run the suite many times lists more tournaments
// than one page holds.
func findT(t *testing.T, h *Harness, s *nakama.Session, id string, opts *nakama.ListTournamentsOptions) *api.Tournament {
	t.Helper()
	var o nakama.ListTournamentsOptions
	if opts != nil {
		o = *opts
	}
	for range 1000 {
		l, err := h.Client.ListTournaments(h.Ctx(t), s, &o)
		Must(t, err)
		for _, tt := range l.Tournaments {
			if tt.Id == id {
				return tt
			}
		}
		if l.Cursor == "" || l.Cursor == o.Cursor {
			return nil
		}
		o.Cursor = l.Cursor
	}
	t.Fatalf("tournament %s: the listing did not end after 1000 pages", id)
	return nil
}

func u32(v int64) *uint32 {
	u := uint32(v)
	return &u
}

func testTournamentList(t *testing.T, h *Harness) {
	// Tournaments in a time window of their own, in the future, so that
	// tournaments of other runs stay out of the way.
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	start := time.Now().Unix() + 30*86400 + n.Int64()*10
	end := start + 10000
	a := newTournament(t, h, Tournament{Title: "A", Description: "first", Category: 20, StartTime: start, EndTime: end,
		Metadata: map[string]any{"b": 1, "a": "x"}})
	b := newTournament(t, h, Tournament{Category: 21, StartTime: start, EndTime: end - 1})
	c := newTournament(t, h, Tournament{Category: 22, StartTime: start + 1, EndTime: end, JoinRequired: true, Operator: "incr", SortOrder: "asc"})
	p := h.NewUser(t)
	window := nakama.ListTournamentsOptions{StartTime: u32(start), EndTime: u32(end)}

	// Paging one at a time: start time, then end time (latest first), then
	// category.
	var ids []string
	opts := window
	opts.Limit = 1
	for range 20 {
		l, err := h.Client.ListTournaments(h.Ctx(t), p, &opts)
		Must(t, err)
		for _, tt := range l.Tournaments {
			ids = append(ids, tt.Id)
		}
		if opts.Cursor = l.Cursor; opts.Cursor == "" {
			break
		}
	}
	ours := slices.DeleteFunc(ids, func(id string) bool { return id != a && id != b && id != c })
	if !slices.Equal(ours, []string{a, b, c}) {
		t.Errorf("paged tournaments %v, want %v", ours, []string{a, b, c})
	}

	got := findT(t, h, p, a, &window)
	if got == nil {
		t.Fatalf("tournament %s not listed", a)
	}
	want := &api.Tournament{Id: a, Title: "A", Description: "first", Category: 20, SortOrder: 1, MaxSize: 2147483647,
		MaxNumScore: 1000000, EndActive: uint32(start + 3600), NextReset: uint32(end), Metadata: `{"a": "x", "b": 1}`,
		Duration: 3600, StartActive: uint32(start), Operator: api.Operator_BEST}
	if got.StartTime.GetSeconds() != start || got.EndTime.GetSeconds() != end || got.CreateTime == nil {
		t.Errorf("times: start %v end %v create %v", got.StartTime, got.EndTime, got.CreateTime)
	}
	got.StartTime, got.EndTime, got.CreateTime = nil, nil, nil
	if !proto.Equal(got, want) {
		t.Errorf("tournament %v\nwant %v", got, want)
	}
	if got := findT(t, h, p, c, &window); got == nil || !got.JoinRequired || got.Operator != api.Operator_INCREMENT || got.SortOrder != 0 {
		t.Errorf("tournament c %v", got)
	}

	// Filters: categories, and end times.
	cats := window
	cats.CategoryStart, cats.CategoryEnd = u32(21), u32(22)
	if findT(t, h, p, a, &cats) != nil || findT(t, h, p, b, &cats) == nil || findT(t, h, p, c, &cats) == nil {
		t.Error("category filter 21-22")
	}
	early := window
	early.EndTime = u32(end - 1)
	if findT(t, h, p, a, &early) != nil || findT(t, h, p, b, &early) == nil {
		t.Error("end time filter")
	}
	never := nakama.ListTournamentsOptions{StartTime: u32(start), EndTime: u32(0)}
	if findT(t, h, p, a, &never) != nil {
		t.Error("end time 0 lists a tournament that ends")
	}
}

func testTournamentWriteAndRecords(t *testing.T, h *Harness) {
	id := newTournament(t, h, Tournament{EnableRanks: true})
	ps := players(t, h, 2)
	ctx := h.Ctx(t)
	rec := writeT(t, h, ps[0], id, 10, &nakama.WriteRecordOptions{Metadata: `{"k": true}`})
	if rec.LeaderboardId != id || rec.Score != 10 || rec.NumScore != 1 || rec.Rank != 1 || rec.ExpiryTime != nil ||
		rec.MaxNumScore != 1000000 || rec.GetUsername().GetValue() != ps[0].Username() || rec.Metadata != `{"k": true}` {
		t.Errorf("first write %v", rec)
	}
	// Every write counts as an attempt, improving or not.
	if rec := writeT(t, h, ps[0], id, 5, nil); rec.Score != 10 || rec.NumScore != 2 || rec.Metadata != `{"k": true}` {
		t.Errorf("second write %v", rec)
	}
	if rec := writeT(t, h, ps[1], id, 20, nil); rec.Rank != 1 {
		t.Errorf("better write rank %d", rec.Rank)
	}

	l := listT(t, h, ps[0], id, &nakama.ListRecordsOptions{OwnerIDs: []string{ps[0].UserID()}})
	if summary(ps, l.Records) != "p1:20:1 p0:10:2" || summary(ps, l.OwnerRecords) != "p0:10:2" || l.RankCount != 2 {
		t.Errorf("records %s / %s, rank count %d", summary(ps, l.Records), summary(ps, l.OwnerRecords), l.RankCount)
	}
	p1 := listT(t, h, ps[0], id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 1}})
	p2 := listT(t, h, ps[0], id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 1, Cursor: p1.NextCursor}})
	if summary(ps, p1.Records) != "p1:20:1" || summary(ps, p2.Records) != "p0:10:2" || p2.PrevCursor == "" || p2.NextCursor != "" {
		t.Errorf("pages %s | %s", summary(ps, p1.Records), summary(ps, p2.Records))
	}
	// Around an owner, the server hands back the next cursor as both.
	around, err := h.Client.ListTournamentRecordsAroundOwner(ctx, ps[0], id, ps[1].UserID(), &nakama.ListRecordsAroundOwnerOptions{ListOptions: nakama.ListOptions{Limit: 1}})
	Must(t, err)
	if summary(ps, around.Records) != "p1:20:1" || around.NextCursor == "" || around.PrevCursor != around.NextCursor || around.RankCount != 2 {
		t.Errorf("around %s, prev %q, next %q", summary(ps, around.Records), around.PrevCursor, around.NextCursor)
	}
	around, err = h.Client.ListTournamentRecordsAroundOwner(ctx, ps[0], id, ps[0].UserID(), nil)
	Must(t, err)
	if summary(ps, around.Records) != "p1:20:1 p0:10:2" {
		t.Errorf("around with the default limit %s", summary(ps, around.Records))
	}

	Must(t, h.Client.DeleteTournamentRecord(ctx, ps[1], id))
	if l := listT(t, h, ps[0], id, nil); summary(ps, l.Records) != "p0:10:1" {
		t.Errorf("after delete %s", summary(ps, l.Records))
	}
}

func testTournamentJoinRequired(t *testing.T, h *Harness) {
	id := newTournament(t, h, Tournament{JoinRequired: true, MaxSize: 2, MaxNumScore: 2})
	ps := players(t, h, 3)
	ctx := h.Ctx(t)
	_, err := h.Client.WriteTournamentRecord(ctx, ps[0], id, 10, nil)
	if e := Code(t, err, nakama.FailedPrecondition); e.Message != "Must join tournament before attempting to write value." {
		t.Errorf("write before join: %q", e.Message)
	}
	Must(t, h.Client.JoinTournament(ctx, ps[0], id))
	Must(t, h.Client.JoinTournament(ctx, ps[0], id)) // joined already
	if tt := findT(t, h, ps[0], id, nil); tt == nil || tt.Size != 1 || !tt.CanEnter || tt.MaxSize != 2 || !tt.JoinRequired {
		t.Errorf("after one join: %v", tt)
	}
	// A joined entrant has an empty record until it writes.
	if l := listT(t, h, ps[0], id, nil); len(l.Records) != 1 || l.Records[0].NumScore != 0 || l.Records[0].Score != 0 {
		t.Errorf("joined record %v", l.Records)
	}
	writeT(t, h, ps[0], id, 10, nil)
	if rec := writeT(t, h, ps[0], id, 5, nil); rec.Score != 10 || rec.NumScore != 2 || rec.MaxNumScore != 2 {
		t.Errorf("second write %v", rec)
	}
	// Out of attempts, a joined entrant gets its record back unchanged.
	if rec := writeT(t, h, ps[0], id, 50, nil); rec.Score != 10 || rec.NumScore != 2 {
		t.Errorf("write beyond the attempts %v", rec)
	}
	Must(t, h.Client.JoinTournament(ctx, ps[1], id))
	err = h.Client.JoinTournament(ctx, ps[2], id)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Tournament cannot be joined as it has reached its max size." {
		t.Errorf("join when full: %q", e.Message)
	}
	if tt := findT(t, h, ps[0], id, nil); tt == nil || tt.Size != 2 || tt.CanEnter {
		t.Errorf("full tournament %v", tt)
	}
	// Leaving frees a place.
	Must(t, h.Client.DeleteTournamentRecord(ctx, ps[1], id))
	Must(t, h.Client.JoinTournament(ctx, ps[2], id))
}

func testTournamentLimits(t *testing.T, h *Harness) {
	id := newTournament(t, h, Tournament{MaxSize: 1, MaxNumScore: 2})
	ps := players(t, h, 2)
	ctx := h.Ctx(t)
	writeT(t, h, ps[0], id, 1, nil)
	_, err := h.Client.WriteTournamentRecord(ctx, ps[1], id, 1, nil)
	if e := Code(t, err, nakama.FailedPrecondition); e.Message != "Tournament has reached max size." {
		t.Errorf("write when full: %q", e.Message)
	}
	if rec := writeT(t, h, ps[0], id, 2, nil); rec.NumScore != 2 || rec.Score != 2 {
		t.Errorf("second write %v", rec)
	}
	_, err = h.Client.WriteTournamentRecord(ctx, ps[0], id, 3, nil)
	if e := Code(t, err, nakama.FailedPrecondition); e.Message != "Reached allowed max number of score attempts." {
		t.Errorf("write beyond the attempts: %q", e.Message)
	}
	if l := listT(t, h, ps[0], id, nil); summary(ps, l.Records) != "p0:2:1" || l.Records[0].NumScore != 2 {
		t.Errorf("records %s", summary(ps, l.Records))
	}
	// Joining a tournament that does not require it does nothing.
	Must(t, h.Client.JoinTournament(ctx, ps[1], id))
	if tt := findT(t, h, ps[0], id, nil); tt == nil || tt.Size != 1 || tt.CanEnter {
		t.Errorf("tournament %v", tt)
	}
}

func testTournamentNotStarted(t *testing.T, h *Harness) {
	start := time.Now().Unix() + 3600
	id := newTournament(t, h, Tournament{StartTime: start, Duration: 600, JoinRequired: true})
	p := h.NewUser(t)
	ctx := h.Ctx(t)
	_, err := h.Client.WriteTournamentRecord(ctx, p, id, 1, nil)
	if e := Code(t, err, nakama.FailedPrecondition); e.Message != "Tournament is not active and cannot accept new scores." {
		t.Errorf("write before the start: %q", e.Message)
	}
	// Joining ahead of the start is allowed.
	Must(t, h.Client.JoinTournament(ctx, p, id))
	tt := findT(t, h, p, id, &nakama.ListTournamentsOptions{StartTime: u32(start)})
	if tt == nil || tt.CanEnter || tt.StartActive != uint32(start) || tt.EndActive != uint32(start+600) || tt.NextReset != 0 || tt.EndTime != nil {
		t.Errorf("tournament %v", tt)
	}
}

func testTournamentEnded(t *testing.T, h *Harness) {
	now := time.Now().Unix()
	id := newTournament(t, h, Tournament{StartTime: now - 7200, EndTime: now - 3600, Duration: 600})
	p := h.NewUser(t)
	ctx := h.Ctx(t)
	_, err := h.Client.WriteTournamentRecord(ctx, p, id, 1, nil)
	if e := Code(t, err, nakama.NotFound); e.Message != "Tournament not found or has ended." {
		t.Errorf("write after the end: %q", e.Message)
	}
	_, err = h.Client.ListTournamentRecords(ctx, p, id, nil)
	if e := Code(t, err, nakama.NotFound); e.Message != "Tournament has ended." {
		t.Errorf("list after the end: %q", e.Message)
	}
	// The last period's records can be asked for by its expiry.
	l := listT(t, h, p, id, &nakama.ListRecordsOptions{Expiry: now - 3600})
	if len(l.Records) != 0 {
		t.Errorf("records %v", l.Records)
	}
	around, err := h.Client.ListTournamentRecordsAroundOwner(ctx, p, id, p.UserID(), nil)
	Must(t, err)
	if len(around.Records) != 0 || around.NextCursor != "" {
		t.Errorf("around after the end %v", around)
	}
	if findT(t, h, p, id, &nakama.ListTournamentsOptions{StartTime: u32(now - 7200)}) != nil {
		t.Error("ended tournament listed by default")
	}
	if findT(t, h, p, id, &nakama.ListTournamentsOptions{StartTime: u32(now - 7200), EndTime: u32(now - 3600)}) == nil {
		t.Error("ended tournament not listed by its end time")
	}
}

func testTournamentRecurring(t *testing.T, h *Harness) {
	id := newTournament(t, h, Tournament{ResetSchedule: "0 0 * * *", Duration: 86400})
	p := h.NewUser(t)
	tt := findT(t, h, p, id, nil)
	if tt == nil {
		t.Fatalf("tournament %s not listed", id)
	}
	// The first period runs from creation to the next midnight (UTC), which
	// is also when its records expire.
	next := int64(tt.NextReset)
	if next%86400 != 0 || next <= time.Now().Unix()-5 || next > time.Now().Unix()+86400+5 {
		t.Errorf("next reset %d is not the next midnight", next)
	}
	if int64(tt.PrevReset) != next-86400 || int64(tt.StartActive) != tt.StartTime.GetSeconds() ||
		tt.EndActive != tt.NextReset || !tt.CanEnter {
		t.Errorf("tournament %v", tt)
	}
	if rec := writeT(t, h, p, id, 4, nil); rec.GetExpiryTime().GetSeconds() != next {
		t.Errorf("record expiry %v, want %d", rec.ExpiryTime, next)
	}
}

func testTournamentErrors(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	p := h.NewUser(t)
	open := newTournament(t, h, Tournament{})
	auth := newTournament(t, h, Tournament{Authoritative: true})
	board := newLeaderboard(t, h, Leaderboard{})
	missing := h.Unique("missing")
	_, err := h.Client.WriteTournamentRecord(ctx, p, missing, 1, nil)
	expectError(t, "write to a missing tournament", err, nakama.NotFound, "Tournament not found.")
	_, err = h.Client.WriteTournamentRecord(ctx, p, board, 1, nil)
	expectError(t, "tournament write to a leaderboard", err, nakama.Internal, "Error writing score to tournament.")
	_, err = h.Client.WriteTournamentRecord(ctx, p, auth, 1, nil)
	expectError(t, "write to an authoritative tournament", err, nakama.PermissionDenied, "Tournament only allows authoritative score submissions.")
	_, err = h.Client.WriteTournamentRecord(ctx, p, open, 1, &nakama.WriteRecordOptions{Metadata: "1"})
	expectError(t, "metadata not an object", err, nakama.InvalidArgument, "Metadata value must be JSON, if provided.")

	err = h.Client.JoinTournament(ctx, p, missing)
	expectError(t, "join a missing tournament", err, nakama.NotFound, "Tournament not found.")
	err = h.Client.JoinTournament(ctx, p, board)
	expectError(t, "join a leaderboard", err, nakama.NotFound, "Tournament not found.")
	err = h.Client.DeleteTournamentRecord(ctx, p, missing)
	expectError(t, "delete from a missing tournament", err, nakama.Internal, "Error deleting score from tournament.")
	err = h.Client.DeleteTournamentRecord(ctx, p, auth)
	expectError(t, "delete from an authoritative tournament", err, nakama.Internal, "Error deleting score from tournament.")

	_, err = h.Client.ListTournamentRecords(ctx, p, missing, nil)
	expectError(t, "list a missing tournament", err, nakama.NotFound, "Tournament not found.")
	_, err = h.Client.ListTournamentRecords(ctx, p, board, nil)
	expectError(t, "list a leaderboard as a tournament", err, nakama.NotFound, "Tournament not found.")
	_, err = h.Client.ListTournamentRecords(ctx, p, open, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 101}})
	expectError(t, "limit 101", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	_, err = h.Client.ListTournamentRecords(ctx, p, open, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Cursor: "garbage"}})
	expectError(t, "bad cursor", err, nakama.InvalidArgument, "Cursor is invalid or expired.")
	_, err = h.Client.ListTournamentRecordsAroundOwner(ctx, p, missing, p.UserID(), nil)
	expectError(t, "around in a missing tournament", err, nakama.NotFound, "Tournament not found.")
	_, err = h.Client.ListTournamentRecordsAroundOwner(ctx, p, open, "not-a-uuid", nil)
	expectError(t, "around a bad owner id", err, nakama.InvalidArgument, "Invalid owner ID provided.")

	_, err = h.Client.ListTournaments(ctx, p, &nakama.ListTournamentsOptions{CategoryEnd: u32(128)})
	expectError(t, "category end 128", err, nakama.InvalidArgument, "Tournament category end must be >=0 and <128.")
	_, err = h.Client.ListTournaments(ctx, p, &nakama.ListTournamentsOptions{CategoryStart: u32(5), CategoryEnd: u32(4)})
	expectError(t, "category end before start", err, nakama.InvalidArgument, "Tournament category end must be greater than category start.")
	_, err = h.Client.ListTournaments(ctx, p, &nakama.ListTournamentsOptions{StartTime: u32(10), EndTime: u32(5)})
	expectError(t, "end time before start time", err, nakama.InvalidArgument, "Tournament end time must be greater than start time.")
	_, err = h.Client.ListTournaments(ctx, p, &nakama.ListTournamentsOptions{ListOptions: nakama.ListOptions{Limit: 101}})
	expectError(t, "list limit 101", err, nakama.InvalidArgument, "Limit must be between 1 and 100.")
	// The server reports a bad tournament list cursor as an unknown error.
	_, err = h.Client.ListTournaments(ctx, p, &nakama.ListTournamentsOptions{ListOptions: nakama.ListOptions{Cursor: "garbage"}})
	expectError(t, "bad list cursor", err, nakama.Unknown, "leaderboard cursor invalid")
}
