package conformance

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

func init() {
	register(
		Case{Name: "FriendsInviteAcceptDelete", Run: testFriendsInviteAcceptDelete},
		Case{Name: "FriendsValidation", Run: testFriendsValidation},
		Case{Name: "FriendsBlock", Run: testFriendsBlock},
		Case{Name: "FriendsListPaging", Run: testFriendsListPaging},
		Case{Name: "FriendsOfFriends", Run: testFriendsOfFriends},
		Case{Name: "FriendsImportUnconfigured", Run: testFriendsImportUnconfigured},
		Case{Name: "FriendsImportRegistered", Run: testFriendsImportRegistered},
		Case{Name: "FriendsNotifications", Run: testFriendsNotifications},
	)
}

// frList lists every friend of s (in pages of limit, 0 for the
// server's default) and returns them by user id, checking that paging ends.
func frList(t *testing.T, h *Harness, s *nakama.Session, opts nakama.ListFriendsOptions) []*api.Friend {
	t.Helper()
	var all []*api.Friend
	for range 100 {
		l, err := h.Client.ListFriends(h.Ctx(t), s, &opts)
		Must(t, err)
		all = append(all, l.Friends...)
		if l.Cursor == "" {
			return all
		}
		opts.Cursor = l.Cursor
	}
	t.Fatal("ListFriends: paging does not end")
	return nil
}

// states maps each friend's user id to its state.
func frStates(fs []*api.Friend) map[string]int32 {
	m := map[string]int32{}
	for _, f := range fs {
		m[f.GetUser().GetId()] = f.GetState().GetValue()
	}
	return m
}

// frSameJSON compares two JSON texts by value, since the database decides
// the spacing and key order of stored JSON.
func frSameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func frEdgeCount(t *testing.T, h *Harness, s *nakama.Session) int32 {
	t.Helper()
	a, err := h.Client.GetAccount(h.Ctx(t), s)
	Must(t, err)
	return a.GetUser().GetEdgeCount()
}

func testFriendsInviteAcceptDelete(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	a, b, c := h.NewUser(t), h.NewUser(t), h.NewUser(t)
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, []string{c.Username()}, &nakama.AddFriendsOptions{Metadata: `{"from":"a","n":1}`}))

	la := frList(t, h, a, nakama.ListFriendsOptions{})
	if got, want := frStates(la), map[string]int32{b.UserID(): 1, c.UserID(): 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("a's list %v, want %v", got, want)
	}
	for _, f := range la {
		if !frSameJSON(f.Metadata, `{"from":"a","n":1}`) || f.UpdateTime == nil || f.User.Username == "" {
			t.Errorf("a's edge %v", f)
		}
	}
	lb := frList(t, h, b, nakama.ListFriendsOptions{})
	if got := frStates(lb); !reflect.DeepEqual(got, map[string]int32{a.UserID(): 2}) {
		t.Errorf("b's list %v", got)
	}
	if !frSameJSON(lb[0].Metadata, `{}`) || lb[0].User.Username != a.Username() {
		t.Errorf("b's edge %v", lb[0])
	}
	if n := frEdgeCount(t, h, a); n != 2 {
		t.Errorf("a's edge count %d, want 2", n)
	}
	if n := frEdgeCount(t, h, b); n != 1 {
		t.Errorf("b's edge count %d, want 1", n)
	}

	// Inviting again changes nothing; b accepting by username makes them
	// friends, with b's metadata on b's edge only.
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, &nakama.AddFriendsOptions{Metadata: `{"again":true}`}))
	Must(t, h.Client.AddFriends(ctx, b, nil, []string{a.Username()}, &nakama.AddFriendsOptions{Metadata: `{"from":"b"}`}))
	la = frList(t, h, a, nakama.ListFriendsOptions{State: nakama.Ptr(api.Friend_FRIEND)})
	if len(la) != 1 || la[0].User.Id != b.UserID() || !frSameJSON(la[0].Metadata, `{"from":"a","n":1}`) {
		t.Errorf("a's friends %v", la)
	}
	lb = frList(t, h, b, nakama.ListFriendsOptions{})
	if len(lb) != 1 || lb[0].State.GetValue() != 0 || !frSameJSON(lb[0].Metadata, `{"from":"b"}`) {
		t.Errorf("b's list after accepting %v", lb)
	}
	if n := frEdgeCount(t, h, b); n != 1 {
		t.Errorf("b's edge count after accepting %d, want 1", n)
	}

	// a cancels the invitation to c; b removes a.
	Must(t, h.Client.DeleteFriends(ctx, a, []string{c.UserID()}, nil))
	if l := frList(t, h, c, nakama.ListFriendsOptions{}); len(l) != 0 {
		t.Errorf("c's list after the cancelled invitation %v", frStates(l))
	}
	Must(t, h.Client.DeleteFriends(ctx, b, nil, []string{a.Username()}))
	for _, s := range []*nakama.Session{a, b, c} {
		if l := frList(t, h, s, nakama.ListFriendsOptions{}); len(l) != 0 {
			t.Errorf("%s's list at the end %v", s.Username(), frStates(l))
		}
		if n := frEdgeCount(t, h, s); n != 0 {
			t.Errorf("%s's edge count at the end %d", s.Username(), n)
		}
	}
	// Deleting again, or an unknown user, is fine.
	Must(t, h.Client.DeleteFriends(ctx, b, []string{a.UserID()}, []string{h.Unique("nobody")}))
}

func testFriendsValidation(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	a := h.NewUser(t)
	b := h.NewUser(t)
	cases := []struct {
		name string
		err  error
		code nakama.Code
		msg  string
	}{
		{"add self by id", h.Client.AddFriends(ctx, a, []string{a.UserID()}, nil, nil), nakama.InvalidArgument, "Cannot add self as friend."},
		{"add self by name", h.Client.AddFriends(ctx, a, nil, []string{a.Username()}, nil), nakama.InvalidArgument, "Cannot add self as friend."},
		{"add bad id", h.Client.AddFriends(ctx, a, []string{b.UserID(), "not-a-uuid"}, nil, nil), nakama.InvalidArgument, "Invalid user ID 'not-a-uuid'."},
		{"add empty name", h.Client.AddFriends(ctx, a, nil, []string{""}, nil), nakama.InvalidArgument, "Username must not be empty."},
		{"add unknown name", h.Client.AddFriends(ctx, a, nil, []string{h.Unique("nobody")}, nil), nakama.InvalidArgument, "No valid ID or username was provided."},
		{"add bad metadata", h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, &nakama.AddFriendsOptions{Metadata: "{"}), nakama.Internal, "Error while trying to add friends."},
		{"delete self", h.Client.DeleteFriends(ctx, a, []string{a.UserID()}, nil), nakama.InvalidArgument, "Cannot delete self."},
		{"delete bad id", h.Client.DeleteFriends(ctx, a, []string{"x"}, nil), nakama.InvalidArgument, "Invalid user ID 'x'."},
		{"block self", h.Client.BlockFriends(ctx, a, nil, []string{a.Username()}), nakama.InvalidArgument, "Cannot block self."},
		{"block unknown name", h.Client.BlockFriends(ctx, a, nil, []string{h.Unique("nobody")}), nakama.InvalidArgument, "No valid ID or username was provided."},
	}
	for _, tc := range cases {
		var se *nakama.Error
		if !frAsError(tc.err, &se) || se.Code != tc.code || se.Message != tc.msg {
			t.Errorf("%s: got %v, want %v %q", tc.name, tc.err, tc.code, tc.msg)
		}
	}
	// Nothing named; an unknown id: accepted, nothing happens.
	Must(t, h.Client.AddFriends(ctx, a, nil, nil, nil))
	Must(t, h.Client.BlockFriends(ctx, a, nil, nil))
	Must(t, h.Client.AddFriends(ctx, a, []string{"6b1c2a5e-0000-4000-8000-00000000abcd"}, nil, nil))
	if l := frList(t, h, a, nakama.ListFriendsOptions{}); len(l) != 0 {
		t.Errorf("a's list after refused calls %v", frStates(l))
	}
}

func testFriendsBlock(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	a, b := h.NewUser(t), h.NewUser(t)
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, nil))
	Must(t, h.Client.AddFriends(ctx, b, []string{a.UserID()}, nil, nil))
	Must(t, h.Client.BlockFriends(ctx, a, []string{b.UserID()}, nil))
	if got := frStates(frList(t, h, a, nakama.ListFriendsOptions{})); !reflect.DeepEqual(got, map[string]int32{b.UserID(): 3}) {
		t.Errorf("a's list after the block %v", got)
	}
	if l := frList(t, h, b, nakama.ListFriendsOptions{}); len(l) != 0 {
		t.Errorf("b's list after the block %v", frStates(l))
	}
	if na, nb := frEdgeCount(t, h, a), frEdgeCount(t, h, b); na != 1 || nb != 0 {
		t.Errorf("edge counts after the block %d %d, want 1 0", na, nb)
	}
	// Neither side can befriend across it.
	Must(t, h.Client.AddFriends(ctx, b, []string{a.UserID()}, nil, nil))
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, nil))
	if got := frStates(frList(t, h, a, nakama.ListFriendsOptions{})); !reflect.DeepEqual(got, map[string]int32{b.UserID(): 3}) {
		t.Errorf("a's list after adds across the block %v", got)
	}
	if l := frList(t, h, b, nakama.ListFriendsOptions{}); len(l) != 0 {
		t.Errorf("b's list after adds across the block %v", frStates(l))
	}
	// b deleting a leaves the block; a deleting b lifts it.
	Must(t, h.Client.DeleteFriends(ctx, b, []string{a.UserID()}, nil))
	if l := frList(t, h, a, nakama.ListFriendsOptions{State: nakama.Ptr(api.Friend_BLOCKED)}); len(l) != 1 {
		t.Errorf("a's blocks after b's delete %v", frStates(l))
	}
	Must(t, h.Client.DeleteFriends(ctx, a, nil, []string{b.Username()}))
	if l := frList(t, h, a, nakama.ListFriendsOptions{}); len(l) != 0 || frEdgeCount(t, h, a) != 0 {
		t.Errorf("a after lifting the block %v", frStates(l))
	}
	// Blocking a stranger by username; then b can invite again once lifted.
	c := h.NewUser(t)
	Must(t, h.Client.BlockFriends(ctx, c, nil, []string{b.Username()}))
	if got := frStates(frList(t, h, c, nakama.ListFriendsOptions{})); !reflect.DeepEqual(got, map[string]int32{b.UserID(): 3}) {
		t.Errorf("c's list after blocking a stranger %v", got)
	}
	Must(t, h.Client.DeleteFriends(ctx, c, []string{b.UserID()}, nil))
	Must(t, h.Client.AddFriends(ctx, b, []string{c.UserID()}, nil, nil))
	if got := frStates(frList(t, h, c, nakama.ListFriendsOptions{})); !reflect.DeepEqual(got, map[string]int32{b.UserID(): 2}) {
		t.Errorf("c's list after b's new invitation %v", got)
	}
}

func testFriendsListPaging(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	me := h.NewUser(t)
	var sent, received []string
	for i := range 5 {
		o := h.NewUser(t)
		if i%2 == 0 {
			Must(t, h.Client.AddFriends(ctx, me, []string{o.UserID()}, nil, nil))
			sent = append(sent, o.UserID())
		} else {
			Must(t, h.Client.AddFriends(ctx, o, []string{me.UserID()}, nil, nil))
			received = append(received, o.UserID())
		}
	}
	want := append(slices.Clone(sent), received...) // by state, then in the order made
	ids := func(fs []*api.Friend) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.User.Id)
		}
		return out
	}
	if got := ids(frList(t, h, me, nakama.ListFriendsOptions{})); !slices.Equal(got, want) {
		t.Errorf("list %v, want %v", got, want)
	}
	pages := 0
	opts := &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Limit: 2}}
	var paged []string
	for {
		l, err := h.Client.ListFriends(ctx, me, opts)
		Must(t, err)
		pages++
		if len(l.Friends) > 2 {
			t.Fatalf("page of %d with limit 2", len(l.Friends))
		}
		paged = append(paged, ids(l.Friends)...)
		if l.Cursor == "" {
			break
		}
		opts.Cursor = l.Cursor
	}
	if !slices.Equal(paged, want) || pages != 3 {
		t.Errorf("paged %v in %d pages, want %v in 3", paged, pages, want)
	}
	st := nakama.Ptr(api.Friend_INVITE_RECEIVED)
	l, err := h.Client.ListFriends(ctx, me, &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Limit: 1}, State: st})
	Must(t, err)
	if !slices.Equal(ids(l.Friends), received[:1]) || l.Cursor == "" {
		t.Fatalf("first received invitation %v cursor %q", ids(l.Friends), l.Cursor)
	}
	l2, err := h.Client.ListFriends(ctx, me, &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Limit: 5, Cursor: l.Cursor}, State: st})
	Must(t, err)
	if !slices.Equal(ids(l2.Friends), received[1:]) || l2.Cursor != "" {
		t.Errorf("rest of received invitations %v cursor %q", ids(l2.Friends), l2.Cursor)
	}
	_, err = h.Client.ListFriends(ctx, me, &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Cursor: l.Cursor},
		State: nakama.Ptr(api.Friend_FRIEND)})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Cursor is invalid." {
		t.Errorf("cursor of another state: %q", e.Message)
	}
	_, err = h.Client.ListFriends(ctx, me, &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Cursor is invalid." {
		t.Errorf("garbage cursor: %q", e.Message)
	}
	_, err = h.Client.ListFriends(ctx, me, &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Limit: 1001}})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid limit - limit must be between 1 and 1000." {
		t.Errorf("limit 1001: %q", e.Message)
	}
	_, err = h.Client.ListFriends(ctx, me, &nakama.ListFriendsOptions{State: nakama.Ptr(api.Friend_State(4))})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid state - state must be between 0 and 3." {
		t.Errorf("state 4: %q", e.Message)
	}
}

// frFOF is one friend of a friend: the referrer and the user, by id.
type frFOF struct{ ref, user string }

func testFriendsOfFriends(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	me := h.NewUser(t)
	befriend := func(x, y *nakama.Session) {
		t.Helper()
		Must(t, h.Client.AddFriends(ctx, x, []string{y.UserID()}, nil, nil))
		Must(t, h.Client.AddFriends(ctx, y, []string{x.UserID()}, nil, nil))
	}
	f1, f2 := h.NewUser(t), h.NewUser(t)
	d, e, g := h.NewUser(t), h.NewUser(t), h.NewUser(t)
	befriend(me, f1)
	befriend(me, f2)
	befriend(f1, f2) // a friend of a friend who is my friend: left out
	befriend(f1, d)
	befriend(f2, d) // reached twice, once through each
	befriend(f2, e)
	befriend(f2, g)
	Must(t, h.Client.AddFriends(ctx, f1, []string{h.NewUser(t).UserID()}, nil, nil)) // an invitation: left out

	// Expected: my friends in id order, and for each its friends in id order.
	refs := []string{f1.UserID(), f2.UserID()}
	sort.Strings(refs)
	of := map[string][]string{f1.UserID(): {d.UserID()}, f2.UserID(): {d.UserID(), e.UserID(), g.UserID()}}
	var want []frFOF
	for _, r := range refs {
		users := slices.Clone(of[r])
		sort.Strings(users)
		for _, u := range users {
			want = append(want, frFOF{r, u})
		}
	}
	list := func(opts *nakama.ListOptions) ([]frFOF, string) {
		t.Helper()
		l, err := h.Client.ListFriendsOfFriends(ctx, me, opts)
		Must(t, err)
		var out []frFOF
		for _, x := range l.FriendsOfFriends {
			out = append(out, frFOF{x.Referrer, x.GetUser().GetId()})
			if x.GetUser().GetUsername() == "" || x.GetUser().GetEdgeCount() < 1 {
				t.Errorf("user inside %v", x.GetUser())
			}
		}
		return out, l.Cursor
	}
	got, cursor := list(nil)
	if !slices.Equal(got, want) || cursor != "" {
		t.Errorf("friends of friends %v cursor %q, want %v", got, cursor, want)
	}
	// Pages of one: as in Nakama 3.40, a cursor resumes within its referrer
	// and the listing ends with that referrer's friends.
	var paged []frFOF
	cursor = ""
	for range 10 {
		page, next := list(&nakama.ListOptions{Limit: 1, Cursor: cursor})
		paged = append(paged, page...)
		if cursor = next; cursor == "" {
			break
		}
	}
	var wantPaged []frFOF
	for _, x := range want {
		if len(wantPaged) == 0 || x.ref == want[1].ref {
			wantPaged = append(wantPaged, x)
		}
	}
	if !slices.Equal(paged, wantPaged) {
		t.Errorf("pages of one %v, want %v", paged, wantPaged)
	}
	_, err := h.Client.ListFriendsOfFriends(ctx, me, &nakama.ListOptions{Limit: 101})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid limit - limit must be between 1 and 100." {
		t.Errorf("limit 101: %q", e.Message)
	}
	_, err = h.Client.ListFriendsOfFriends(ctx, me, &nakama.ListOptions{Cursor: "!!"})
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Cursor is invalid." {
		t.Errorf("garbage cursor: %q", e.Message)
	}
	// No friends, no friends of friends.
	lonely, err := h.Client.ListFriendsOfFriends(ctx, h.NewUser(t), nil)
	Must(t, err)
	if len(lonely.FriendsOfFriends) != 0 || lonely.Cursor != "" {
		t.Errorf("a user without friends gets %v", lonely)
	}
}

func testFriendsImportUnconfigured(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	s := h.NewUser(t)
	err := h.Client.ImportFacebookFriends(ctx, s, "", nil)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Facebook token is required." {
		t.Errorf("empty Facebook token: %q", e.Message)
	}
	err = h.Client.ImportFacebookFriends(ctx, s, h.Unique("not-a-facebook-token"), nil)
	if e := Code(t, err, nakama.Unauthenticated); e.Message != "Could not authenticate Facebook profile." {
		t.Errorf("bad Facebook token: %q", e.Message)
	}
	// A server without Steam configured refuses before reading the token;
	// nakamatest counts as configured once any case registered a ticket.
	err = h.Client.ImportSteamFriends(ctx, s, h.Unique("not-a-steam-ticket"), &nakama.ImportFriendsOptions{Reset: true})
	var se *nakama.Error
	switch {
	case !frAsError(err, &se):
		t.Fatalf("steam: %v", err)
	case se.Code == nakama.FailedPrecondition:
		if se.Message != "Steam authentication is not configured." {
			t.Errorf("steam unconfigured: %q", se.Message)
		}
	case se.Code == nakama.Unauthenticated && !h.Target.Real:
		if se.Message != "Could not authenticate Steam profile." {
			t.Errorf("steam bad ticket: %q", se.Message)
		}
	default:
		t.Errorf("steam: %v, want FailedPrecondition", err)
	}

	// On nakamatest, check the unconfigured answer on a server of our own.
	if h.Target.Real {
		return
	}
	srv := nakamatest.RunT(t, nil)
	client, err := nakama.NewClient(srv.URL(), "", nil)
	Must(t, err)
	own, err := client.AuthenticateCustom(ctx, h.Unique("custom"), nil)
	Must(t, err)
	err = client.ImportSteamFriends(ctx, own, "", nil)
	if e := Code(t, err, nakama.FailedPrecondition); e.Message != "Steam authentication is not configured." {
		t.Errorf("own server, steam unconfigured: %q", e.Message)
	}
}

func frAsError(err error, target **nakama.Error) bool {
	return err != nil && errors.As(err, target)
}

// frSteamID returns a SteamID64 no other run uses.
func frSteamID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return 76561197960265728 + binary.BigEndian.Uint64(b[:])%(1<<40)
}

func testFriendsImportRegistered(t *testing.T, h *Harness) {
	srv := directServer(t, h, "provider tokens and friend lists")
	ctx := h.Ctx(t)

	// Three players who signed in with Facebook, and me.
	var fbIDs []string
	var players []*nakama.Session
	for range 3 {
		tok, id := h.Unique("fbtok"), h.Unique("fbid")
		srv.AddFacebookToken(tok, nakamatest.FacebookIdentity{ID: id})
		p, err := h.Client.AuthenticateFacebook(ctx, tok, nil)
		Must(t, err)
		players = append(players, p)
		fbIDs = append(fbIDs, id)
	}
	me := h.NewUser(t)
	myTok, myID := h.Unique("fbtok"), h.Unique("fbid")
	srv.AddFacebookToken(myTok, nakamatest.FacebookIdentity{ID: myID})
	srv.SetFacebookFriends(myID, fbIDs[0], fbIDs[1], h.Unique("fb-not-playing"))

	// players[1] had invited me already; players[2] is just a friend.
	Must(t, h.Client.AddFriends(ctx, players[1], []string{me.UserID()}, nil, nil))
	Must(t, h.Client.AddFriends(ctx, me, []string{players[2].UserID()}, nil, nil))
	Must(t, h.Client.AddFriends(ctx, players[2], []string{me.UserID()}, nil, nil))
	Must(t, h.Client.ImportFacebookFriends(ctx, me, myTok, nil))
	l := frList(t, h, me, nakama.ListFriendsOptions{})
	want := map[string]int32{players[0].UserID(): 0, players[1].UserID(): 0, players[2].UserID(): 0}
	if got := frStates(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("after import %v, want %v", got, want)
	}
	for _, f := range l {
		imported := f.User.Id != players[2].UserID()
		if imported != strings.Contains(f.Metadata, "facebook") {
			t.Errorf("edge to %s: metadata %q", f.User.Username, f.Metadata)
		}
	}
	if n := frEdgeCount(t, h, me); n != 3 {
		t.Errorf("edge count %d, want 3", n)
	}

	// Reset keeps only what the provider lists now (and blocks).
	srv.SetFacebookFriends(myID, fbIDs[1])
	Must(t, h.Client.ImportFacebookFriends(ctx, me, myTok, &nakama.ImportFriendsOptions{Reset: true}))
	if got := frStates(frList(t, h, me, nakama.ListFriendsOptions{})); !reflect.DeepEqual(got, map[string]int32{players[1].UserID(): 0}) {
		t.Errorf("after reset %v", got)
	}
	if l := frList(t, h, players[2], nakama.ListFriendsOptions{}); len(l) != 0 {
		t.Errorf("players[2] still lists %v", frStates(l))
	}

	// Steam, keyed by SteamID64.
	mine, theirs := frSteamID(), frSteamID()
	ticket, theirTicket := h.Unique("steam"), h.Unique("steam")
	srv.AddSteamToken(ticket, mine)
	srv.AddSteamToken(theirTicket, theirs)
	pal, err := h.Client.AuthenticateSteam(ctx, theirTicket, nil)
	Must(t, err)
	srv.SetSteamFriends(mine, theirs)
	Must(t, h.Client.ImportSteamFriends(ctx, me, ticket, nil))
	l = frList(t, h, pal, nakama.ListFriendsOptions{})
	if got := frStates(l); !reflect.DeepEqual(got, map[string]int32{me.UserID(): 0}) || !frSameJSON(l[0].Metadata, `{"provider":"steam"}`) {
		t.Errorf("steam pal's list %v %v", got, l)
	}
	err = h.Client.ImportSteamFriends(ctx, me, h.Unique("unknown-ticket"), nil)
	if e := Code(t, err, nakama.Unauthenticated); e.Message != "Could not authenticate Steam profile." {
		t.Errorf("unknown ticket: %q", e.Message)
	}
}

// frNotifications returns the user's notifications with the given code.
func frNotifications(t *testing.T, h *Harness, s *nakama.Session, code int32) []*api.Notification {
	t.Helper()
	l, err := h.Client.ListNotifications(h.Ctx(t), s, &nakama.ListNotificationsOptions{Limit: 100})
	Must(t, err)
	var out []*api.Notification
	for _, n := range l.Notifications {
		if n.Code == code {
			out = append(out, n)
		}
	}
	return out
}

func testFriendsNotifications(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	a, b := h.NewUser(t), h.NewUser(t)
	check := func(who *nakama.Session, code int32, sender *nakama.Session, subject string) {
		t.Helper()
		ns := frNotifications(t, h, who, code)
		if len(ns) != 1 {
			t.Fatalf("%s has %d notifications with code %d, want 1", who.Username(), len(ns), code)
		}
		n := ns[0]
		if n.Subject != subject || n.SenderId != sender.UserID() || !n.Persistent || n.CreateTime == nil ||
			!frSameJSON(n.Content, `{"username":"`+sender.Username()+`"}`) {
			t.Errorf("notification %d: %v", code, n)
		}
	}
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, nil))
	check(b, -2, a, a.Username()+" wants to add you as a friend")
	Must(t, h.Client.AddFriends(ctx, b, []string{a.UserID()}, nil, nil))
	check(a, -3, b, b.Username()+" accepted your friend request")
	Must(t, h.Client.DeleteFriends(ctx, b, []string{a.UserID()}, nil))
	check(a, -9, b, b.Username()+" removed you as a friend")
	// Repeating an invitation, or deleting a friend already gone, sends nothing.
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, nil))
	Must(t, h.Client.AddFriends(ctx, a, []string{b.UserID()}, nil, nil))
	if ns := frNotifications(t, h, b, -2); len(ns) != 2 {
		t.Errorf("b has %d invitations, want 2 (one per real invitation)", len(ns))
	}
	Must(t, h.Client.DeleteFriends(ctx, b, []string{a.UserID()}, nil))
	Must(t, h.Client.DeleteFriends(ctx, b, []string{a.UserID()}, nil))
	if ns := frNotifications(t, h, a, -9); len(ns) != 2 {
		t.Errorf("a has %d removals, want 2", len(ns))
	}
}
