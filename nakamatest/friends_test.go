package nakamatest

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// named authenticates a new user with the given username and returns its
// session and id.
func (c *testClient) named(username string) (*api.Session, string) {
	c.t.Helper()
	s := &api.Session{}
	c.send("POST", "/v2/account/authenticate/device?username="+username, `{"id":"device-of-`+username+`"}`,
		defaultServerKey).ok(c.t, s)
	return s, claims(c.t, s.Token)["uid"].(string)
}

// friends lists the caller's friends with the given query string.
func (c *testClient) friends(s *api.Session, query string) *api.FriendList {
	c.t.Helper()
	l := &api.FriendList{}
	c.send("GET", "/v2/friend?"+query, "", bearerHeader(s)).ok(c.t, l)
	return l
}

// friendStates summarises a friend list as "username:state" items.
func friendStates(l *api.FriendList) []string {
	var out []string
	for _, f := range l.Friends {
		out = append(out, fmt.Sprintf("%s:%d", f.User.Username, f.State.GetValue()))
	}
	return out
}

func (c *testClient) edgeCount(s *api.Session) int32 {
	c.t.Helper()
	return c.account(s).User.EdgeCount
}

func TestAddFriendsInviteAndAccept(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	alice, aliceID := c.named("alice")
	bob, bobID := c.named("bob")

	srv.FastForward(time.Second)
	c.send("POST", "/v2/friend?ids="+bobID+"&metadata="+url.QueryEscape(`{"b":2, "a":1.50, "aa":1e2}`), "",
		bearerHeader(alice)).ok(t, nil)
	r := c.send("GET", "/v2/friend", "", bearerHeader(alice))
	want := `{"friends":[{"user":{"id":"` + bobID + `","username":"bob","lang_tag":"en","metadata":"{}",` +
		`"create_time":"2026-05-01T12:00:00Z","update_time":"2026-05-01T12:00:01Z"},"state":1,` +
		`"update_time":"2026-05-01T12:00:01Z","metadata":"{\"a\": 1.50, \"b\": 2, \"aa\": 100}"}]}`
	if r.body != want {
		t.Errorf("alice's list\n got %s\nwant %s", r.body, want)
	}
	if got := friendStates(c.friends(bob, "")); !slices.Equal(got, []string{"alice:2"}) {
		t.Errorf("bob's list %v", got)
	}
	if c.edgeCount(alice) != 1 || c.edgeCount(bob) != 1 {
		t.Errorf("edge counts %d %d, want 1 1", c.edgeCount(alice), c.edgeCount(bob))
	}

	// Adding again changes nothing, metadata included.
	c.send("POST", "/v2/friend?ids="+bobID+"&metadata="+url.QueryEscape(`{"c":3}`), "", bearerHeader(alice)).ok(t, nil)
	if l := c.friends(alice, ""); l.Friends[0].Metadata != `{"a": 1.50, "b": 2, "aa": 100}` || l.Friends[0].State.Value != 1 {
		t.Errorf("after a second invitation %v", l.Friends[0])
	}

	// Bob accepts by username; his metadata merges into his own edge.
	srv.FastForward(time.Second)
	c.send("POST", "/v2/friend?usernames=alice&metadata="+url.QueryEscape(`{"x":true}`), "", bearerHeader(bob)).ok(t, nil)
	la, lb := c.friends(alice, ""), c.friends(bob, "")
	if got := friendStates(la); !slices.Equal(got, []string{"bob:0"}) {
		t.Errorf("alice after accept %v", got)
	}
	if got := friendStates(lb); !slices.Equal(got, []string{"alice:0"}) {
		t.Errorf("bob after accept %v", got)
	}
	if lb.Friends[0].Metadata != `{"x": true}` || la.Friends[0].Metadata != `{"a": 1.50, "b": 2, "aa": 100}` {
		t.Errorf("metadata after accept: bob %q alice %q", lb.Friends[0].Metadata, la.Friends[0].Metadata)
	}
	if lb.Friends[0].UpdateTime.AsTime().Unix() != fixedTime.Unix()+2 {
		t.Errorf("edge update time %v", lb.Friends[0].UpdateTime.AsTime())
	}
	// Accepting moves no edge count and no user update time.
	if c.edgeCount(alice) != 1 || c.edgeCount(bob) != 1 {
		t.Errorf("edge counts after accept %d %d", c.edgeCount(alice), c.edgeCount(bob))
	}
	if ut := c.account(bob).User.UpdateTime.AsTime().Unix(); ut != fixedTime.Unix()+1 {
		t.Errorf("bob's update time %d", ut)
	}
	if got, _ := srv.Friends(aliceID); len(got) != 1 || got[0].User.Id != bobID {
		t.Errorf("direct Friends %v", got)
	}
}

func TestAddFriendsValidation(t *testing.T) {
	_, c := startServer(t, nil)
	alice, aliceID := c.named("alice")
	_, bobID := c.named("bob")
	cases := []struct {
		query, msg string
	}{
		{"ids=" + aliceID, "Cannot add self as friend."},
		{"usernames=alice", "Cannot add self as friend."},
		{"ids=nope", "Invalid user ID 'nope'."},
		{"ids=" + systemUserID, "Invalid user ID '" + systemUserID + "'."},
		{"ids=" + bobID + "&ids=bad", "Invalid user ID 'bad'."},
		{"usernames=", "Username must not be empty."},
		{"usernames=nobody", "No valid ID or username was provided."},
	}
	for _, tc := range cases {
		c.send("POST", "/v2/friend?"+tc.query, "", bearerHeader(alice)).fails(t, 400, InvalidArgument, tc.msg)
	}
	c.send("DELETE", "/v2/friend?ids="+aliceID, "", bearerHeader(alice)).fails(t, 400, InvalidArgument, "Cannot delete self.")
	c.send("POST", "/v2/friend/block?usernames=alice", "", bearerHeader(alice)).fails(t, 400, InvalidArgument, "Cannot block self.")
	c.send("POST", "/v2/friend/block?usernames=nobody", "", bearerHeader(alice)).fails(t, 400, InvalidArgument,
		"No valid ID or username was provided.")
	// Nothing named, or only unknown users for a delete: nothing to do.
	c.send("POST", "/v2/friend", "", bearerHeader(alice)).ok(t, nil)
	c.send("DELETE", "/v2/friend?usernames=nobody", "", bearerHeader(alice)).ok(t, nil)
	// An unknown id is silently ignored.
	c.send("POST", "/v2/friend?ids=6b1c2a5e-0000-4000-8000-000000000001", "", bearerHeader(alice)).ok(t, nil)
	// Metadata that is not JSON fails the statement.
	c.send("POST", "/v2/friend?ids="+bobID+"&metadata=nope", "", bearerHeader(alice)).fails(t, 500, Internal,
		"Error while trying to add friends.")
	c.send("POST", "/v2/friend?ids="+bobID+"&metadata="+url.QueryEscape(`{"a":"\u0000"}`), "", bearerHeader(alice)).
		fails(t, 500, Internal, "Error while trying to add friends.")
	if l := c.friends(alice, ""); len(l.Friends) != 0 {
		t.Errorf("friends after failures: %v", friendStates(l))
	}
}

func TestBlockAndDeleteFriends(t *testing.T) {
	_, c := startServer(t, nil)
	alice, aliceID := c.named("alice")
	bob, bobID := c.named("bob")
	c.send("POST", "/v2/friend?ids="+bobID, "", bearerHeader(alice)).ok(t, nil)
	c.send("POST", "/v2/friend?ids="+aliceID, "", bearerHeader(bob)).ok(t, nil)

	// Blocking turns alice's edge into a block and removes bob's.
	c.send("POST", "/v2/friend/block?ids="+bobID, "", bearerHeader(alice)).ok(t, nil)
	if got := friendStates(c.friends(alice, "")); !slices.Equal(got, []string{"bob:3"}) {
		t.Errorf("alice after block %v", got)
	}
	if l := c.friends(bob, ""); len(l.Friends) != 0 {
		t.Errorf("bob after block %v", friendStates(l))
	}
	if c.edgeCount(alice) != 1 || c.edgeCount(bob) != 0 {
		t.Errorf("edge counts %d %d, want 1 0", c.edgeCount(alice), c.edgeCount(bob))
	}
	// Neither side can add across the block.
	c.send("POST", "/v2/friend?ids="+aliceID, "", bearerHeader(bob)).ok(t, nil)
	c.send("POST", "/v2/friend?ids="+bobID, "", bearerHeader(alice)).ok(t, nil)
	if got := friendStates(c.friends(alice, "")); !slices.Equal(got, []string{"bob:3"}) {
		t.Errorf("alice after adds across the block %v", got)
	}
	if l := c.friends(bob, ""); len(l.Friends) != 0 {
		t.Errorf("bob after adds across the block %v", friendStates(l))
	}
	// Bob deleting alice leaves her block alone.
	c.send("DELETE", "/v2/friend?ids="+aliceID, "", bearerHeader(bob)).ok(t, nil)
	if got := friendStates(c.friends(alice, "")); !slices.Equal(got, []string{"bob:3"}) {
		t.Errorf("alice after bob's delete %v", got)
	}
	// Alice deleting bob lifts the block.
	c.send("DELETE", "/v2/friend?usernames=bob", "", bearerHeader(alice)).ok(t, nil)
	if l := c.friends(alice, ""); len(l.Friends) != 0 || c.edgeCount(alice) != 0 {
		t.Errorf("alice after unblock %v, edge count %d", friendStates(l), c.edgeCount(alice))
	}
	// A fresh block of a stranger is a new edge; of an unknown id, nothing.
	c.send("POST", "/v2/friend/block?ids="+bobID+"&ids=6b1c2a5e-0000-4000-8000-000000000001", "", bearerHeader(alice)).ok(t, nil)
	if got := friendStates(c.friends(alice, "state=3")); !slices.Equal(got, []string{"bob:3"}) || c.edgeCount(alice) != 1 {
		t.Errorf("alice after blocking a stranger %v, edge count %d", got, c.edgeCount(alice))
	}

	// Rejecting an invitation removes both edges.
	carol, carolID := c.named("carol")
	c.send("POST", "/v2/friend?ids="+bobID, "", bearerHeader(carol)).ok(t, nil)
	c.send("DELETE", "/v2/friend?ids="+carolID, "", bearerHeader(bob)).ok(t, nil)
	if len(c.friends(carol, "").Friends) != 0 || len(c.friends(bob, "").Friends) != 0 ||
		c.edgeCount(carol) != 0 || c.edgeCount(bob) != 0 {
		t.Errorf("after rejecting: carol %v bob %v", friendStates(c.friends(carol, "")), friendStates(c.friends(bob, "")))
	}
}

func TestListFriendsPaging(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	me, meID := c.named("me")
	for i := range 5 {
		s, id := c.named(fmt.Sprintf("f%d", i))
		if i%2 == 0 {
			c.send("POST", "/v2/friend?ids="+meID, "", bearerHeader(s)).ok(t, nil) // invitation received
		} else {
			c.send("POST", "/v2/friend?ids="+id, "", bearerHeader(me)).ok(t, nil) // invitation sent
		}
	}
	all := friendStates(c.friends(me, ""))
	want := []string{"f1:1", "f3:1", "f0:2", "f2:2", "f4:2"}
	if !slices.Equal(all, want) {
		t.Fatalf("list %v, want %v", all, want)
	}
	var paged []string
	cursor := ""
	for pages := 0; ; pages++ {
		l := c.friends(me, "limit=2&cursor="+url.QueryEscape(cursor))
		paged = append(paged, friendStates(l)...)
		if cursor = l.Cursor; cursor == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v, want %v", paged, want)
	}
	l := c.friends(me, "state=2&limit=2")
	if got := friendStates(l); !slices.Equal(got, []string{"f0:2", "f2:2"}) || l.Cursor == "" {
		t.Errorf("state 2 page %v cursor %q", got, l.Cursor)
	}
	if got := friendStates(c.friends(me, "state=2&limit=2&cursor="+url.QueryEscape(l.Cursor))); !slices.Equal(got, []string{"f4:2"}) {
		t.Errorf("state 2 second page %v", got)
	}
	// A cursor is tied to the state filter it was made with.
	c.send("GET", "/v2/friend?state=1&cursor="+url.QueryEscape(l.Cursor), "", bearerHeader(me)).fails(t, 400, InvalidArgument, "Cursor is invalid.")
	c.send("GET", "/v2/friend?cursor=not-base64!", "", bearerHeader(me)).fails(t, 400, InvalidArgument, "Cursor is invalid.")
	c.send("GET", "/v2/friend?cursor=aGVsbG8=", "", bearerHeader(me)).fails(t, 400, InvalidArgument, "Cursor is invalid.")
	for _, q := range []string{"limit=0", "limit=1001", "limit=-1"} {
		c.send("GET", "/v2/friend?"+q, "", bearerHeader(me)).fails(t, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
	}
	for _, q := range []string{"state=4", "state=-1"} {
		c.send("GET", "/v2/friend?"+q, "", bearerHeader(me)).fails(t, 400, InvalidArgument, "Invalid state - state must be between 0 and 3.")
	}
	if l := c.friends(me, "limit=1000"); len(l.Friends) != 5 || l.Cursor != "" {
		t.Errorf("limit 1000: %d friends, cursor %q", len(l.Friends), l.Cursor)
	}
	// The user inside a friend carries no edge count.
	if l := c.friends(me, "limit=1"); l.Friends[0].User.EdgeCount != 0 {
		t.Errorf("friend's user edge count %d", l.Friends[0].User.EdgeCount)
	}
}

func TestListFriendsOfFriends(t *testing.T) {
	srv, c := startServer(t, nil)
	// Fixed ids make the id order, which the listing follows, known.
	id := func(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
	sessions := map[int]*api.Session{}
	for n := 1; n <= 7; n++ {
		if _, err := srv.CreateUser(NewUser{Username: fmt.Sprintf("u%d", n)}); err != nil {
			t.Fatal(err)
		}
	}
	// CreateUser makes random ids; rebuild with known ones through the store.
	srv.mu.Lock()
	for n := 1; n <= 7; n++ {
		u := srv.st.byUsername[fmt.Sprintf("u%d", n)]
		delete(srv.st.users, u.id)
		u.id = id(n)
		srv.st.users[u.id] = u
	}
	srv.mu.Unlock()
	for n := 1; n <= 7; n++ {
		s, err := srv.NewSession(id(n), nil)
		if err != nil {
			t.Fatal(err)
		}
		sessions[n] = s
	}
	befriend := func(a, b int) {
		t.Helper()
		if err := srv.AddFriend(id(a), id(b), ""); err != nil {
			t.Fatal(err)
		}
		if err := srv.AddFriend(id(b), id(a), ""); err != nil {
			t.Fatal(err)
		}
	}
	// u1's friends: u2, u3. u2's: u1, u4, u5, u3. u3's: u1, u2, u5, u6. u7
	// only invited by u2.
	befriend(1, 2)
	befriend(1, 3)
	befriend(2, 4)
	befriend(2, 5)
	befriend(2, 3)
	befriend(3, 5)
	befriend(3, 6)
	if err := srv.AddFriend(id(2), id(7), ""); err != nil {
		t.Fatal(err)
	}
	list := func(query string) ([]string, string) {
		t.Helper()
		l := &api.FriendsOfFriendsList{}
		c.send("GET", "/v2/friend/friends?"+query, "", bearerHeader(sessions[1])).ok(t, l)
		var out []string
		for _, f := range l.FriendsOfFriends {
			out = append(out, f.Referrer[len(f.Referrer)-1:]+">"+f.User.Username)
		}
		return out, l.Cursor
	}
	got, cursor := list("")
	if want := []string{"2>u4", "2>u5", "3>u5", "3>u6"}; !slices.Equal(got, want) || cursor != "" {
		t.Errorf("friends of friends %v cursor %q, want %v", got, cursor, want)
	}
	// Pages: the second resumes inside u2's friends, and ends with them.
	got, cursor = list("limit=1")
	if !slices.Equal(got, []string{"2>u4"}) || cursor == "" {
		t.Fatalf("first page %v cursor %q", got, cursor)
	}
	got, cursor = list("limit=1&cursor=" + url.QueryEscape(cursor))
	if !slices.Equal(got, []string{"2>u5"}) || cursor != "" {
		t.Errorf("second page %v cursor %q, want [2>u5] and no cursor", got, cursor)
	}
	got, cursor = list("limit=2")
	if !slices.Equal(got, []string{"2>u4", "2>u5"}) || cursor == "" {
		t.Fatalf("limit 2 page %v cursor %q", got, cursor)
	}
	got, _ = list("limit=2&cursor=" + url.QueryEscape(cursor))
	if !slices.Equal(got, []string{"3>u5", "3>u6"}) {
		t.Errorf("limit 2 second page %v", got)
	}
	for _, q := range []string{"limit=0", "limit=101"} {
		c.send("GET", "/v2/friend/friends?"+q, "", bearerHeader(sessions[1])).fails(t, 400, InvalidArgument,
			"Invalid limit - limit must be between 1 and 100.")
	}
	c.send("GET", "/v2/friend/friends?cursor=xyz", "", bearerHeader(sessions[1])).fails(t, 400, InvalidArgument, "Cursor is invalid.")
	// The users inside carry their edge counts.
	l := &api.FriendsOfFriendsList{}
	c.send("GET", "/v2/friend/friends?limit=1", "", bearerHeader(sessions[1])).ok(t, l)
	if l.FriendsOfFriends[0].User.EdgeCount != 1 {
		t.Errorf("u4 edge count %d, want 1", l.FriendsOfFriends[0].User.EdgeCount)
	}
	// A user without friends gets an empty list.
	empty := &api.FriendsOfFriendsList{}
	c.send("GET", "/v2/friend/friends", "", bearerHeader(sessions[7])).ok(t, empty)
	if len(empty.FriendsOfFriends) != 0 || empty.Cursor != "" {
		t.Errorf("u7's list %v", empty)
	}
}

func TestImportFacebookFriends(t *testing.T) {
	srv, c := startServer(t, nil)
	me, meID := c.named("me")
	var others []string
	for i, fb := range []string{"fb-a", "fb-b", "fb-c"} {
		a, err := srv.CreateUser(NewUser{Username: fmt.Sprintf("o%d", i), FacebookID: fb})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, a.User.Id)
	}
	stranger, strangerID := c.named("stranger")
	srv.AddFacebookToken("tok", FacebookIdentity{ID: "fb-me"})
	srv.SetFacebookFriends("fb-me", "fb-a", "fb-b", "fb-unknown")

	path := "/v2/friend/facebook"
	c.send("POST", path, `{}`, bearerHeader(me)).fails(t, 400, InvalidArgument, "Facebook token is required.")
	c.send("POST", path, `{"token":"bad"}`, bearerHeader(me)).fails(t, 401, Unauthenticated, "Could not authenticate Facebook profile.")

	// A pending invitation from o1 becomes a friendship, tagged with the provider.
	if err := srv.AddFriend(others[1], meID, `{"k":"v"}`); err != nil {
		t.Fatal(err)
	}
	c.send("POST", "/v2/friend?ids="+meID, "", bearerHeader(stranger)).ok(t, nil)
	c.send("POST", "/v2/friend/block?ids="+strangerID, "", bearerHeader(me)).ok(t, nil)
	c.send("POST", path, `{"token":"tok"}`, bearerHeader(me)).ok(t, nil)
	l := c.friends(me, "")
	if got := friendStates(l); !slices.Equal(got, []string{"o1:0", "o0:0", "stranger:3"}) {
		t.Fatalf("after import %v", got)
	}
	if l.Friends[0].Metadata != `{"provider": "facebook"}` || l.Friends[1].Metadata != `{"provider": "facebook"}` {
		t.Errorf("metadata %q %q", l.Friends[0].Metadata, l.Friends[1].Metadata)
	}
	if f, _ := srv.Friends(others[1]); f[0].Metadata != `{"k": "v", "provider": "facebook"}` {
		t.Errorf("o1's edge metadata %q", f[0].Metadata)
	}
	if c.edgeCount(me) != 3 {
		t.Errorf("edge count %d, want 3", c.edgeCount(me))
	}

	// Reset drops everything but blocks before importing the new list.
	if err := srv.AddFriend(others[2], meID, ""); err != nil {
		t.Fatal(err)
	}
	srv.SetFacebookFriends("fb-me", "fb-b")
	c.send("POST", path+"?reset=true", `{"token":"tok"}`, bearerHeader(me)).ok(t, nil)
	if got := friendStates(c.friends(me, "")); !slices.Equal(got, []string{"o1:0", "stranger:3"}) {
		t.Errorf("after reset %v", got)
	}
	if f, _ := srv.Friends(others[0]); len(f) != 0 {
		t.Errorf("o0 still lists %v", f)
	}
	if f, _ := srv.Friends(others[2]); len(f) != 0 {
		t.Errorf("o2 still lists %v", f)
	}
	if c.edgeCount(me) != 2 {
		t.Errorf("edge count after reset %d, want 2", c.edgeCount(me))
	}
}

func TestImportSteamFriends(t *testing.T) {
	srv, c := startServer(t, nil)
	me, _ := c.named("me")
	path := "/v2/friend/steam"
	// Unconfigured comes first, even before the missing token.
	c.send("POST", path, `{}`, bearerHeader(me)).fails(t, 400, FailedPrecondition, "Steam authentication is not configured.")
	srv.AddSteamToken("ticket", 76561197960287930)
	c.send("POST", path, `{}`, bearerHeader(me)).fails(t, 400, InvalidArgument, "Steam token is required.")
	c.send("POST", path, `{"token":"other"}`, bearerHeader(me)).fails(t, 401, Unauthenticated, "Could not authenticate Steam profile.")
	// No friends: nothing to do.
	c.send("POST", path, `{"token":"ticket"}`, bearerHeader(me)).ok(t, nil)
	a, err := srv.CreateUser(NewUser{Username: "pal", SteamID: "76561197960287931"})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetSteamFriends(76561197960287930, 76561197960287931, 76561197960287999)
	c.send("POST", path, `{"token":"ticket"}`, bearerHeader(me)).ok(t, nil)
	l := c.friends(me, "")
	if got := friendStates(l); !slices.Equal(got, []string{"pal:0"}) || l.Friends[0].Metadata != `{"provider": "steam"}` {
		t.Errorf("after import %v %q", got, l.Friends)
	}
	if u, _ := srv.User(a.User.Id); u.EdgeCount != 1 {
		t.Errorf("pal's edge count %d", u.EdgeCount)
	}
}

func TestDeletedUserLeavesFriendLists(t *testing.T) {
	_, c := startServer(t, nil)
	alice, aliceID := c.named("alice")
	bob, bobID := c.named("bob")
	c.send("POST", "/v2/friend?ids="+bobID, "", bearerHeader(alice)).ok(t, nil)
	c.send("POST", "/v2/friend?ids="+aliceID, "", bearerHeader(bob)).ok(t, nil)
	c.send("DELETE", "/v2/account", "", bearerHeader(bob)).ok(t, nil)
	if l := c.friends(alice, ""); len(l.Friends) != 0 {
		t.Errorf("alice still lists %v", friendStates(l))
	}
	// The server does not correct the remaining user's count.
	if n := c.edgeCount(alice); n != 1 {
		t.Errorf("alice's edge count %d, want 1 (left as is)", n)
	}
}

func TestDirectFriendAPI(t *testing.T) {
	srv, _ := startServer(t, nil)
	a, _ := srv.CreateUser(NewUser{Username: "a"})
	b, _ := srv.CreateUser(NewUser{Username: "b"})
	if err := srv.AddFriend(a.User.Id, a.User.Id, ""); err == nil {
		t.Error("AddFriend with oneself succeeded")
	}
	if err := srv.AddFriend(a.User.Id, "6b1c2a5e-0000-4000-8000-000000000001", ""); err == nil {
		t.Error("AddFriend with an unknown user succeeded")
	}
	if err := srv.AddFriend(a.User.Id, b.User.Id, "nope"); err == nil {
		t.Error("AddFriend with bad metadata succeeded")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.AddFriend(a.User.Id, b.User.Id, ""))
	must(srv.AddFriend(b.User.Id, a.User.Id, ""))
	if f, _ := srv.Friends(b.User.Id); len(f) != 1 || f[0].State.Value != friendMutual {
		t.Errorf("b's friends %v", f)
	}
	must(srv.BlockFriend(b.User.Id, a.User.Id))
	if f, _ := srv.Friends(a.User.Id); len(f) != 0 {
		t.Errorf("a's friends after block %v", f)
	}
	must(srv.DeleteFriend(b.User.Id, a.User.Id))
	if f, ok := srv.Friends(b.User.Id); len(f) != 0 || !ok {
		t.Errorf("b's friends after delete %v", f)
	}
	if _, ok := srv.Friends("6b1c2a5e-0000-4000-8000-000000000001"); ok {
		t.Error("Friends of an unknown user")
	}
}

func TestFriendJSONB(t *testing.T) {
	for in, want := range map[string]string{
		`{}`:                              `{}`,
		`{"b":1,"a":2,"a":3}`:             `{"a": 3, "b": 1}`,
		`{"long":1,"z":[1,2,{"y":null}]}`: `{"z": [1, 2, {"y": null}], "long": 1}`,
		`[1.0, 1e2, 15e-1, -0, -0.0, 1.5e-3, 2E+1, 0.10]`: `[1.0, 100, 1.5, 0, 0.0, 0.0015, 20, 0.10]`,
		`"a\u00e9\"\n\u0001<>"`:                           `"aé\"\n\u0001<>"`,
		`"\ud83d\ude00"`:                                  `"😀"`,
		` true `:                                          `true`,
	} {
		got, ok := friendJSONB(in)
		if !ok || got != want {
			t.Errorf("friendJSONB(%s) = %s, %v; want %s", in, got, ok, want)
		}
	}
	for _, bad := range []string{``, `{`, `{} {}`, `"\u0000"`, `"\ud800"`, `"\udc00x"`, `1e1001`, `nope`} {
		if got, ok := friendJSONB(bad); ok {
			t.Errorf("friendJSONB(%s) = %s, want a refusal", bad, got)
		}
	}
	for _, tc := range [][3]string{
		{`{"a": 1}`, `{"b": 2, "a": 3}`, `{"a": 3, "b": 2}`},
		{`{}`, `[1]`, `[{}, 1]`},
		{`[1]`, `[2]`, `[1, 2]`},
		{`1`, `"x"`, `[1, "x"]`},
	} {
		if got := friendJSONBConcat(tc[0], tc[1]); got != tc[2] {
			t.Errorf("%s || %s = %s, want %s", tc[0], tc[1], got, tc[2])
		}
	}
}
