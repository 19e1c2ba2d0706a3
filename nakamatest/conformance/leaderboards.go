package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

func init() {
	installers = append(installers, installLeaderboardFixtures)
	register(
		Case{Name: "leaderboards/write-and-list", Run: testLeaderboardWriteAndList},
		Case{Name: "leaderboards/operators", Run: testLeaderboardOperators},
		Case{Name: "leaderboards/cursors", Run: testLeaderboardCursors},
		Case{Name: "leaderboards/ranks-disabled", Run: testLeaderboardRanksDisabled},
		Case{Name: "leaderboards/around-owner", Run: testLeaderboardAroundOwner},
		Case{Name: "leaderboards/delete-record", Run: testLeaderboardDeleteRecord},
		Case{Name: "leaderboards/reset-schedule", Run: testLeaderboardResetSchedule},
		Case{Name: "leaderboards/errors", Run: testLeaderboardErrors},
	)
}

// installLeaderboardFixtures gives nakamatest FixtureCreateLeaderboard and
// FixtureCreateTournament, through its direct API.
func installLeaderboardFixtures(s *nakamatest.Server) {
	s.RegisterRPC(FixtureCreateLeaderboard, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
		var p Leaderboard
		if err := json.Unmarshal([]byte(in.Payload), &p); err != nil {
			return "", nakamatest.NewError(nakamatest.Internal, err.Error())
		}
		metadata, err := fixtureMetadata(p.Metadata)
		if err != nil {
			return "", err
		}
		if err := s.CreateLeaderboard(nakamatest.Leaderboard{
			ID: p.ID, Authoritative: p.Authoritative, SortOrder: p.SortOrder, Operator: p.Operator,
			ResetSchedule: p.ResetSchedule, Metadata: metadata, EnableRanks: p.EnableRanks,
		}); err != nil {
			return "", nakamatest.NewError(nakamatest.Internal, err.Error())
		}
		return fixtureID(p.ID), nil
	})
	s.RegisterRPC(FixtureCreateTournament, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
		var p Tournament
		if err := json.Unmarshal([]byte(in.Payload), &p); err != nil {
			return "", nakamatest.NewError(nakamatest.Internal, err.Error())
		}
		metadata, err := fixtureMetadata(p.Metadata)
		if err != nil {
			return "", err
		}
		if err := s.CreateTournament(nakamatest.Tournament{
			ID: p.ID, Authoritative: p.Authoritative, SortOrder: p.SortOrder, Operator: p.Operator,
			ResetSchedule: p.ResetSchedule, Metadata: metadata, EnableRanks: p.EnableRanks,
			Title: p.Title, Description: p.Description, Category: p.Category, StartTime: p.StartTime,
			EndTime: p.EndTime, Duration: p.Duration, MaxSize: p.MaxSize, MaxNumScore: p.MaxNumScore,
			JoinRequired: p.JoinRequired,
		}); err != nil {
			return "", nakamatest.NewError(nakamatest.Internal, err.Error())
		}
		return fixtureID(p.ID), nil
	})
}

func fixtureMetadata(m map[string]any) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", nakamatest.NewError(nakamatest.Internal, err.Error())
	}
	return string(b), nil
}

func fixtureID(id string) string {
	b, _ := json.Marshal(map[string]string{"id": id})
	return string(b)
}

// newLeaderboard creates a leaderboard with a unique id through the
// fixture; empty sort order and operator mean desc and best.
func newLeaderboard(t *testing.T, h *Harness, l Leaderboard) string {
	t.Helper()
	l.ID = h.Unique("lb")
	if l.SortOrder == "" {
		l.SortOrder = "desc"
	}
	if l.Operator == "" {
		l.Operator = "best"
	}
	h.Fixture(t, FixtureCreateLeaderboard, l, nil)
	return l.ID
}

// players makes n users.
func players(t *testing.T, h *Harness, n int) []*nakama.Session {
	t.Helper()
	out := make([]*nakama.Session, n)
	for i := range out {
		out[i] = h.NewUser(t)
	}
	return out
}

// summary describes records as "pN:score:rank" items, where pN is the
// record owner's index in ps.
func summary(ps []*nakama.Session, recs []*api.LeaderboardRecord) string {
	var out []string
	for _, r := range recs {
		name := "?" + r.OwnerId
		for i, p := range ps {
			if p.UserID() == r.OwnerId {
				name = fmt.Sprintf("p%d", i)
			}
		}
		out = append(out, fmt.Sprintf("%s:%d:%d", name, r.Score, r.Rank))
	}
	return strings.Join(out, " ")
}

func write(t *testing.T, h *Harness, s *nakama.Session, id string, score int64, opts *nakama.WriteRecordOptions) *api.LeaderboardRecord {
	t.Helper()
	rec, err := h.Client.WriteLeaderboardRecord(h.Ctx(t), s, id, score, opts)
	Must(t, err)
	return rec
}

func testLeaderboardWriteAndList(t *testing.T, h *Harness) {
	id := newLeaderboard(t, h, Leaderboard{EnableRanks: true})
	ps := players(t, h, 3)
	ctx := h.Ctx(t)

	rec := write(t, h, ps[0], id, 50, &nakama.WriteRecordOptions{Subscore: 2, Metadata: `{"b":1 ,"a":[true,"x"],"b":2}`})
	if rec.LeaderboardId != id || rec.OwnerId != ps[0].UserID() || rec.GetUsername().GetValue() != ps[0].Username() ||
		rec.Score != 50 || rec.Subscore != 2 || rec.NumScore != 1 || rec.MaxNumScore != 1000000 || rec.Rank != 1 ||
		rec.ExpiryTime != nil || rec.CreateTime == nil || rec.UpdateTime.GetSeconds() != rec.CreateTime.GetSeconds() {
		t.Errorf("first record %v", rec)
	}
	// Metadata comes back as the database prints jsonb. (Only what
	// PostgreSQL and CockroachDB print alike is checked here: they order
	// keys of different lengths differently.)
	if want := `{"a": [true, "x"], "b": 2}`; rec.Metadata != want {
		t.Errorf("metadata %s, want %s", rec.Metadata, want)
	}
	if rec := write(t, h, ps[1], id, 70, nil); rec.Rank != 1 || rec.Metadata != "{}" {
		t.Errorf("second record rank %d, metadata %q", rec.Rank, rec.Metadata)
	}
	if rec := write(t, h, ps[2], id, 60, nil); rec.Rank != 2 {
		t.Errorf("third record rank %d", rec.Rank)
	}

	all, err := h.Client.ListLeaderboardRecords(ctx, ps[0], id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 10}})
	Must(t, err)
	if got := summary(ps, all.Records); got != "p1:70:1 p2:60:2 p0:50:3" || all.RankCount != 3 ||
		all.NextCursor != "" || all.PrevCursor != "" {
		t.Errorf("listing %s, rank count %d, cursors %q %q", got, all.RankCount, all.PrevCursor, all.NextCursor)
	}
	// Without a limit the server lists a single record.
	one, err := h.Client.ListLeaderboardRecords(ctx, ps[0], id, nil)
	Must(t, err)
	if got := summary(ps, one.Records); got != "p1:70:1" || one.NextCursor == "" {
		t.Errorf("default listing %s, next cursor %q", got, one.NextCursor)
	}
	// Owners only: no page, the owners' records best first with their ranks.
	own, err := h.Client.ListLeaderboardRecords(ctx, ps[0], id, &nakama.ListRecordsOptions{
		OwnerIDs: []string{ps[0].UserID(), ps[1].UserID()}})
	Must(t, err)
	if len(own.Records) != 0 || summary(ps, own.OwnerRecords) != "p1:70:1 p0:50:3" || own.RankCount != 3 {
		t.Errorf("owner listing %s / %s, rank count %d", summary(ps, own.Records), summary(ps, own.OwnerRecords), own.RankCount)
	}
	if own.OwnerRecords[1].GetUsername().GetValue() != ps[0].Username() {
		t.Errorf("owner record username %v", own.OwnerRecords[1].Username)
	}
}

func testLeaderboardOperators(t *testing.T, h *Harness) {
	p := h.NewUser(t)
	type step struct {
		score, subscore int64
		op              api.Operator
		wantScore       int64
		wantSub         int64
		wantNum         int32
	}
	for _, tc := range []struct {
		board Leaderboard
		steps []step
	}{
		// best keeps the better score and, apart from it, the better
		// subscore; a write that improves neither is not counted.
		{Leaderboard{}, []step{{10, 5, 0, 10, 5, 1}, {8, 5, 0, 10, 5, 1}, {8, 7, 0, 10, 7, 2}, {12, 0, 0, 12, 7, 3}}},
		{Leaderboard{SortOrder: "asc"}, []step{{10, 5, 0, 10, 5, 1}, {12, 5, 0, 10, 5, 1}, {8, 9, 0, 8, 5, 2}}},
		{Leaderboard{Operator: "set"}, []step{{10, 5, 0, 10, 5, 1}, {10, 5, 0, 10, 5, 1}, {3, 0, 0, 3, 0, 2}}},
		{Leaderboard{Operator: "incr"}, []step{{10, 0, 0, 10, 0, 1}, {5, 1, 0, 15, 1, 2}, {0, 0, 0, 15, 1, 2}}},
		// A decrement starts at zero and stops there.
		{Leaderboard{Operator: "decr"}, []step{{10, 0, 0, 0, 0, 1}, {-7, 0, 0, 7, 0, 2}, {10, 0, 0, 0, 0, 3}}},
		// A write may override the operator.
		{Leaderboard{}, []step{{10, 0, 0, 10, 0, 1}, {4, 0, api.Operator_SET, 4, 0, 2}, {3, 0, api.Operator_INCREMENT, 7, 0, 3}}},
	} {
		id := newLeaderboard(t, h, tc.board)
		for i, st := range tc.steps {
			rec := write(t, h, p, id, st.score, &nakama.WriteRecordOptions{Subscore: st.subscore, Operator: st.op})
			if rec.Score != st.wantScore || rec.Subscore != st.wantSub || rec.NumScore != st.wantNum {
				t.Errorf("%+v step %d (%d/%d op %v): got %d/%d num %d, want %d/%d num %d", tc.board, i, st.score, st.subscore,
					st.op, rec.Score, rec.Subscore, rec.NumScore, st.wantScore, st.wantSub, st.wantNum)
			}
		}
	}
	// Metadata of a write that changes nothing is dropped.
	id := newLeaderboard(t, h, Leaderboard{})
	write(t, h, p, id, 10, &nakama.WriteRecordOptions{Metadata: `{"v":1}`})
	if rec := write(t, h, p, id, 5, &nakama.WriteRecordOptions{Metadata: `{"v":2}`}); rec.Metadata != `{"v": 1}` {
		t.Errorf("metadata after an unchanged write %s", rec.Metadata)
	}
}

func testLeaderboardCursors(t *testing.T, h *Harness) {
	id := newLeaderboard(t, h, Leaderboard{})
	ps := players(t, h, 5)
	for i, p := range ps {
		write(t, h, p, id, int64(10*(i+1)), nil)
	}
	ctx := h.Ctx(t)
	page := func(cursor string) *api.LeaderboardRecordList {
		t.Helper()
		l, err := h.Client.ListLeaderboardRecords(ctx, ps[0], id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 2, Cursor: cursor}})
		Must(t, err)
		return l
	}
	check := func(name string, l *api.LeaderboardRecordList, want string, hasPrev, hasNext bool) {
		t.Helper()
		if got := summary(ps, l.Records); got != want || (l.PrevCursor != "") != hasPrev || (l.NextCursor != "") != hasNext {
			t.Errorf("%s: %s (prev %t, next %t), want %s (prev %t, next %t)", name, got, l.PrevCursor != "",
				l.NextCursor != "", want, hasPrev, hasNext)
		}
	}
	p1 := page("")
	check("page 1", p1, "p4:50:1 p3:40:2", false, true)
	p2 := page(p1.NextCursor)
	check("page 2", p2, "p2:30:3 p1:20:4", true, true)
	p3 := page(p2.NextCursor)
	check("page 3", p3, "p0:10:5", true, false)
	b2 := page(p3.PrevCursor)
	check("back to page 2", b2, "p2:30:3 p1:20:4", true, true)
	b1 := page(b2.PrevCursor)
	check("back to page 1", b1, "p4:50:1 p3:40:2", false, true)
	check("forward again", page(b1.NextCursor), "p2:30:3 p1:20:4", true, true)

	// A cursor works only for its own leaderboard.
	other := newLeaderboard(t, h, Leaderboard{})
	_, err := h.Client.ListLeaderboardRecords(ctx, ps[0], other, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Cursor: p1.NextCursor}})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Cursor is invalid or expired." {
		t.Errorf("foreign cursor message %q", e.Message)
	}
}

func testLeaderboardRanksDisabled(t *testing.T, h *Harness) {
	id := newLeaderboard(t, h, Leaderboard{})
	ps := players(t, h, 2)
	if rec := write(t, h, ps[0], id, 5, nil); rec.Rank != 0 {
		t.Errorf("write rank %d without ranks", rec.Rank)
	}
	write(t, h, ps[1], id, 9, nil)
	l, err := h.Client.ListLeaderboardRecords(h.Ctx(t), ps[0], id, &nakama.ListRecordsOptions{
		ListOptions: nakama.ListOptions{Limit: 10}, OwnerIDs: []string{ps[0].UserID()}})
	Must(t, err)
	// A page still counts ranks itself; owner records and the count come
	// from the rank cache, which is off.
	if summary(ps, l.Records) != "p1:9:1 p0:5:2" || summary(ps, l.OwnerRecords) != "p0:5:0" || l.RankCount != 0 {
		t.Errorf("listing %s / %s, rank count %d", summary(ps, l.Records), summary(ps, l.OwnerRecords), l.RankCount)
	}
	around, err := h.Client.ListLeaderboardRecordsAroundOwner(h.Ctx(t), ps[0], id, ps[0].UserID(), &nakama.ListRecordsAroundOwnerOptions{ListOptions: nakama.ListOptions{Limit: 2}})
	Must(t, err)
	if summary(ps, around.Records) != "p1:9:0 p0:5:0" {
		t.Errorf("around owner %s", summary(ps, around.Records))
	}
}

func testLeaderboardAroundOwner(t *testing.T, h *Harness) {
	id := newLeaderboard(t, h, Leaderboard{EnableRanks: true})
	ps := players(t, h, 7)
	for i, p := range ps {
		write(t, h, p, id, int64(100-i), nil) // ps[i] ranks i+1
	}
	ctx := h.Ctx(t)
	around := func(owner *nakama.Session, limit int, cursor string) *api.LeaderboardRecordList {
		t.Helper()
		l, err := h.Client.ListLeaderboardRecordsAroundOwner(ctx, ps[0], id, owner.UserID(),
			&nakama.ListRecordsAroundOwnerOptions{ListOptions: nakama.ListOptions{Limit: limit, Cursor: cursor}})
		Must(t, err)
		return l
	}
	for _, tc := range []struct {
		owner, limit     int
		want             string
		hasPrev, hasNext bool
	}{
		{3, 3, "p2:98:3 p3:97:4 p4:96:5", true, true},
		{0, 3, "p0:100:1 p1:99:2 p2:98:3", false, true},
		{6, 3, "p4:96:5 p5:95:6 p6:94:7", true, false},
		{5, 4, "p3:97:4 p4:96:5 p5:95:6 p6:94:7", true, false},
		{3, 0, "p3:97:4", true, true}, // the default limit is 1
		{1, 7, "p0:100:1 p1:99:2 p2:98:3 p3:97:4 p4:96:5 p5:95:6 p6:94:7", false, false},
	} {
		l := around(ps[tc.owner], tc.limit, "")
		if got := summary(ps, l.Records); got != tc.want || (l.PrevCursor != "") != tc.hasPrev ||
			(l.NextCursor != "") != tc.hasNext || l.RankCount != 7 {
			t.Errorf("around p%d limit %d: %s (prev %t, next %t, rank count %d), want %s (prev %t, next %t)", tc.owner, tc.limit,
				got, l.PrevCursor != "", l.NextCursor != "", l.RankCount, tc.want, tc.hasPrev, tc.hasNext)
		}
	}
	// With a cursor, it is a plain page of the listing.
	l := around(ps[3], 3, "")
	if got := summary(ps, around(ps[3], 3, l.NextCursor).Records); got != "p5:95:6 p6:94:7" {
		t.Errorf("page after the window %s", got)
	}
	// An owner without a record gets nothing.
	if l := around(h.NewUser(t), 3, ""); len(l.Records) != 0 || l.NextCursor != "" || l.PrevCursor != "" {
		t.Errorf("owner without a record: %s", summary(ps, l.Records))
	}
}

func testLeaderboardDeleteRecord(t *testing.T, h *Harness) {
	id := newLeaderboard(t, h, Leaderboard{EnableRanks: true})
	ps := players(t, h, 2)
	write(t, h, ps[0], id, 5, nil)
	write(t, h, ps[1], id, 9, nil)
	ctx := h.Ctx(t)
	Must(t, h.Client.DeleteLeaderboardRecord(ctx, ps[1], id))
	Must(t, h.Client.DeleteLeaderboardRecord(ctx, ps[1], id)) // nothing left: still fine
	l, err := h.Client.ListLeaderboardRecords(ctx, ps[0], id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 10}})
	Must(t, err)
	if summary(ps, l.Records) != "p0:5:1" || l.RankCount != 1 {
		t.Errorf("after delete %s, rank count %d", summary(ps, l.Records), l.RankCount)
	}
	// A new record starts over.
	if rec := write(t, h, ps[1], id, 1, nil); rec.NumScore != 1 || rec.Rank != 2 {
		t.Errorf("record after delete %v", rec)
	}
}

func testLeaderboardResetSchedule(t *testing.T, h *Harness) {
	id := newLeaderboard(t, h, Leaderboard{ResetSchedule: "* * * * *"})
	p := h.NewUser(t)
	rec := write(t, h, p, id, 3, nil)
	exp := rec.GetExpiryTime().GetSeconds()
	if wait := exp - rec.GetCreateTime().GetSeconds(); exp%60 != 0 || wait <= 0 || wait > 60 {
		t.Fatalf("expiry %d for a record created at %d: want the next whole minute", exp, rec.GetCreateTime().GetSeconds())
	}
	// The period can be listed by its expiry, whether or not it has ended
	// meanwhile; another expiry has nothing.
	l, err := h.Client.ListLeaderboardRecords(h.Ctx(t), p, id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 5}, Expiry: exp})
	Must(t, err)
	if len(l.Records) != 1 || l.Records[0].OwnerId != p.UserID() || l.Records[0].GetExpiryTime().GetSeconds() != exp {
		t.Errorf("listing by expiry %v", l.Records)
	}
	l, err = h.Client.ListLeaderboardRecords(h.Ctx(t), p, id, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 5}, Expiry: exp - 60})
	Must(t, err)
	if len(l.Records) != 0 {
		t.Errorf("listing the previous period %v", l.Records)
	}
}

// expectError asserts that err carries code and msg; what names the call.
func expectError(t *testing.T, what string, err error, code nakama.Code, msg string) {
	t.Helper()
	if e := Code(t, err, code); e.Message != msg {
		t.Errorf("%s: message %q, want %q", what, e.Message, msg)
	}
}

func testLeaderboardErrors(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	p := h.NewUser(t)
	open := newLeaderboard(t, h, Leaderboard{})
	auth := newLeaderboard(t, h, Leaderboard{Authoritative: true})
	missing := h.Unique("missing")
	_, err := h.Client.WriteLeaderboardRecord(ctx, p, missing, 1, nil)
	expectError(t, "write to a missing leaderboard", err, nakama.NotFound, "Leaderboard not found.")
	_, err = h.Client.WriteLeaderboardRecord(ctx, p, auth, 1, nil)
	expectError(t, "write to an authoritative leaderboard", err, nakama.PermissionDenied, "Leaderboard only allows authoritative score submissions.")
	_, err = h.Client.WriteLeaderboardRecord(ctx, p, open, 1, &nakama.WriteRecordOptions{Metadata: "[1]"})
	expectError(t, "metadata not an object", err, nakama.InvalidArgument, "Metadata value must be JSON, if provided.")
	_, err = h.Client.WriteLeaderboardRecord(ctx, p, open, -1, nil)
	expectError(t, "negative score", err, nakama.Internal, "Error writing score to leaderboard.")

	err = h.Client.DeleteLeaderboardRecord(ctx, p, missing)
	expectError(t, "delete from a missing leaderboard", err, nakama.NotFound, "Leaderboard not found.")
	err = h.Client.DeleteLeaderboardRecord(ctx, p, auth)
	expectError(t, "delete from an authoritative leaderboard", err, nakama.PermissionDenied, "Leaderboard only allows authoritative score deletions.")

	_, err = h.Client.ListLeaderboardRecords(ctx, p, missing, nil)
	expectError(t, "list a missing leaderboard", err, nakama.NotFound, "Leaderboard not found.")
	_, err = h.Client.ListLeaderboardRecords(ctx, p, open, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 1001}})
	expectError(t, "limit 1001", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
	_, err = h.Client.ListLeaderboardRecords(ctx, p, open, &nakama.ListRecordsOptions{OwnerIDs: []string{"not-a-uuid"}})
	expectError(t, "bad owner id", err, nakama.InvalidArgument, "One or more owner IDs are invalid.")
	_, err = h.Client.ListLeaderboardRecords(ctx, p, open, &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Cursor: "garbage"}})
	expectError(t, "bad cursor", err, nakama.InvalidArgument, "Cursor is invalid or expired.")

	_, err = h.Client.ListLeaderboardRecordsAroundOwner(ctx, p, missing, p.UserID(), nil)
	expectError(t, "around in a missing leaderboard", err, nakama.NotFound, "Leaderboard not found.")
	_, err = h.Client.ListLeaderboardRecordsAroundOwner(ctx, p, open, p.UserID(), &nakama.ListRecordsAroundOwnerOptions{ListOptions: nakama.ListOptions{Limit: 101}})
	expectError(t, "around limit 101", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	_, err = h.Client.ListLeaderboardRecordsAroundOwner(ctx, p, open, "not-a-uuid", nil)
	expectError(t, "around a bad owner id", err, nakama.InvalidArgument, "Invalid owner ID provided.")
	_, err = h.Client.ListLeaderboardRecordsAroundOwner(ctx, p, open, p.UserID(), &nakama.ListRecordsAroundOwnerOptions{ListOptions: nakama.ListOptions{Cursor: "garbage"}})
	expectError(t, "around with a bad cursor", err, nakama.Internal, "Error querying records from leaderboard.")
}
