package nakamatest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

func (c *testClient) tWrite(p lbPlayer, id, body string) reply {
	c.t.Helper()
	return c.send("PUT", "/v2/tournament/"+url.PathEscape(id), body, bearerHeader(p.sess))
}

func (c *testClient) tournaments(p lbPlayer, q url.Values) *api.TournamentList {
	c.t.Helper()
	out := &api.TournamentList{}
	c.send("GET", "/v2/tournament?"+q.Encode(), "", bearerHeader(p.sess)).ok(c.t, out)
	return out
}

func (c *testClient) tRecords(p lbPlayer, id string, q url.Values) *api.TournamentRecordList {
	c.t.Helper()
	out := &api.TournamentRecordList{}
	c.send("GET", "/v2/tournament/"+url.PathEscape(id)+"?"+q.Encode(), "", bearerHeader(p.sess)).ok(c.t, out)
	return out
}

func findTournament(l *api.TournamentList, id string) *api.Tournament {
	for _, t := range l.Tournaments {
		if t.Id == id {
			return t
		}
	}
	return nil
}

func tournamentIDs(l *api.TournamentList) string {
	var out []string
	for _, t := range l.Tournaments {
		out = append(out, t.Id)
	}
	return strings.Join(out, ",")
}

func TestTournamentDeadlines(t *testing.T) {
	day := func(d, h int) int64 { return time.Date(2026, 5, d, h, 0, 0, 0, time.UTC).Unix() }
	daily, _ := parseCron("0 0 * * *")
	hourly, _ := parseCron("0 * * * *")
	for _, tc := range []struct {
		name               string
		b                  board
		now                int64
		start, end, expiry int64
	}{
		{"single", board{startTime: 1000, duration: 100}, 900, 1000, 1100, 0},
		{"single capped", board{startTime: 1000, duration: 100, endTime: 1050}, 1020, 1000, 1050, 1050},
		// Created at noon with a one-hour duration: the first period is the
		// one that starts at the next midnight.
		{"daily from noon", board{startTime: day(1, 12), duration: 3600, reset: daily}, day(1, 12), day(2, 0), day(2, 1), day(3, 0)},
		{"daily running", board{startTime: day(1, 12), duration: 3600, reset: daily}, day(2, 0) + 1800, day(2, 0), day(2, 1), day(3, 0)},
		{"daily on the reset", board{startTime: day(1, 12), duration: 3600, reset: daily}, day(3, 0), day(3, 0), day(3, 1), day(4, 0)},
		{"daily ending", board{startTime: day(1, 12), duration: 3600, reset: daily, endTime: day(2, 12)}, day(2, 6), day(2, 0), day(2, 1), day(2, 12)},
		{"not started", board{startTime: day(5, 12), duration: 3600, reset: daily}, day(1, 12), day(6, 0), day(6, 1), day(7, 0)},
		{"started mid-period", board{startTime: day(1, 12) + 600, duration: 7200, reset: hourly}, day(1, 12) + 900, day(1, 12) + 600, day(1, 13), day(1, 13)},
	} {
		s, e, x := tc.b.deadlines(time.Unix(tc.now, 0))
		if s != tc.start || e != tc.end || x != tc.expiry {
			t.Errorf("%s: deadlines %d %d %d, want %d %d %d", tc.name, s, e, x, tc.start, tc.end, tc.expiry)
		}
	}
}

func TestTournamentLifecycle(t *testing.T) {
	srv, c := startServer(t, &Options{TokenExpiry: 24 * time.Hour})
	srv.SetTime(fixedTime)
	start, end := fixedTime.Unix()+600, fixedTime.Unix()+7200
	mustCreate(t, srv.CreateTournament(Tournament{
		ID: "cup", Title: "The Cup", Description: "once", Category: 5, Duration: 3600,
		StartTime: start, EndTime: end, Metadata: `{"b":1,"a":2}`, EnableRanks: true,
	}))
	ps := lbPlayers(t, c, "cupper", 2)

	got := findTournament(c.tournaments(ps[0], nil), "cup")
	want := &api.Tournament{
		Id: "cup", Title: "The Cup", Description: "once", Category: 5, SortOrder: 1, MaxSize: 2147483647,
		MaxNumScore: 1000000, EndActive: uint32(start + 3600), NextReset: uint32(end), Metadata: `{"a": 2, "b": 1}`,
		Duration: 3600, StartActive: uint32(start), Operator: api.Operator_BEST,
	}
	if got == nil || got.CreateTime.GetSeconds() != fixedTime.Unix() || got.StartTime.GetSeconds() != start ||
		got.EndTime.GetSeconds() != end {
		t.Fatalf("listed %v", got)
	}
	got.CreateTime, got.StartTime, got.EndTime = nil, nil, nil
	if jsonOf(t, got) != jsonOf(t, want) {
		t.Errorf("listed %s\nwant %s", jsonOf(t, got), jsonOf(t, want))
	}

	c.tWrite(ps[0], "cup", `{"score":"10"}`).
		fails(t, 400, FailedPrecondition, "Tournament is not active and cannot accept new scores.")
	srv.FastForward(10 * time.Minute)
	if !findTournament(c.tournaments(ps[0], nil), "cup").CanEnter {
		t.Error("cannot enter a running tournament")
	}
	rec := &api.LeaderboardRecord{}
	c.tWrite(ps[0], "cup", `{"score":"10","metadata":"{\"x\":1}"}`).ok(t, rec)
	if rec.Score != 10 || rec.NumScore != 1 || rec.Rank != 1 || rec.ExpiryTime.GetSeconds() != end ||
		rec.MaxNumScore != 1000000 || rec.Username.GetValue() != "cupper0" || rec.Metadata != `{"x": 1}` {
		t.Errorf("first write %v", rec)
	}
	// The POST route is the same operation; a write that does not improve
	// the score still counts as an attempt.
	c.send("POST", "/v2/tournament/cup", `{"score":"5"}`, bearerHeader(ps[0].sess)).ok(t, rec)
	if rec.Score != 10 || rec.NumScore != 2 {
		t.Errorf("second write %v", rec)
	}
	c.tWrite(ps[1], "cup", `{"score":"20"}`).ok(t, rec)
	if rec.Rank != 1 {
		t.Errorf("better score rank %d", rec.Rank)
	}
	list := c.tRecords(ps[0], "cup", url.Values{"owner_ids": {ps[0].id}})
	if lbOwners(ps, list.Records) != "cupper1:20:1 cupper0:10:2" || lbOwners(ps, list.OwnerRecords) != "cupper0:10:2" || list.RankCount != 2 {
		t.Errorf("records %s / %s, rank count %d", lbOwners(ps, list.Records), lbOwners(ps, list.OwnerRecords), list.RankCount)
	}
	// Around an owner, the server repeats the next cursor as the previous.
	around := &api.TournamentRecordList{}
	c.send("GET", "/v2/tournament/cup/owner/"+ps[1].id+"?limit=1", "", bearerHeader(ps[0].sess)).ok(t, around)
	if lbOwners(ps, around.Records) != "cupper1:20:1" || around.NextCursor == "" || around.PrevCursor != around.NextCursor {
		t.Errorf("around %s, prev %q, next %q", lbOwners(ps, around.Records), around.PrevCursor, around.NextCursor)
	}

	srv.FastForward(61 * time.Minute) // past the active hour, before the end
	c.tWrite(ps[0], "cup", `{"score":"30"}`).
		fails(t, 400, FailedPrecondition, "Tournament is not active and cannot accept new scores.")
	if tt := findTournament(c.tournaments(ps[0], nil), "cup"); tt == nil || tt.CanEnter {
		t.Errorf("closed tournament listed as %v", tt)
	}
	if got := c.tRecords(ps[0], "cup", nil); len(got.Records) != 2 {
		t.Errorf("records of the closed period: %s", lbOwners(ps, got.Records))
	}

	srv.FastForward(time.Hour) // past the end
	h := bearerHeader(ps[0].sess)
	c.tWrite(ps[0], "cup", `{"score":"30"}`).fails(t, 404, NotFound, "Tournament not found or has ended.")
	c.send("GET", "/v2/tournament/cup", "", h).fails(t, 404, NotFound, "Tournament has ended.")
	if got := c.tRecords(ps[0], "cup", url.Values{"expiry": {fmt.Sprint(end)}}); lbOwners(ps, got.Records) != "cupper1:20:1 cupper0:10:2" {
		t.Errorf("records by expiry after the end: %s", lbOwners(ps, got.Records))
	}
	around = &api.TournamentRecordList{}
	c.send("GET", "/v2/tournament/cup/owner/"+ps[1].id, "", h).ok(t, around)
	if len(around.Records) != 0 {
		t.Errorf("around after the end: %s", lbOwners(ps, around.Records))
	}
	if findTournament(c.tournaments(ps[0], nil), "cup") != nil {
		t.Error("ended tournament listed by default")
	}
	if findTournament(c.tournaments(ps[0], url.Values{"end_time": {fmt.Sprint(end)}}), "cup") == nil {
		t.Error("ended tournament not listed by its end time")
	}
}

func TestTournamentJoinAndLimits(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	mustCreate(t, srv.CreateTournament(Tournament{ID: "club", Duration: 3600, JoinRequired: true, MaxSize: 2, MaxNumScore: 2}))
	mustCreate(t, srv.CreateTournament(Tournament{ID: "capped", Duration: 3600, MaxSize: 1, MaxNumScore: 2}))
	mustCreate(t, srv.CreateTournament(Tournament{ID: "server", Duration: 3600, Authoritative: true}))
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "board"}))
	ps := lbPlayers(t, c, "joiner", 3)
	join := func(p lbPlayer, id string) reply {
		t.Helper()
		return c.send("POST", "/v2/tournament/"+id+"/join", "", bearerHeader(p.sess))
	}

	c.tWrite(ps[0], "club", `{"score":"10"}`).
		fails(t, 400, FailedPrecondition, "Must join tournament before attempting to write value.")
	join(ps[0], "club").ok(t, nil)
	join(ps[0], "club").ok(t, nil) // joined already: no change
	if tt := findTournament(c.tournaments(ps[0], nil), "club"); tt.Size != 1 || !tt.CanEnter || !tt.JoinRequired {
		t.Errorf("after one join: %v", tt)
	}
	// A joined entrant starts with an empty record.
	if got := c.tRecords(ps[0], "club", nil); lbOwners(ps, got.Records) != "joiner0:0:1" || got.Records[0].NumScore != 0 {
		t.Errorf("joined records %v", got.Records)
	}
	rec := &api.LeaderboardRecord{}
	c.tWrite(ps[0], "club", `{"score":"10"}`).ok(t, rec)
	c.tWrite(ps[0], "club", `{"score":"5"}`).ok(t, rec)
	if rec.Score != 10 || rec.NumScore != 2 || rec.MaxNumScore != 2 {
		t.Errorf("second write %v", rec)
	}
	// Out of attempts, a joined entrant gets its record back unchanged.
	c.tWrite(ps[0], "club", `{"score":"50"}`).ok(t, rec)
	if rec.Score != 10 || rec.NumScore != 2 {
		t.Errorf("write beyond the attempts %v", rec)
	}
	join(ps[1], "club").ok(t, nil)
	join(ps[2], "club").fails(t, 400, InvalidArgument, "Tournament cannot be joined as it has reached its max size.")
	if tt := findTournament(c.tournaments(ps[0], nil), "club"); tt.Size != 2 || tt.CanEnter {
		t.Errorf("full tournament: %v", tt)
	}
	c.send("DELETE", "/v2/tournament/club", "", bearerHeader(ps[1].sess)).ok(t, nil)
	join(ps[2], "club").ok(t, nil)

	c.tWrite(ps[0], "capped", `{"score":"1"}`).ok(t, nil)
	c.tWrite(ps[1], "capped", `{"score":"1"}`).fails(t, 400, FailedPrecondition, "Tournament has reached max size.")
	c.tWrite(ps[0], "capped", `{"score":"2"}`).ok(t, nil)
	c.tWrite(ps[0], "capped", `{"score":"3"}`).fails(t, 400, FailedPrecondition, "Reached allowed max number of score attempts.")
	mustCreate(t, srv.TournamentAddAttempt("capped", ps[0].id, 1))
	c.tWrite(ps[0], "capped", `{"score":"3"}`).ok(t, rec)
	if rec.NumScore != 3 || rec.MaxNumScore != 3 || rec.Score != 3 {
		t.Errorf("write after an added attempt %v", rec)
	}
	join(ps[1], "capped").ok(t, nil) // nothing to join

	join(ps[0], "nope").fails(t, 404, NotFound, "Tournament not found.")
	join(ps[0], "board").fails(t, 404, NotFound, "Tournament not found.")
	c.tWrite(ps[0], "nope", `{"score":"1"}`).fails(t, 404, NotFound, "Tournament not found.")
	c.tWrite(ps[0], "board", `{"score":"1"}`).fails(t, 500, Internal, "Error writing score to tournament.")
	c.tWrite(ps[0], "capped", `{"score":"-1"}`).fails(t, 500, Internal, "Error writing score to tournament.")
	c.tWrite(ps[0], "capped", `{"score":"1","metadata":"1"}`).fails(t, 400, InvalidArgument, "Metadata value must be JSON, if provided.")
	c.tWrite(ps[0], "server", `{"score":"1"}`).fails(t, 403, PermissionDenied, "Tournament only allows authoritative score submissions.")
	// The real server answers both with its catch-all Internal error.
	c.send("DELETE", "/v2/tournament/server", "", bearerHeader(ps[0].sess)).
		fails(t, 500, Internal, "Error deleting score from tournament.")
	c.send("DELETE", "/v2/tournament/board", "", bearerHeader(ps[0].sess)).fails(t, 500, Internal, "Error deleting score from tournament.")
	if _, err := srv.WriteTournamentRecord("server", RecordWrite{OwnerID: ps[0].id, Username: "by-server", Score: 7}); err != nil {
		t.Errorf("direct write to an authoritative tournament: %v", err)
	}
	if got := c.tRecords(ps[0], "server", nil); lbOwners(ps, got.Records) != "joiner0:7:1" || got.Records[0].Username.GetValue() != "by-server" {
		t.Errorf("authoritative records %v", got.Records)
	}

	h := bearerHeader(ps[0].sess)
	c.send("GET", "/v2/tournament/nope", "", h).fails(t, 404, NotFound, "Tournament not found.")
	c.send("GET", "/v2/tournament/board", "", h).fails(t, 404, NotFound, "Tournament not found.")
	c.send("GET", "/v2/tournament/club?limit=101", "", h).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	c.send("GET", "/v2/tournament/club?owner_ids=1", "", h).fails(t, 400, InvalidArgument, "One or more owner IDs are invalid.")
	c.send("GET", "/v2/tournament/club?cursor=abc", "", h).fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")
	c.send("GET", "/v2/tournament/nope/owner/"+ps[0].id, "", h).fails(t, 404, NotFound, "Tournament not found.")
	c.send("GET", "/v2/tournament/club/owner/x", "", h).fails(t, 400, InvalidArgument, "Invalid owner ID provided.")
	c.send("GET", "/v2/tournament/club/owner/"+ps[0].id+"?limit=0", "", h).
		fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
}

func TestTournamentResets(t *testing.T) {
	srv, c := startServer(t, &Options{TokenExpiry: 24 * time.Hour})
	srv.SetTime(fixedTime) // 12:00:00, on the hour
	mustCreate(t, srv.CreateTournament(Tournament{ID: "hourly", Duration: 1800, ResetSchedule: "0 * * * *", MaxSize: 5, EnableRanks: true}))
	p := lbPlayers(t, c, "hourly", 1)
	h13 := fixedTime.Unix() + 3600

	rec := &api.LeaderboardRecord{}
	c.tWrite(p[0], "hourly", `{"score":"3"}`).ok(t, rec)
	if rec.ExpiryTime.GetSeconds() != h13 || rec.Rank != 1 {
		t.Errorf("record %v", rec)
	}
	tt := findTournament(c.tournaments(p[0], nil), "hourly")
	if tt.Size != 1 || tt.StartActive != uint32(fixedTime.Unix()) || tt.EndActive != uint32(fixedTime.Unix()+1800) ||
		tt.NextReset != uint32(h13) || tt.PrevReset != uint32(fixedTime.Unix()-3600) {
		t.Errorf("first period %v", tt)
	}
	srv.FastForward(40 * time.Minute)
	c.tWrite(p[0], "hourly", `{"score":"4"}`).
		fails(t, 400, FailedPrecondition, "Tournament is not active and cannot accept new scores.")

	srv.FastForward(20 * time.Minute) // 13:00: the next period
	if got := c.tRecords(p[0], "hourly", nil); len(got.Records) != 0 {
		t.Errorf("records of the new period %s", lbOwners(p, got.Records))
	}
	tt = findTournament(c.tournaments(p[0], nil), "hourly")
	if tt.Size != 0 || !tt.CanEnter || tt.StartActive != uint32(h13) || tt.NextReset != uint32(h13+3600) || tt.PrevReset != uint32(fixedTime.Unix()) {
		t.Errorf("second period %v", tt)
	}
	c.tWrite(p[0], "hourly", `{"score":"1"}`).ok(t, rec)
	if rec.NumScore != 1 || rec.Score != 1 || rec.ExpiryTime.GetSeconds() != h13+3600 {
		t.Errorf("second period record %v", rec)
	}
	old := c.tRecords(p[0], "hourly", url.Values{"expiry": {fmt.Sprint(h13)}})
	if lbOwners(p, old.Records) != "hourly0:3:1" || old.RankCount != 0 {
		t.Errorf("first period by expiry %s, rank count %d", lbOwners(p, old.Records), old.RankCount)
	}
}

func TestListTournaments(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	now := fixedTime.Unix()
	for _, tt := range []Tournament{
		{ID: "b", Category: 1, StartTime: now, Duration: 60},
		{ID: "a", Category: 1, StartTime: now, Duration: 60},
		{ID: "ends", Category: 1, StartTime: now, EndTime: now + 100, Duration: 60},
		{ID: "later", Category: 0, StartTime: now + 10, Duration: 60},
		{ID: "cat9", Category: 9, StartTime: now - 10, Duration: 60},
		{ID: "ended", Category: 1, StartTime: now - 100, EndTime: now - 1, Duration: 60},
	} {
		mustCreate(t, srv.CreateTournament(tt))
	}
	p := lbPlayers(t, c, "lister", 1)[0]
	if got := tournamentIDs(c.tournaments(p, nil)); got != "cat9,ends,a,b,later" {
		t.Errorf("default listing %s", got)
	}
	var pages []string
	cursor := ""
	for range 10 {
		l := c.tournaments(p, url.Values{"limit": {"2"}, "cursor": {cursor}})
		pages = append(pages, tournamentIDs(l))
		if cursor = l.Cursor; cursor == "" {
			break
		}
	}
	if got := strings.Join(pages, "|"); got != "cat9,ends|a,b|later" {
		t.Errorf("pages %s", got)
	}
	for q, want := range map[string]string{
		"category_start=1&category_end=1":              "ends,a,b",
		"category_start=2":                             "cat9",
		"end_time=0":                                   "cat9,a,b,later",
		"start_time=" + fmt.Sprint(now):                "ends,a,b,later",
		"start_time=0&end_time=" + fmt.Sprint(now+100): "ended,ends",
	} {
		vals, _ := url.ParseQuery(q)
		if got := tournamentIDs(c.tournaments(p, vals)); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	h := bearerHeader(p.sess)
	c.send("GET", "/v2/tournament?category_end=128", "", h).fails(t, 400, InvalidArgument, "Tournament category end must be >=0 and <128.")
	c.send("GET", "/v2/tournament?category_start=5&category_end=4", "", h).
		fails(t, 400, InvalidArgument, "Tournament category end must be greater than category start.")
	c.send("GET", "/v2/tournament?start_time=10&end_time=5", "", h).
		fails(t, 400, InvalidArgument, "Tournament end time must be greater than start time.")
	c.send("GET", "/v2/tournament?limit=0", "", h).fails(t, 400, InvalidArgument, "Limit must be between 1 and 100.")
	c.send("GET", "/v2/tournament?cursor=***", "", h).fails(t, 500, Unknown, "leaderboard cursor invalid")
}

func TestCreateTournamentValidation(t *testing.T) {
	srv := NewServer(nil)
	srv.SetTime(fixedTime)
	now := fixedTime.Unix()
	for _, tt := range []Tournament{
		{Duration: 1},
		{ID: "x"},
		{ID: "x", Duration: 1, Category: 128},
		{ID: "x", Duration: 1, StartTime: -1},
		{ID: "x", Duration: 1, StartTime: now, EndTime: now - 1},
		{ID: "x", Duration: 1, MaxSize: -1},
		{ID: "x", Duration: 1, MaxNumScore: -1},
		{ID: "x", Duration: 1, ResetSchedule: "0 0 * * *", StartTime: now, EndTime: now + 60},
		{ID: "x", Duration: 1, Title: strings.Repeat("t", 256)},
		{ID: "x", Duration: 1, Operator: "sum"},
	} {
		if err := srv.CreateTournament(tt); err == nil {
			t.Errorf("CreateTournament(%+v) succeeded", tt)
		}
	}
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "taken"}))
	if err := srv.CreateTournament(Tournament{ID: "taken", Duration: 1}); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Errorf("tournament over a leaderboard: %v", err)
	}
	mustCreate(t, srv.CreateTournament(Tournament{ID: "t", Duration: 10}))
	mustCreate(t, srv.CreateTournament(Tournament{ID: "t", Duration: 20})) // idempotent
	tt, ok := srv.TournamentInfo("t")
	if !ok || tt.Duration != 10 || tt.StartTime.GetSeconds() != now || tt.MaxSize != 2147483647 || tt.Metadata != "{}" {
		t.Errorf("TournamentInfo %v", tt)
	}
	mustCreate(t, srv.DeleteTournament("taken")) // not a tournament: untouched
	if _, err := srv.LeaderboardRecords("taken"); err != nil {
		t.Errorf("DeleteTournament removed a leaderboard: %v", err)
	}
	mustCreate(t, srv.DeleteTournament("t"))
	if _, ok := srv.TournamentInfo("t"); ok {
		t.Error("deleted tournament still there")
	}
}
