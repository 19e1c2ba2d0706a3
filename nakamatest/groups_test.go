package nakamatest

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// createGroup creates a group over the API with the given JSON body.
func (c *testClient) createGroup(s *api.Session, body string) *api.Group {
	c.t.Helper()
	g := &api.Group{}
	c.send("POST", "/v2/group", body, bearerHeader(s)).ok(c.t, g)
	return g
}

// members summarises ListGroupUsers as "username:state" items.
func (c *testClient) members(s *api.Session, groupID, query string) ([]string, string) {
	c.t.Helper()
	l := &api.GroupUserList{}
	c.send("GET", "/v2/group/"+groupID+"/user?"+query, "", bearerHeader(s)).ok(c.t, l)
	var out []string
	for _, u := range l.GroupUsers {
		out = append(out, fmt.Sprintf("%s:%d", u.User.Username, u.State.GetValue()))
	}
	return out, l.Cursor
}

func (c *testClient) group(s *api.Session, groupID string) *api.Group {
	c.t.Helper()
	l := &api.UserGroupList{}
	c.send("GET", "/v2/user/"+claims(c.t, s.Token)["uid"].(string)+"/group", "", bearerHeader(s)).ok(c.t, l)
	for _, ug := range l.UserGroups {
		if ug.Group.Id == groupID {
			return ug.Group
		}
	}
	c.t.Fatalf("group %s not among the user's groups", groupID)
	return nil
}

func TestCreateGroup(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s, uid := c.named("owner")
	r := c.send("POST", "/v2/group", `{"name":"Guild"}`, bearerHeader(s))
	g := &api.Group{}
	r.ok(t, g)
	want := `{"id":"` + g.Id + `","creator_id":"` + uid + `","name":"Guild","lang_tag":"en","metadata":"{}",` +
		`"open":false,"edge_count":1,"max_count":100,"create_time":"2026-05-01T12:00:00Z","update_time":"2026-05-01T12:00:00Z"}`
	if r.body != want {
		t.Errorf("created group\n got %s\nwant %s", r.body, want)
	}
	if got, _ := c.members(s, g.Id, ""); !slices.Equal(got, []string{"owner:0"}) {
		t.Errorf("members %v", got)
	}
	g2 := c.createGroup(s, `{"name":"Other","description":"d","lang_tag":"fr","avatar_url":"http://a","open":true,"max_count":3}`)
	if g2.Description != "d" || g2.LangTag != "fr" || g2.AvatarUrl != "http://a" || !g2.Open.Value || g2.MaxCount != 3 {
		t.Errorf("group with options %v", g2)
	}
	c.send("POST", "/v2/group", `{"name":"Guild"}`, bearerHeader(s)).fails(t, 409, AlreadyExists, "Group name is in use.")
	c.send("POST", "/v2/group", `{"name":"guild"}`, bearerHeader(s)).ok(t, nil) // case matters
	c.send("POST", "/v2/group", `{}`, bearerHeader(s)).fails(t, 400, InvalidArgument, "Group name must be set.")
	c.send("POST", "/v2/group", `{"name":"x","max_count":-1}`, bearerHeader(s)).fails(t, 400, InvalidArgument,
		"Group max count must be >= 1 when set.")
	for _, body := range []string{
		`{"name":"` + strings.Repeat("n", 256) + `"}`,
		`{"name":"y","lang_tag":"` + strings.Repeat("l", 19) + `"}`,
		`{"name":"y","description":"` + strings.Repeat("d", 256) + `"}`,
		`{"name":"y","avatar_url":"` + strings.Repeat("a", 513) + `"}`,
		`{"name":"y\u0000"}`,
	} {
		c.send("POST", "/v2/group", body, bearerHeader(s)).fails(t, 500, Internal, "Error while trying to create group.")
	}
	// Widths count characters, not bytes.
	c.send("POST", "/v2/group", `{"name":"`+strings.Repeat("é", 255)+`"}`, bearerHeader(s)).ok(t, nil)
}

func TestUpdateAndDeleteGroup(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	owner, _ := c.named("owner")
	member, memberID := c.named("member")
	g := c.createGroup(owner, `{"name":"G","description":"old","open":true}`)
	c.createGroup(owner, `{"name":"Taken"}`)
	c.send("POST", "/v2/group/"+g.Id+"/join", "", bearerHeader(member)).ok(t, nil)

	path := "/v2/group/" + g.Id
	c.send("PUT", path, `{"name":"New"}`, bearerHeader(member)).fails(t, 404, NotFound, "Group not found or you're not allowed to update.")
	c.send("PUT", "/v2/group/"+systemUserID, `{"name":"New"}`, bearerHeader(owner)).fails(t, 404, NotFound,
		"Group not found or you're not allowed to update.")
	c.send("PUT", "/v2/group/nope", `{"name":"New"}`, bearerHeader(owner)).fails(t, 400, InvalidArgument, "Group ID must be a valid ID.")
	c.send("PUT", path, `{"name":""}`, bearerHeader(owner)).fails(t, 400, InvalidArgument, "Group name cannot be empty.")
	c.send("PUT", path, `{"lang_tag":""}`, bearerHeader(owner)).fails(t, 400, InvalidArgument, "Group language cannot be empty.")
	c.send("PUT", path, `{}`, bearerHeader(owner)).fails(t, 400, InvalidArgument, "Specify at least one field to update.")
	c.send("PUT", path, `{"name":"Taken"}`, bearerHeader(owner)).fails(t, 400, InvalidArgument, "Group name is in use.")
	c.send("PUT", path, `{"avatar_url":"`+strings.Repeat("a", 513)+`"}`, bearerHeader(owner)).fails(t, 500, Internal,
		"Error while trying to update group.")

	srv.FastForward(time.Second)
	c.send("PUT", path, `{"name":"New","description":"","lang_tag":"de","open":false}`, bearerHeader(owner)).ok(t, nil)
	got := c.group(owner, g.Id)
	if got.Name != "New" || got.Description != "" || got.LangTag != "de" || got.Open.Value ||
		got.UpdateTime.AsTime().Unix() != fixedTime.Unix()+1 {
		t.Errorf("after update %v", got)
	}
	// The old name is free again; keeping one's own name is no conflict.
	c.send("PUT", path, `{"name":"New"}`, bearerHeader(owner)).ok(t, nil)
	c.createGroup(owner, `{"name":"G"}`)

	// An admin may update but not delete.
	c.send("POST", path+"/promote?user_ids="+memberID, "", bearerHeader(owner)).ok(t, nil)
	c.send("PUT", path, `{"description":"by admin"}`, bearerHeader(member)).ok(t, nil)
	c.send("DELETE", path, "", bearerHeader(member)).fails(t, 400, InvalidArgument, "Group not found or you're not allowed to delete.")
	c.send("DELETE", path, "", bearerHeader(owner)).ok(t, nil)
	if _, ok := srv.Group(g.Id); ok {
		t.Error("group survived its deletion")
	}
	l := &api.UserGroupList{}
	c.send("GET", "/v2/user/"+memberID+"/group", "", bearerHeader(member)).ok(t, l)
	if len(l.UserGroups) != 0 {
		t.Errorf("member still lists %v", l.UserGroups)
	}
}

func TestJoinAndLeaveGroup(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	owner, _ := c.named("owner")
	a, _ := c.named("alpha")
	b, _ := c.named("bravo")
	open := c.createGroup(owner, `{"name":"Open","open":true,"max_count":2}`)
	closed := c.createGroup(owner, `{"name":"Closed"}`)

	c.send("POST", "/v2/group/"+systemUserID+"/join", "", bearerHeader(a)).fails(t, 404, NotFound, "Group not found.")
	c.send("POST", "/v2/group/bad/join", "", bearerHeader(a)).fails(t, 400, InvalidArgument, "Group ID must be a valid ID.")

	srv.FastForward(time.Second)
	c.send("POST", "/v2/group/"+open.Id+"/join", "", bearerHeader(a)).ok(t, nil)
	if got, _ := c.members(owner, open.Id, ""); !slices.Equal(got, []string{"owner:0", "alpha:2"}) {
		t.Errorf("open group members %v", got)
	}
	g, _ := srv.Group(open.Id)
	if g.EdgeCount != 2 || g.UpdateTime.AsTime().Unix() != fixedTime.Unix()+1 {
		t.Errorf("open group after join: edge count %d, update time %v", g.EdgeCount, g.UpdateTime.AsTime())
	}
	// Full: even a member is told so.
	c.send("POST", "/v2/group/"+open.Id+"/join", "", bearerHeader(b)).fails(t, 400, InvalidArgument, "Group is full.")
	c.send("POST", "/v2/group/"+open.Id+"/join", "", bearerHeader(a)).fails(t, 400, InvalidArgument, "Group is full.")

	// A closed group takes requests, which do not count.
	c.send("POST", "/v2/group/"+closed.Id+"/join", "", bearerHeader(b)).ok(t, nil)
	c.send("POST", "/v2/group/"+closed.Id+"/join", "", bearerHeader(b)).ok(t, nil)
	if got, _ := c.members(owner, closed.Id, ""); !slices.Equal(got, []string{"owner:0", "bravo:3"}) {
		t.Errorf("closed group members %v", got)
	}
	if g, _ := srv.Group(closed.Id); g.EdgeCount != 1 {
		t.Errorf("closed group edge count %d", g.EdgeCount)
	}

	// Leaving: a requester withdraws, a member leaves, a stranger is fine.
	c.send("POST", "/v2/group/"+closed.Id+"/leave", "", bearerHeader(b)).ok(t, nil)
	c.send("POST", "/v2/group/"+open.Id+"/leave", "", bearerHeader(b)).ok(t, nil)
	c.send("POST", "/v2/group/"+systemUserID+"/leave", "", bearerHeader(b)).ok(t, nil)
	c.send("POST", "/v2/group/"+open.Id+"/leave", "", bearerHeader(owner)).fails(t, 400, InvalidArgument,
		"Cannot leave group when you are the last superadmin.")
	c.send("POST", "/v2/group/"+open.Id+"/leave", "", bearerHeader(a)).ok(t, nil)
	if g, _ := srv.Group(open.Id); g.EdgeCount != 1 {
		t.Errorf("open group edge count after leave %d", g.EdgeCount)
	}
	// The last member leaving deletes the group, even with a pending request.
	c.send("POST", "/v2/group/"+closed.Id+"/join", "", bearerHeader(b)).ok(t, nil)
	c.send("POST", "/v2/group/"+closed.Id+"/leave", "", bearerHeader(owner)).ok(t, nil)
	if _, ok := srv.Group(closed.Id); ok {
		t.Error("closed group survived its last member")
	}
}

func TestGroupMembershipRanks(t *testing.T) {
	srv, c := startServer(t, nil)
	owner, ownerID := c.named("owner")
	admin, adminID := c.named("admin")
	m1, m1ID := c.named("m1")
	_, m2ID := c.named("m2")
	req, reqID := c.named("req")
	g := c.createGroup(owner, `{"name":"G","max_count":4}`)
	path := "/v2/group/" + g.Id

	// Only admins add; unknown users fail the whole call.
	c.send("POST", path+"/add?user_ids="+m1ID, "", bearerHeader(m1)).fails(t, 404, NotFound, "Group not found or permission denied.")
	c.send("POST", path+"/add?user_ids=nope", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "User ID must be a valid ID.")
	c.send("POST", path+"/add?user_ids="+adminID+"&user_ids=6b1c2a5e-0000-4000-8000-000000000001", "", bearerHeader(owner)).
		fails(t, 400, InvalidArgument, "One or more users not found.")
	if got, _ := c.members(owner, g.Id, ""); len(got) != 1 {
		t.Fatalf("members after a failed add %v", got)
	}
	c.send("POST", path+"/add", "", bearerHeader(m1)).ok(t, nil) // nothing named: not even checked
	c.send("POST", path+"/add?user_ids="+adminID+"&user_ids="+m1ID+"&user_ids="+ownerID, "", bearerHeader(owner)).ok(t, nil)
	c.send("POST", path+"/join", "", bearerHeader(req)).ok(t, nil)
	c.send("POST", path+"/promote?user_ids="+adminID, "", bearerHeader(owner)).ok(t, nil)
	if got, _ := c.members(owner, g.Id, ""); !slices.Equal(got, []string{"owner:0", "admin:1", "m1:2", "req:3"}) {
		t.Fatalf("members %v", got)
	}
	// A join request is not promoted; AddGroupUsers accepts it.
	c.send("POST", path+"/promote?user_ids="+reqID, "", bearerHeader(owner)).ok(t, nil)
	if got, _ := c.members(owner, g.Id, "state=3"); !slices.Equal(got, []string{"req:3"}) {
		t.Errorf("join request after promote %v", got)
	}
	// The group is full at 4: accepting the request and adding m2 overflows.
	c.send("POST", path+"/add?user_ids="+reqID+"&user_ids="+m2ID, "", bearerHeader(admin)).fails(t, 400, InvalidArgument, "Group is full.")
	c.send("POST", path+"/add?user_ids="+reqID, "", bearerHeader(admin)).ok(t, nil)
	if gg, _ := srv.Group(g.Id); gg.EdgeCount != 4 {
		t.Errorf("edge count %d, want 4", gg.EdgeCount)
	}

	// Admins cannot touch admins or superadmins, but may demote admins.
	c.send("POST", path+"/kick?user_ids="+ownerID, "", bearerHeader(admin)).ok(t, nil)
	c.send("POST", path+"/promote?user_ids="+m1ID, "", bearerHeader(admin)).ok(t, nil) // m1 → admin
	c.send("POST", path+"/promote?user_ids="+m1ID, "", bearerHeader(admin)).ok(t, nil) // no further
	if got, _ := c.members(owner, g.Id, ""); !slices.Equal(got, []string{"owner:0", "admin:1", "m1:1", "req:2"}) {
		t.Errorf("members after admin actions %v", got)
	}
	c.send("POST", path+"/demote?user_ids="+m1ID, "", bearerHeader(admin)).ok(t, nil)
	c.send("POST", path+"/demote?user_ids="+m1ID, "", bearerHeader(admin)).ok(t, nil) // a member stays a member
	c.send("POST", path+"/demote", "", bearerHeader(admin)).fails(t, 400, InvalidArgument, "User IDs must be set.")
	c.send("POST", path+"/demote?user_ids="+m1ID, "", bearerHeader(m1)).fails(t, 404, NotFound, "Group not found or permission denied.")

	// A superadmin may promote an admin to superadmin and demote one while
	// another remains.
	c.send("POST", path+"/promote?user_ids="+adminID, "", bearerHeader(owner)).ok(t, nil)
	c.send("POST", path+"/demote?user_ids="+ownerID, "", bearerHeader(admin)).ok(t, nil)
	if got, _ := c.members(owner, g.Id, ""); !slices.Equal(got, []string{"admin:0", "owner:1", "m1:2", "req:2"}) {
		t.Errorf("members after superadmin changes %v", got)
	}

	// Kick and ban: only users with an edge are affected, and of several
	// bans in one call only the first is recorded.
	c.send("POST", path+"/ban?user_ids="+m2ID, "", bearerHeader(admin)).ok(t, nil)
	c.send("POST", path+"/ban?user_ids="+m1ID+"&user_ids="+reqID, "", bearerHeader(admin)).ok(t, nil)
	if got, _ := c.members(owner, g.Id, ""); !slices.Equal(got, []string{"admin:0", "owner:1"}) {
		t.Errorf("members after bans %v", got)
	}
	if got, _ := c.members(owner, g.Id, "state=4"); !slices.Equal(got, []string{"m1:4"}) {
		t.Errorf("banned %v", got)
	}
	if gg, _ := srv.Group(g.Id); gg.EdgeCount != 2 {
		t.Errorf("edge count after bans %d", gg.EdgeCount)
	}
	// A ban is not in the user's own list; joining again is quietly refused.
	l := &api.UserGroupList{}
	c.send("GET", "/v2/user/"+m1ID+"/group", "", bearerHeader(m1)).ok(t, l)
	if len(l.UserGroups) != 0 {
		t.Errorf("banned user's groups %v", l.UserGroups)
	}
	c.send("POST", path+"/join", "", bearerHeader(m1)).ok(t, nil)
	c.send("POST", path+"/leave", "", bearerHeader(m1)).ok(t, nil)
	if got, _ := c.members(owner, g.Id, "state=4"); !slices.Equal(got, []string{"m1:4"}) {
		t.Errorf("banned after join and leave %v", got)
	}
	// The unrecorded ban left req free to ask again; kicking m1 lifts the ban.
	c.send("POST", path+"/join", "", bearerHeader(req)).ok(t, nil)
	c.send("POST", path+"/kick?user_ids="+m1ID+"&user_ids="+reqID, "", bearerHeader(owner)).ok(t, nil)
	if got, _ := c.members(owner, g.Id, "state=4"); len(got) != 0 {
		t.Errorf("banned after kick %v", got)
	}
	if got, _ := c.members(owner, g.Id, ""); !slices.Equal(got, []string{"admin:0", "owner:1"}) {
		t.Errorf("members at the end %v", got)
	}
}

func TestListGroupUsersAndUserGroups(t *testing.T) {
	_, c := startServer(t, nil)
	owner, ownerID := c.named("owner")
	g := c.createGroup(owner, `{"name":"G","open":true}`)
	var names []string
	for i := range 5 {
		s, _ := c.named(fmt.Sprintf("u%d", i))
		c.send("POST", "/v2/group/"+g.Id+"/join", "", bearerHeader(s)).ok(t, nil)
		names = append(names, fmt.Sprintf("u%d:2", i))
	}
	want := append([]string{"owner:0"}, names...)
	var paged []string
	cursor := ""
	for {
		page, next := c.members(owner, g.Id, "limit=2&cursor="+url.QueryEscape(cursor))
		paged = append(paged, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged members %v, want %v", paged, want)
	}
	page, next := c.members(owner, g.Id, "state=2&limit=3")
	if !slices.Equal(page, names[:3]) || next == "" {
		t.Errorf("members in state 2 %v", page)
	}
	base := "/v2/group/" + g.Id + "/user?"
	c.send("GET", base+"state=0&cursor="+url.QueryEscape(next), "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Cursor is invalid.")
	c.send("GET", base+"cursor=zz", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Cursor is invalid.")
	c.send("GET", base+"limit=101", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	c.send("GET", base+"state=5", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Invalid state - state must be between 0 and 4.")
	if got, _ := c.members(owner, systemUserID, ""); len(got) != 0 {
		t.Errorf("members of no group %v", got)
	}

	// The users inside carry their edge counts.
	l := &api.GroupUserList{}
	c.send("GET", base+"limit=1", "", bearerHeader(owner)).ok(t, l)
	if l.GroupUsers[0].User.Id != ownerID {
		t.Errorf("first member %v", l.GroupUsers[0].User)
	}

	// The owner's groups, paged, with their states.
	for i := range 3 {
		c.createGroup(owner, fmt.Sprintf(`{"name":"H%d"}`, i))
	}
	var groups []string
	cursor = ""
	for {
		ug := &api.UserGroupList{}
		c.send("GET", "/v2/user/"+ownerID+"/group?limit=3&cursor="+url.QueryEscape(cursor), "", bearerHeader(owner)).ok(t, ug)
		for _, x := range ug.UserGroups {
			groups = append(groups, fmt.Sprintf("%s:%d:%d", x.Group.Name, x.State.Value, x.Group.EdgeCount))
		}
		if cursor = ug.Cursor; cursor == "" {
			break
		}
	}
	if want := []string{"G:0:6", "H0:0:1", "H1:0:1", "H2:0:1"}; !slices.Equal(groups, want) {
		t.Errorf("owner's groups %v, want %v", groups, want)
	}
	ugPath := "/v2/user/" + ownerID + "/group?"
	c.send("GET", "/v2/user/bad/group", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Group ID must be a valid ID.")
	c.send("GET", ugPath+"limit=0", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	c.send("GET", ugPath+"state=-1", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Invalid state - state must be between 0 and 4.")
	c.send("GET", ugPath+"cursor=%21", "", bearerHeader(owner)).fails(t, 400, InvalidArgument, "Cursor is invalid.")
}

func TestListGroups(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s, _ := c.named("owner")
	other, _ := c.named("other")
	for i, spec := range []string{
		`{"name":"alpha-1","lang_tag":"fr","open":true}`,
		`{"name":"Alpha-2","lang_tag":"fr"}`,
		`{"name":"alpha_3","lang_tag":"de","open":true}`,
		`{"name":"beta-1","lang_tag":"fr","open":true}`,
	} {
		srv.FastForward(time.Second)
		g := c.createGroup(s, spec)
		if i == 3 {
			c.send("POST", "/v2/group/"+g.Id+"/join", "", bearerHeader(other)).ok(t, nil)
		}
	}
	list := func(query string) ([]string, string) {
		t.Helper()
		l := &api.GroupList{}
		c.send("GET", "/v2/group?"+query, "", bearerHeader(s)).ok(t, l)
		var out []string
		for _, g := range l.Groups {
			out = append(out, g.Name)
		}
		return out, l.Cursor
	}
	all := func(query string) []string {
		t.Helper()
		var out []string
		cursor := ""
		for range 20 {
			page, next := list(query + "&cursor=" + url.QueryEscape(cursor))
			out = append(out, page...)
			if cursor = next; cursor == "" {
				return out
			}
		}
		t.Fatalf("%s: paging does not end", query)
		return nil
	}
	// The default page holds one group.
	if got, cursor := list(""); !slices.Equal(got, []string{"alpha-1"}) || cursor == "" {
		t.Errorf("default page %v cursor %q", got, cursor)
	}
	// Name: case-insensitive LIKE, leading wildcards dropped, sorted by name.
	if got := all("limit=1&name=alpha%25"); !slices.Equal(got, []string{"Alpha-2", "alpha-1", "alpha_3"}) {
		t.Errorf("name alpha%% %v", got)
	}
	if got := all("limit=5&name=" + url.QueryEscape("%% alpha-%")); !slices.Equal(got, []string{"Alpha-2", "alpha-1"}) {
		t.Errorf("name with leading wildcards %v", got)
	}
	if got := all("limit=5&name=ALPHA_2"); !slices.Equal(got, []string{"Alpha-2"}) {
		t.Errorf("name ALPHA_2 %v", got)
	}
	if got := all("limit=5&name=alpha\\_%25"); !slices.Equal(got, []string{"alpha_3"}) {
		t.Errorf("escaped underscore %v", got)
	}
	if got := all("limit=5&name=%25"); len(got) != 4 {
		t.Errorf("name %% alone lists %v", got)
	}
	// Update time order without filters; edge count descending with one.
	if got := all("limit=3"); !slices.Equal(got, []string{"alpha-1", "Alpha-2", "alpha_3", "beta-1"}) {
		t.Errorf("all groups %v", got)
	}
	if got := all("limit=2&members=2"); !slices.Equal(got, []string{"beta-1", "alpha_3", "Alpha-2", "alpha-1"}) {
		t.Errorf("members ≤ 2 %v", got)
	}
	if got := all("limit=2&members=1"); !slices.Equal(got, []string{"alpha_3", "Alpha-2", "alpha-1"}) {
		t.Errorf("members ≤ 1 %v", got)
	}
	if got := all("limit=1&lang_tag=fr"); len(got) != 3 || got[2] != "beta-1" {
		t.Errorf("lang fr %v", got)
	}
	if got := all("limit=1&open=false"); !slices.Equal(got, []string{"Alpha-2"}) {
		t.Errorf("closed %v", got)
	}
	if got := all("limit=1&open=true&lang_tag=fr&members=1"); !slices.Equal(got, []string{"alpha-1"}) {
		t.Errorf("open fr ≤ 1 %v", got)
	}
	if got := all("limit=1&open=true&members=5"); len(got) != 3 || got[0] != "beta-1" {
		t.Errorf("open ≤ 5 %v", got)
	}
	if got := all("limit=1&lang_tag=fr&members=1"); len(got) != 2 {
		t.Errorf("fr ≤ 1 %v", got)
	}
	// Open and language together page with the wrong comparison, as the
	// server does: the second page does not go past the first.
	first, cursor := list("limit=1&open=true&lang_tag=fr")
	if !slices.Equal(first, []string{"beta-1"}) || cursor == "" {
		t.Fatalf("open fr first page %v", first)
	}
	if second, _ := list("limit=1&open=true&lang_tag=fr&cursor=" + cursor); len(second) != 0 {
		t.Errorf("open fr second page %v, want none", second)
	}

	c.send("GET", "/v2/group?name=a&lang_tag=fr", "", bearerHeader(s)).fails(t, 400, InvalidArgument,
		"name filter cannot be combined with any other filter")
	c.send("GET", "/v2/group?name=a&members=0", "", bearerHeader(s)).fails(t, 400, InvalidArgument,
		"name filter cannot be combined with any other filter")
	c.send("GET", "/v2/group?limit=101", "", bearerHeader(s)).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	c.send("GET", "/v2/group?cursor=%21%21", "", bearerHeader(s)).fails(t, 500, Internal, "Error while trying to list groups.")
	c.send("GET", "/v2/group?name=a%5C", "", bearerHeader(s)).fails(t, 500, Internal, "Error while trying to list groups.")
	// members=0 is a filter that keeps nothing; a negative one is none.
	if got, _ := list("members=0&limit=10"); len(got) != 0 {
		t.Errorf("members=0 lists %v", got)
	}
	if got, _ := list("members=-1&limit=10"); len(got) != 4 {
		t.Errorf("members=-1 lists %v", got)
	}
}

func TestDeletedUserGroups(t *testing.T) {
	srv, c := startServer(t, nil)
	a, aID := c.named("a")
	b, _ := c.named("b")
	cs, cID := c.named("c")
	solo := c.createGroup(a, `{"name":"Solo"}`)
	shared := c.createGroup(a, `{"name":"Shared","open":true}`)
	twoSupers := c.createGroup(b, `{"name":"TwoSupers","open":true}`)
	for _, g := range []string{shared.Id, twoSupers.Id} {
		c.send("POST", "/v2/group/"+g+"/join", "", bearerHeader(cs)).ok(t, nil)
	}
	c.send("POST", "/v2/group/"+twoSupers.Id+"/join", "", bearerHeader(a)).ok(t, nil)
	c.send("POST", "/v2/group/"+twoSupers.Id+"/promote?user_ids="+aID, "", bearerHeader(b)).ok(t, nil)
	c.send("POST", "/v2/group/"+twoSupers.Id+"/promote?user_ids="+aID, "", bearerHeader(b)).ok(t, nil)
	if got, _ := c.members(b, twoSupers.Id, ""); !slices.Equal(got, []string{"b:0", "a:0", "c:2"}) {
		t.Fatalf("members %v", got)
	}
	if err := srv.DeleteUser(aID); err != nil {
		t.Fatal(err)
	}
	// Sole superadmin: the group goes, even with other members.
	for _, id := range []string{solo.Id, shared.Id} {
		if _, ok := srv.Group(id); ok {
			t.Errorf("group %s survived", id)
		}
	}
	// With another superadmin the edge stays behind, unlisted but counted.
	if got, _ := c.members(b, twoSupers.Id, ""); !slices.Equal(got, []string{"b:0", "c:2"}) {
		t.Errorf("members after deletion %v", got)
	}
	if g, _ := srv.Group(twoSupers.Id); g.EdgeCount != 3 {
		t.Errorf("edge count %d, want 3", g.EdgeCount)
	}
	// So b, seemingly the last superadmin, may leave.
	c.send("POST", "/v2/group/"+twoSupers.Id+"/leave", "", bearerHeader(b)).ok(t, nil)
	// A member's deletion frees its place.
	if err := srv.DeleteUser(cID); err != nil {
		t.Fatal(err)
	}
	if g, _ := srv.Group(twoSupers.Id); g.EdgeCount != 1 {
		t.Errorf("edge count after member deletion %d, want 1", g.EdgeCount)
	}
}

func TestDirectGroupAPI(t *testing.T) {
	srv, _ := startServer(t, nil)
	a, _ := srv.CreateUser(NewUser{Username: "a"})
	b, _ := srv.CreateUser(NewUser{Username: "b"})
	g, err := srv.CreateGroup(a.User.Id, NewGroup{Name: "G", Metadata: `{"k": 1, "a": 2}`, MaxCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if g.Metadata != `{"a": 2, "k": 1}` || g.MaxCount != 2 || g.LangTag != "en" || g.EdgeCount != 1 {
		t.Errorf("created %v", g)
	}
	if _, err := srv.CreateGroup(a.User.Id, NewGroup{Name: "G"}); err == nil {
		t.Error("duplicate name accepted")
	}
	if _, err := srv.CreateGroup(a.User.Id, NewGroup{Name: "H", Metadata: "nope"}); err == nil {
		t.Error("bad metadata accepted")
	}
	if err := srv.SetGroupMember(g.Id, b.User.Id, api.GroupUserList_GroupUser_ADMIN); err != nil {
		t.Fatal(err)
	}
	c, _ := srv.CreateUser(NewUser{Username: "c"})
	if err := srv.SetGroupMember(g.Id, c.User.Id, api.GroupUserList_GroupUser_MEMBER); err == nil {
		t.Error("a third member fit a group of two")
	}
	if err := srv.SetGroupMember(g.Id, c.User.Id, api.GroupUserList_GroupUser_JOIN_REQUEST); err != nil {
		t.Fatal(err)
	}
	ms, ok := srv.GroupMembers(g.Id)
	if !ok || len(ms) != 3 || ms[1].User.Username != "b" || ms[2].State.Value != 3 {
		t.Errorf("members %v", ms)
	}
	if gg, _ := srv.GroupByName("G"); gg.EdgeCount != 2 {
		t.Errorf("edge count %d", gg.EdgeCount)
	}
	if err := srv.RemoveGroupMember(g.Id, b.User.Id); err != nil {
		t.Fatal(err)
	}
	if err := srv.RemoveGroupMember(g.Id, a.User.Id); err == nil {
		t.Error("removed the last superadmin while others remain")
	}
	if len(srv.Groups()) != 1 {
		t.Errorf("groups %v", srv.Groups())
	}
	if err := srv.DeleteGroup(g.Id); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Group(g.Id); ok || len(srv.Groups()) != 0 {
		t.Error("group survived DeleteGroup")
	}
}

func TestGroupChannelHistory(t *testing.T) {
	_, c := startServer(t, nil)
	owner, _ := c.named("owner")
	member, _ := c.named("member")
	asker, _ := c.named("asker")
	g := c.createGroup(owner, `{"name":"G","open":true}`)
	c.send("POST", "/v2/group/"+g.Id+"/join", "", bearerHeader(member)).ok(t, nil)
	c.send("PUT", "/v2/group/"+g.Id, `{"open":false}`, bearerHeader(owner)).ok(t, nil)
	c.send("POST", "/v2/group/"+g.Id+"/join", "", bearerHeader(asker)).ok(t, nil)
	path := "/v2/channel/" + url.PathEscape("3."+g.Id+"..")
	l := &api.ChannelMessageList{}
	c.send("GET", path, "", bearerHeader(member)).ok(t, l)
	if len(l.Messages) != 1 || l.Messages[0].Code.GetValue() != groupMsgJoin || l.Messages[0].Username != "member" {
		t.Errorf("history %v", l.Messages)
	}
	// A join request does not open the history.
	c.send("GET", path, "", bearerHeader(asker)).fails(t, 400, InvalidArgument, "Group not found.")
	// The request notified the owner.
	nl := &api.NotificationList{}
	c.send("GET", "/v2/notification?limit=10", "", bearerHeader(owner)).ok(t, nl)
	if len(nl.Notifications) != 1 || nl.Notifications[0].Code != notifyGroupJoinRequest ||
		nl.Notifications[0].Content != `{"group_id": "`+g.Id+`", "username": "asker"}` {
		t.Errorf("owner's notifications %v", nl.Notifications)
	}
}
