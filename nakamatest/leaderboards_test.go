package nakamatest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// lbPlayer is a user with a session, for leaderboard tests.
type lbPlayer struct {
	sess *api.Session
	id   string
	name string
}

func lbPlayers(t *testing.T, c *testClient, prefix string, n int) []lbPlayer {
	t.Helper()
	out := make([]lbPlayer, n)
	for i := range out {
		name := fmt.Sprintf("%s%d", prefix, i)
		s := &api.Session{}
		c.send("POST", devicePath+"?username="+name, `{"id":"`+name+`-device-id"}`, defaultServerKey).ok(t, s)
		out[i] = lbPlayer{sess: s, id: claims(t, s.Token)["uid"].(string), name: name}
	}
	return out
}

func (c *testClient) lbWrite(p lbPlayer, id, body string) reply {
	c.t.Helper()
	return c.send("POST", "/v2/leaderboard/"+url.PathEscape(id), body, bearerHeader(p.sess))
}

func (c *testClient) lbList(p lbPlayer, id string, q url.Values) *api.LeaderboardRecordList {
	c.t.Helper()
	out := &api.LeaderboardRecordList{}
	c.send("GET", "/v2/leaderboard/"+url.PathEscape(id)+"?"+q.Encode(), "", bearerHeader(p.sess)).ok(c.t, out)
	return out
}

// lbOwners summarises records as "owner-name:score:rank" items.
func lbOwners(players []lbPlayer, recs []*api.LeaderboardRecord) string {
	names := map[string]string{}
	for _, p := range players {
		names[p.id] = p.name
	}
	var out []string
	for _, r := range recs {
		out = append(out, fmt.Sprintf("%s:%d:%d", names[r.OwnerId], r.Score, r.Rank))
	}
	return strings.Join(out, " ")
}

func mustCreate(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLeaderboardWriteAndList(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "lb"}))
	ps := lbPlayers(t, c, "writer", 3)

	rec := &api.LeaderboardRecord{}
	c.lbWrite(ps[0], "lb", `{"score":"50","subscore":"2","metadata":"{\"b\": 1,\"a\":[1.50, 1e2, -0],\"b\":2}"}`).ok(t, rec)
	if rec.LeaderboardId != "lb" || rec.OwnerId != ps[0].id || rec.Username.GetValue() != "writer0" || rec.Score != 50 ||
		rec.Subscore != 2 || rec.NumScore != 1 || rec.MaxNumScore != 1000000 || rec.Rank != 0 || rec.ExpiryTime != nil ||
		rec.CreateTime.GetSeconds() != fixedTime.Unix() || rec.UpdateTime.GetSeconds() != fixedTime.Unix() {
		t.Errorf("first write %v", rec)
	}
	// Metadata comes back as the database's jsonb prints it.
	if rec.Metadata != `{"a": [1.50, 100, 0], "b": 2}` {
		t.Errorf("metadata %s", rec.Metadata)
	}
	c.lbWrite(ps[1], "lb", `{"score":"70"}`).ok(t, nil)
	c.lbWrite(ps[2], "lb", `{"score":"60"}`).ok(t, rec)
	if rec.Metadata != "{}" {
		t.Errorf("default metadata %q", rec.Metadata)
	}

	all := c.lbList(ps[0], "lb", url.Values{"limit": {"10"}})
	if got := lbOwners(ps, all.Records); got != "writer1:70:1 writer2:60:2 writer0:50:3" {
		t.Errorf("listing %s", got)
	}
	if all.NextCursor != "" || all.PrevCursor != "" || all.RankCount != 0 {
		t.Errorf("full listing cursors %q %q, rank count %d", all.NextCursor, all.PrevCursor, all.RankCount)
	}
	// Without a limit the server lists one record.
	one := c.lbList(ps[0], "lb", nil)
	if got := lbOwners(ps, one.Records); got != "writer1:70:1" || one.NextCursor == "" {
		t.Errorf("default listing %s, next %q", got, one.NextCursor)
	}
	// With owners and no limit, only the owners' records, best first,
	// unranked (ranks are not enabled).
	own := c.lbList(ps[0], "lb", url.Values{"owner_ids": {ps[0].id, strings.ToUpper(ps[1].id), ps[0].id}})
	if len(own.Records) != 0 || lbOwners(ps, own.OwnerRecords) != "writer1:70:0 writer0:50:0" {
		t.Errorf("owners listing %s / %s", lbOwners(ps, own.Records), lbOwners(ps, own.OwnerRecords))
	}

	r := c.lbList(ps[0], "lb", url.Values{"limit": {"2"}, "owner_ids": {ps[2].id}})
	if lbOwners(ps, r.Records) != "writer1:70:1 writer2:60:2" || lbOwners(ps, r.OwnerRecords) != "writer2:60:0" {
		t.Errorf("page with owners %s / %s", lbOwners(ps, r.Records), lbOwners(ps, r.OwnerRecords))
	}
}

func TestLeaderboardErrors(t *testing.T) {
	srv, c := startServer(t, nil)
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "open"}))
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "auth", Authoritative: true}))
	mustCreate(t, srv.CreateTournament(Tournament{ID: "cup", Duration: 3600}))
	p := lbPlayers(t, c, "errs", 1)[0]
	h := bearerHeader(p.sess)

	c.lbWrite(p, "nope", `{"score":"1"}`).fails(t, 404, NotFound, "Leaderboard not found.")
	c.lbWrite(p, "auth", `{"score":"1"}`).fails(t, 403, PermissionDenied, "Leaderboard only allows authoritative score submissions.")
	c.lbWrite(p, "open", `{"score":"1","metadata":"[1]"}`).fails(t, 400, InvalidArgument, "Metadata value must be JSON, if provided.")
	c.lbWrite(p, "open", `{"score":"1","metadata":"{"}`).fails(t, 400, InvalidArgument, "Metadata value must be JSON, if provided.")
	// The database refuses negative scores and NUL characters in JSON.
	c.lbWrite(p, "open", `{"score":"-1"}`).fails(t, 500, Internal, "Error writing score to leaderboard.")
	c.lbWrite(p, "open", `{"score":"1","subscore":"-1"}`).fails(t, 500, Internal, "Error writing score to leaderboard.")
	c.lbWrite(p, "open", `{"score":"1","metadata":"{\"a\":\"\\u0000\"}"}`).fails(t, 500, Internal, "Error writing score to leaderboard.")
	c.lbWrite(p, "open", `{"score":"1","operator":9}`).fails(t, 500, Internal, "Error writing score to leaderboard.")
	c.lbWrite(p, "open", `{"score":"1"}`).ok(t, nil)

	c.send("DELETE", "/v2/leaderboard/nope", "", h).fails(t, 404, NotFound, "Leaderboard not found.")
	c.send("DELETE", "/v2/leaderboard/cup", "", h).fails(t, 404, NotFound, "Leaderboard not found.")
	c.send("DELETE", "/v2/leaderboard/auth", "", h).fails(t, 403, PermissionDenied, "Leaderboard only allows authoritative score deletions.")

	c.send("GET", "/v2/leaderboard/nope", "", h).fails(t, 404, NotFound, "Leaderboard not found.")
	c.send("GET", "/v2/leaderboard/open?limit=0", "", h).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
	c.send("GET", "/v2/leaderboard/open?limit=1001", "", h).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
	c.send("GET", "/v2/leaderboard/open?owner_ids=x", "", h).fails(t, 400, InvalidArgument, "One or more owner IDs are invalid.")
	c.send("GET", "/v2/leaderboard/open?limit=5&cursor=!!", "", h).fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")
	c.send("GET", "/v2/leaderboard/open?limit=5&cursor=e30=", "", h).fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")

	around := "/v2/leaderboard/open/owner/" + p.id
	c.send("GET", "/v2/leaderboard/nope/owner/"+p.id, "", h).fails(t, 404, NotFound, "Leaderboard not found.")
	c.send("GET", around+"?limit=101", "", h).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	c.send("GET", "/v2/leaderboard/open/owner/bad", "", h).fails(t, 400, InvalidArgument, "Invalid owner ID provided.")
	c.send("GET", around+"?cursor=!!", "", h).fails(t, 500, Internal, "Error querying records from leaderboard.")
	c.send("GET", "/v2/leaderboard/open", "").fails(t, 401, Unauthenticated, "Auth token required")
}

func TestLeaderboardOperators(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	for _, l := range []Leaderboard{
		{ID: "best"}, {ID: "best-asc", SortOrder: "asc"}, {ID: "set", Operator: "set"},
		{ID: "incr", Operator: "incr"}, {ID: "decr", Operator: "decr"},
	} {
		mustCreate(t, srv.CreateLeaderboard(l))
	}
	p := lbPlayers(t, c, "op", 1)[0]
	step := func(id, body string, score, subscore int64, numScore int32, updated bool) {
		t.Helper()
		srv.FastForward(time.Second)
		rec := &api.LeaderboardRecord{}
		c.lbWrite(p, id, body).ok(t, rec)
		if rec.Score != score || rec.Subscore != subscore || rec.NumScore != numScore {
			t.Errorf("%s %s: score %d/%d num %d, want %d/%d num %d", id, body, rec.Score, rec.Subscore, rec.NumScore, score, subscore, numScore)
		}
		if got := rec.UpdateTime.GetSeconds() == srv.Now().Unix(); got != updated {
			t.Errorf("%s %s: updated %v, want %v", id, body, got, updated)
		}
	}
	// best keeps the better score and, separately, the better subscore; a
	// write that improves neither changes nothing, not even num_score.
	step("best", `{"score":"10","subscore":"5","metadata":"{\"v\":1}"}`, 10, 5, 1, true)
	step("best", `{"score":"8","subscore":"5","metadata":"{\"v\":2}"}`, 10, 5, 1, false)
	step("best", `{"score":"8","subscore":"7"}`, 10, 7, 2, true)
	step("best", `{"score":"12"}`, 12, 7, 3, true)
	step("best-asc", `{"score":"10","subscore":"5"}`, 10, 5, 1, true)
	step("best-asc", `{"score":"12","subscore":"5"}`, 10, 5, 1, false)
	step("best-asc", `{"score":"8","subscore":"9"}`, 8, 5, 2, true)
	step("set", `{"score":"10","subscore":"5"}`, 10, 5, 1, true)
	step("set", `{"score":"10","subscore":"5"}`, 10, 5, 1, false)
	step("set", `{"score":"3"}`, 3, 0, 2, true)
	step("incr", `{"score":"10"}`, 10, 0, 1, true)
	step("incr", `{"score":"5","subscore":"1"}`, 15, 1, 2, true)
	step("incr", `{}`, 15, 1, 2, false)
	// A decrement starts from zero and never goes below it.
	step("decr", `{"score":"10"}`, 0, 0, 1, true)
	step("decr", `{"score":"-7"}`, 7, 0, 2, true)
	step("decr", `{"score":"10"}`, 0, 0, 3, true)
	// A write may name another operator (BEST=1, SET=2, INCREMENT=3, DECREMENT=4).
	step("best", `{"score":"1","operator":"SET"}`, 1, 0, 4, true)
	step("best", `{"score":"4","operator":3}`, 5, 0, 5, true)

	// The metadata of an unchanged write is dropped.
	recs, err := srv.LeaderboardRecords("best")
	if err != nil || len(recs) != 1 || recs[0].Metadata != `{"v": 1}` || recs[0].Rank != 1 {
		t.Errorf("LeaderboardRecords: %v, %v", recs, err)
	}
}

func TestLeaderboardCursors(t *testing.T) {
	for _, order := range []string{"desc", "asc"} {
		t.Run(order, func(t *testing.T) {
			srv, c := startServer(t, nil)
			mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "pages", SortOrder: order}))
			ps := lbPlayers(t, c, "pager", 5)
			for i, p := range ps {
				c.lbWrite(p, "pages", fmt.Sprintf(`{"score":"%d"}`, 10*(i+1))).ok(t, nil)
			}
			names := []string{"pager4:50", "pager3:40", "pager2:30", "pager1:20", "pager0:10"}
			if order == "asc" {
				names = []string{"pager0:10", "pager1:20", "pager2:30", "pager3:40", "pager4:50"}
			}
			want := func(from, to int) string {
				var out []string
				for i := from; i < to; i++ {
					out = append(out, fmt.Sprintf("%s:%d", names[i], i+1))
				}
				return strings.Join(out, " ")
			}
			page := func(cursor string) *api.LeaderboardRecordList {
				return c.lbList(ps[0], "pages", url.Values{"limit": {"2"}, "cursor": {cursor}})
			}
			p1 := page("")
			p2 := page(p1.NextCursor)
			p3 := page(p2.NextCursor)
			for i, tc := range []struct {
				got              *api.LeaderboardRecordList
				want             string
				hasPrev, hasNext bool
			}{
				{p1, want(0, 2), false, true},
				{p2, want(2, 4), true, true},
				{p3, want(4, 5), true, false},
			} {
				if got := lbOwners(ps, tc.got.Records); got != tc.want ||
					(tc.got.PrevCursor != "") != tc.hasPrev || (tc.got.NextCursor != "") != tc.hasNext {
					t.Errorf("page %d: %s (prev %q, next %q), want %s", i+1, got, tc.got.PrevCursor, tc.got.NextCursor, tc.want)
				}
			}
			// Back again: ranks count down from the cursor's, the page is in
			// leaderboard order, and the first page has no previous cursor.
			b2 := page(p3.PrevCursor)
			if got := lbOwners(ps, b2.Records); got != want(2, 4) || b2.NextCursor == "" || b2.PrevCursor == "" {
				t.Errorf("back to page 2: %s (prev %q, next %q)", got, b2.PrevCursor, b2.NextCursor)
			}
			b1 := page(b2.PrevCursor)
			if got := lbOwners(ps, b1.Records); got != want(0, 2) || b1.NextCursor == "" || b1.PrevCursor != "" {
				t.Errorf("back to page 1: %s (prev %q, next %q)", got, b1.PrevCursor, b1.NextCursor)
			}
			if got := lbOwners(ps, page(b1.NextCursor).Records); got != want(2, 4) {
				t.Errorf("forward again: %s", got)
			}
			// A cursor belongs to its leaderboard.
			mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "other"}))
			c.send("GET", "/v2/leaderboard/other?cursor="+url.QueryEscape(p1.NextCursor), "", bearerHeader(ps[0].sess)).
				fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")
		})
	}
}

func TestLeaderboardTieBreaks(t *testing.T) {
	srv, c := startServer(t, nil)
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "ties"}))
	ps := lbPlayers(t, c, "tie", 3)
	for _, p := range ps {
		c.lbWrite(p, "ties", `{"score":"5","subscore":"1"}`).ok(t, nil)
	}
	c.lbWrite(ps[0], "ties", `{"score":"5","subscore":"2"}`).ok(t, nil)
	got := c.lbList(ps[0], "ties", url.Values{"limit": {"3"}})
	// Higher subscore first; then, for a descending board, the greater
	// owner id.
	a, b := ps[1], ps[2]
	if a.id < b.id {
		a, b = b, a
	}
	if got.Records[0].OwnerId != ps[0].id || got.Records[1].OwnerId != a.id || got.Records[2].OwnerId != b.id {
		t.Errorf("tie order %s", lbOwners(ps, got.Records))
	}
}

func TestLeaderboardRanks(t *testing.T) {
	srv, c := startServer(t, nil)
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "ranked", EnableRanks: true}))
	ps := lbPlayers(t, c, "ranker", 3)
	rec := &api.LeaderboardRecord{}
	c.lbWrite(ps[0], "ranked", `{"score":"10"}`).ok(t, rec)
	if rec.Rank != 1 {
		t.Errorf("first record rank %d", rec.Rank)
	}
	c.lbWrite(ps[1], "ranked", `{"score":"30"}`).ok(t, rec)
	if rec.Rank != 1 {
		t.Errorf("best record rank %d", rec.Rank)
	}
	c.lbWrite(ps[2], "ranked", `{"score":"20"}`).ok(t, rec)
	if rec.Rank != 2 {
		t.Errorf("middle record rank %d", rec.Rank)
	}
	c.lbWrite(ps[0], "ranked", `{"score":"5"}`).ok(t, rec) // unchanged, still ranked
	if rec.Rank != 3 {
		t.Errorf("unchanged record rank %d", rec.Rank)
	}
	got := c.lbList(ps[0], "ranked", url.Values{"owner_ids": {ps[0].id, ps[2].id}})
	if lbOwners(ps, got.OwnerRecords) != "ranker2:20:2 ranker0:10:3" || got.RankCount != 3 {
		t.Errorf("owner records %s, rank count %d", lbOwners(ps, got.OwnerRecords), got.RankCount)
	}
	c.send("DELETE", "/v2/leaderboard/ranked", "", bearerHeader(ps[1].sess)).ok(t, nil)
	got = c.lbList(ps[0], "ranked", url.Values{"owner_ids": {ps[0].id}, "limit": {"5"}})
	if lbOwners(ps, got.Records) != "ranker2:20:1 ranker0:10:2" || lbOwners(ps, got.OwnerRecords) != "ranker0:10:2" || got.RankCount != 2 {
		t.Errorf("after delete %s / %s, rank count %d", lbOwners(ps, got.Records), lbOwners(ps, got.OwnerRecords), got.RankCount)
	}
	// Deleting an account deletes its records.
	if err := srv.DeleteUser(ps[2].id); err != nil {
		t.Fatal(err)
	}
	got = c.lbList(ps[0], "ranked", url.Values{"limit": {"5"}})
	if lbOwners(ps, got.Records) != "ranker0:10:1" || got.RankCount != 1 {
		t.Errorf("after account deletion %s, rank count %d", lbOwners(ps, got.Records), got.RankCount)
	}
}

func TestLeaderboardAroundOwner(t *testing.T) {
	srv, c := startServer(t, nil)
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "hay", EnableRanks: true}))
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "hay-unranked"}))
	ps := lbPlayers(t, c, "h", 10)
	for i, p := range ps {
		body := fmt.Sprintf(`{"score":"%d"}`, 100-i) // ps[i] ranks i+1
		c.lbWrite(p, "hay", body).ok(t, nil)
		c.lbWrite(p, "hay-unranked", body).ok(t, nil)
	}
	around := func(id string, owner lbPlayer, q url.Values) *api.LeaderboardRecordList {
		t.Helper()
		out := &api.LeaderboardRecordList{}
		c.send("GET", "/v2/leaderboard/"+id+"/owner/"+owner.id+"?"+q.Encode(), "", bearerHeader(ps[0].sess)).ok(t, out)
		return out
	}
	for _, tc := range []struct {
		owner            int
		limit            string
		want             string
		hasPrev, hasNext bool
	}{
		{4, "3", "h3:97:4 h4:96:5 h5:95:6", true, true},
		{0, "3", "h0:100:1 h1:99:2 h2:98:3", false, true},
		{9, "3", "h7:93:8 h8:92:9 h9:91:10", true, false},
		{8, "4", "h6:94:7 h7:93:8 h8:92:9 h9:91:10", true, false},
		{4, "", "h4:96:5", true, true},
		{2, "10", "h0:100:1 h1:99:2 h2:98:3 h3:97:4 h4:96:5 h5:95:6 h6:94:7 h7:93:8 h8:92:9 h9:91:10", false, false},
	} {
		q := url.Values{}
		if tc.limit != "" {
			q.Set("limit", tc.limit)
		}
		got := around("hay", ps[tc.owner], q)
		if s := lbOwners(ps, got.Records); s != tc.want || (got.PrevCursor != "") != tc.hasPrev ||
			(got.NextCursor != "") != tc.hasNext || got.RankCount != 10 {
			t.Errorf("around h%d limit %q: %s (prev %q, next %q, rank count %d), want %s",
				tc.owner, tc.limit, s, got.PrevCursor, got.NextCursor, got.RankCount, tc.want)
		}
	}
	// The cursors page the listing from the window.
	got := around("hay", ps[4], url.Values{"limit": {"3"}})
	next := around("hay", ps[4], url.Values{"limit": {"3"}, "cursor": {got.NextCursor}})
	if s := lbOwners(ps, next.Records); s != "h6:94:7 h7:93:8 h8:92:9" {
		t.Errorf("next page %s", s)
	}
	prev := c.lbList(ps[0], "hay", url.Values{"limit": {"3"}, "cursor": {got.PrevCursor}})
	if s := lbOwners(ps, prev.Records); s != "h0:100:1 h1:99:2 h2:98:3" {
		t.Errorf("previous page %s", s)
	}
	// Without ranks, records around an owner are unranked, and so are the
	// pages that follow from their cursors.
	got = around("hay-unranked", ps[4], url.Values{"limit": {"3"}})
	if s := lbOwners(ps, got.Records); s != "h3:97:0 h4:96:0 h5:95:0" || got.RankCount != 0 {
		t.Errorf("unranked window %s, rank count %d", s, got.RankCount)
	}
	next = c.lbList(ps[0], "hay-unranked", url.Values{"limit": {"2"}, "cursor": {got.NextCursor}})
	if s := lbOwners(ps, next.Records); s != "h6:94:1 h7:93:2" {
		t.Errorf("page after an unranked window %s", s)
	}
	// An owner without a record gets nothing.
	stranger := lbPlayers(t, c, "stranger", 1)[0]
	if got := around("hay", stranger, nil); len(got.Records) != 0 || got.NextCursor != "" {
		t.Errorf("stranger: %v", got)
	}
}

func TestLeaderboardResets(t *testing.T) {
	srv, c := startServer(t, &Options{TokenExpiry: 72 * time.Hour})
	srv.SetTime(fixedTime) // a Friday, noon
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "daily", ResetSchedule: "0 0 * * *", EnableRanks: true}))
	ps := lbPlayers(t, c, "daily", 2)
	midnight := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC).Unix()
	rec := &api.LeaderboardRecord{}
	c.lbWrite(ps[0], "daily", `{"score":"10"}`).ok(t, rec)
	if rec.ExpiryTime.GetSeconds() != midnight || rec.Rank != 1 {
		t.Errorf("expiry %v, rank %d", rec.ExpiryTime, rec.Rank)
	}
	c.lbWrite(ps[1], "daily", `{"score":"5"}`).ok(t, nil)
	first := c.lbList(ps[0], "daily", url.Values{"limit": {"1"}})

	srv.FastForward(12 * time.Hour) // exactly midnight: a new period
	if got := c.lbList(ps[0], "daily", url.Values{"limit": {"10"}}); len(got.Records) != 0 {
		t.Errorf("records after the reset: %s", lbOwners(ps, got.Records))
	}
	c.send("GET", "/v2/leaderboard/daily?limit=1&cursor="+url.QueryEscape(first.NextCursor), "", bearerHeader(ps[0].sess)).
		fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")
	c.lbWrite(ps[1], "daily", `{"score":"7"}`).ok(t, rec)
	if rec.NumScore != 1 || rec.Rank != 1 || rec.ExpiryTime.GetSeconds() != midnight+86400 {
		t.Errorf("new period record %v", rec)
	}
	// The old period can still be listed by its expiry; the rank cache has
	// let it go, so only the listing's own ranks remain.
	old := c.lbList(ps[0], "daily", url.Values{"limit": {"10"}, "expiry": {fmt.Sprint(midnight)}, "owner_ids": {ps[0].id}})
	if lbOwners(ps, old.Records) != "daily0:10:1 daily1:5:2" || lbOwners(ps, old.OwnerRecords) != "daily0:10:0" || old.RankCount != 0 {
		t.Errorf("old period %s / %s, rank count %d", lbOwners(ps, old.Records), lbOwners(ps, old.OwnerRecords), old.RankCount)
	}
	got := &api.LeaderboardRecordList{}
	c.send("GET", "/v2/leaderboard/daily/owner/"+ps[0].id+"?expiry="+fmt.Sprint(midnight), "", bearerHeader(ps[0].sess)).ok(t, got)
	if lbOwners(ps, got.Records) != "daily0:10:0" {
		t.Errorf("old period around owner %s", lbOwners(ps, got.Records))
	}
}

func TestCreateLeaderboardValidation(t *testing.T) {
	srv := NewServer(nil)
	for _, l := range []Leaderboard{
		{},
		{ID: "x", SortOrder: "up"},
		{ID: "x", Operator: "max"},
		{ID: "x", ResetSchedule: "every day"},
		{ID: "x", Metadata: "[1]"},
		{ID: strings.Repeat("x", 129)},
	} {
		if err := srv.CreateLeaderboard(l); err == nil {
			t.Errorf("CreateLeaderboard(%+v) succeeded", l)
		}
	}
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "x", Operator: "decrement", SortOrder: "ascending"}))
	// Creating again is a no-op, even with other settings.
	mustCreate(t, srv.CreateLeaderboard(Leaderboard{ID: "x", Authoritative: true}))
	rec, err := srv.WriteLeaderboardRecord("x", RecordWrite{OwnerID: "00000000-0000-4000-8000-000000000001", Score: 5})
	if err != nil || rec.Score != 0 || rec.Username != nil {
		t.Errorf("direct write to a decrementing board: %v, %v", rec, err)
	}
	if _, err := srv.WriteLeaderboardRecord("x", RecordWrite{OwnerID: "nope"}); err == nil {
		t.Error("direct write with a bad owner succeeded")
	}
	if _, err := srv.WriteLeaderboardRecord("missing", RecordWrite{OwnerID: "00000000-0000-4000-8000-000000000001"}); err == nil {
		t.Error("direct write to a missing board succeeded")
	}
	mustCreate(t, srv.DeleteLeaderboard("x"))
	if _, err := srv.LeaderboardRecords("x"); err == nil {
		t.Error("deleted leaderboard still has records")
	}
}

func TestJSONBText(t *testing.T) {
	for in, want := range map[string]string{
		`{}`: `{}`,
		` { "bb" : 1 , "a":2, "ccc":{ }, "bb": 3}`:    `{"a": 2, "bb": 3, "ccc": {}}`,
		`[1.50, 1e2, 1.5e-3, -0, -0.0, 120e-1, 0.00]`: `[1.50, 100, 0.0015, 0, 0.0, 12.0, 0.00]`,
		`["\u00e9\/\t\u001f", true, null, false]`:     `["é/\t\u001f", true, null, false]`,
		`{"<":"\u003c&"}`: `{"<": "<&"}`,
		`"\ud83d\ude00"`:  `"😀"`,
	} {
		got, err := pgJSONB(in)
		if err != nil || got != want {
			t.Errorf("pgJSONB(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{`"\u0000"`, `"\ud83d"`, `"\ude00x"`, `{`} {
		if got, err := pgJSONB(in); err == nil {
			t.Errorf("pgJSONB(%s) = %s, want an error", in, got)
		}
	}
}
