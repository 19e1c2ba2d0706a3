package conformance

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
)

func init() {
	register(
		Case{Name: "GroupsCreateUpdateDelete", Run: testGroupsCreateUpdateDelete},
		Case{Name: "GroupsJoinLeave", Run: testGroupsJoinLeave},
		Case{Name: "GroupsRanks", Run: testGroupsRanks},
		Case{Name: "GroupsList", Run: testGroupsList},
		Case{Name: "GroupsListUsers", Run: testGroupsListUsers},
		Case{Name: "GroupsChannelAndNotifications", Run: testGroupsChannelAndNotifications},
	)
}

// grMembers lists every user of a group (paging with limit, 0 for the
// server's default) as "userID:state" items, in the server's order.
func grMembers(t *testing.T, h *Harness, s *nakama.Session, groupID string, state *api.GroupUserList_GroupUser_State, limit int) []string {
	t.Helper()
	opts := &nakama.ListGroupUsersOptions{ListOptions: nakama.ListOptions{Limit: limit}, State: state}
	var out []string
	for range 100 {
		l, err := h.Client.ListGroupUsers(h.Ctx(t), s, groupID, opts)
		Must(t, err)
		if limit > 0 && len(l.GroupUsers) > limit {
			t.Fatalf("page of %d users with limit %d", len(l.GroupUsers), limit)
		}
		for _, u := range l.GroupUsers {
			out = append(out, fmt.Sprintf("%s:%d", u.GetUser().GetId(), u.GetState().GetValue()))
		}
		if l.Cursor == "" {
			return out
		}
		opts.Cursor = l.Cursor
	}
	t.Fatal("ListGroupUsers: paging does not end")
	return nil
}

// grMember is the item grMembers gives for a user in a state.
func grMember(s *nakama.Session, state int) string { return fmt.Sprintf("%s:%d", s.UserID(), state) }

// grGroup returns the group as the member s sees it among its groups.
func grGroup(t *testing.T, h *Harness, s *nakama.Session, groupID string) (*api.Group, int32) {
	t.Helper()
	l, err := h.Client.ListUserGroups(h.Ctx(t), s, s.UserID(), nil)
	Must(t, err)
	for _, ug := range l.UserGroups {
		if ug.GetGroup().GetId() == groupID {
			return ug.Group, ug.GetState().GetValue()
		}
	}
	return nil, -1
}

// grCode checks an error's code and message.
func grCode(t *testing.T, what string, err error, code nakama.Code, msg string) {
	t.Helper()
	var se *nakama.Error
	if !frAsError(err, &se) || se.Code != code || se.Message != msg {
		t.Errorf("%s: got %v, want %v %q", what, err, code, msg)
	}
}

func testGroupsCreateUpdateDelete(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	owner, other := h.NewUser(t), h.NewUser(t)
	name := h.Unique("grp")
	g, err := h.Client.CreateGroup(ctx, owner, name, nil)
	Must(t, err)
	if g.Id == "" || g.CreatorId != owner.UserID() || g.Name != name || g.LangTag != "en" || g.Metadata != "{}" ||
		g.GetOpen() == nil || g.GetOpen().Value || g.EdgeCount != 1 || g.MaxCount != 100 || g.CreateTime == nil || g.UpdateTime == nil {
		t.Errorf("created group %v", g)
	}
	if got := grMembers(t, h, owner, g.Id, nil, 0); !slices.Equal(got, []string{grMember(owner, 0)}) {
		t.Errorf("members %v", got)
	}
	g2, err := h.Client.CreateGroup(ctx, owner, h.Unique("grp"), &nakama.CreateGroupOptions{Description: "d", LangTag: "fr",
		AvatarURL: "https://example.com/a.png", Open: true, MaxCount: 7})
	Must(t, err)
	if g2.Description != "d" || g2.LangTag != "fr" || g2.AvatarUrl != "https://example.com/a.png" || !g2.GetOpen().GetValue() || g2.MaxCount != 7 {
		t.Errorf("group with options %v", g2)
	}
	_, err = h.Client.CreateGroup(ctx, other, name, nil)
	grCode(t, "duplicate name", err, nakama.AlreadyExists, "Group name is in use.")
	_, err = h.Client.CreateGroup(ctx, other, "", nil)
	grCode(t, "empty name", err, nakama.InvalidArgument, "Group name must be set.")
	_, err = h.Client.CreateGroup(ctx, other, h.Unique("grp"), &nakama.CreateGroupOptions{MaxCount: -2})
	grCode(t, "negative max count", err, nakama.InvalidArgument, "Group max count must be >= 1 when set.")
	_, err = h.Client.CreateGroup(ctx, other, h.Unique("grp")+strings.Repeat("n", 250), nil)
	grCode(t, "name too long", err, nakama.Internal, "Error while trying to create group.")

	// Updates: admins only, with the server's messages.
	newName := h.Unique("grp")
	err = h.Client.UpdateGroup(ctx, other, g.Id, &nakama.UpdateGroupOptions{Name: &newName})
	grCode(t, "update by a stranger", err, nakama.NotFound, "Group not found or you're not allowed to update.")
	err = h.Client.UpdateGroup(ctx, owner, g.Id, nil)
	grCode(t, "update of nothing", err, nakama.InvalidArgument, "Specify at least one field to update.")
	err = h.Client.UpdateGroup(ctx, owner, g.Id, &nakama.UpdateGroupOptions{Name: nakama.Ptr("")})
	grCode(t, "empty name", err, nakama.InvalidArgument, "Group name cannot be empty.")
	err = h.Client.UpdateGroup(ctx, owner, g.Id, &nakama.UpdateGroupOptions{LangTag: nakama.Ptr("")})
	grCode(t, "empty language", err, nakama.InvalidArgument, "Group language cannot be empty.")
	err = h.Client.UpdateGroup(ctx, owner, g.Id, &nakama.UpdateGroupOptions{Name: &g2.Name})
	grCode(t, "name of another group", err, nakama.InvalidArgument, "Group name is in use.")
	err = h.Client.UpdateGroup(ctx, owner, "not-a-uuid", &nakama.UpdateGroupOptions{Name: &newName})
	grCode(t, "bad group id", err, nakama.InvalidArgument, "Group ID must be a valid ID.")
	Must(t, h.Client.UpdateGroup(ctx, owner, g.Id, &nakama.UpdateGroupOptions{Name: &newName, Description: nakama.Ptr("about"),
		LangTag: nakama.Ptr("de"), AvatarURL: nakama.Ptr("https://example.com/b.png"), Open: nakama.Ptr(true)}))
	got, state := grGroup(t, h, owner, g.Id)
	if got == nil || state != 0 || got.Name != newName || got.Description != "about" || got.LangTag != "de" ||
		got.AvatarUrl != "https://example.com/b.png" || !got.GetOpen().GetValue() {
		t.Errorf("after update: %v in state %d", got, state)
	}
	Must(t, h.Client.UpdateGroup(ctx, owner, g.Id, &nakama.UpdateGroupOptions{Description: nakama.Ptr("")}))
	if got, _ := grGroup(t, h, owner, g.Id); got.Description != "" || got.Name != newName {
		t.Errorf("after clearing the description %v", got)
	}
	// The old name is free again.
	_, err = h.Client.CreateGroup(ctx, other, name, nil)
	Must(t, err)

	// Deletion: superadmins only.
	Must(t, h.Client.JoinGroup(ctx, other, g.Id))
	Must(t, h.Client.PromoteGroupUsers(ctx, owner, g.Id, []string{other.UserID()}))
	Must(t, h.Client.UpdateGroup(ctx, other, g.Id, &nakama.UpdateGroupOptions{Description: nakama.Ptr("by an admin")}))
	err = h.Client.DeleteGroup(ctx, other, g.Id)
	grCode(t, "delete by an admin", err, nakama.InvalidArgument, "Group not found or you're not allowed to delete.")
	Must(t, h.Client.DeleteGroup(ctx, owner, g.Id))
	if got := grMembers(t, h, owner, g.Id, nil, 0); len(got) != 0 {
		t.Errorf("members of a deleted group %v", got)
	}
	if got, _ := grGroup(t, h, other, g.Id); got != nil {
		t.Errorf("admin still lists the deleted group %v", got)
	}
	err = h.Client.JoinGroup(ctx, other, g.Id)
	grCode(t, "join a deleted group", err, nakama.NotFound, "Group not found.")
	err = h.Client.DeleteGroup(ctx, owner, g.Id)
	grCode(t, "delete twice", err, nakama.InvalidArgument, "Group not found or you're not allowed to delete.")
}

func testGroupsJoinLeave(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	owner, a, b := h.NewUser(t), h.NewUser(t), h.NewUser(t)
	open, err := h.Client.CreateGroup(ctx, owner, h.Unique("open"), &nakama.CreateGroupOptions{Open: true, MaxCount: 2})
	Must(t, err)
	closed, err := h.Client.CreateGroup(ctx, owner, h.Unique("closed"), nil)
	Must(t, err)

	Must(t, h.Client.JoinGroup(ctx, a, open.Id))
	if got := grMembers(t, h, owner, open.Id, nil, 0); !slices.Equal(got, []string{grMember(owner, 0), grMember(a, 2)}) {
		t.Errorf("open group members %v", got)
	}
	if g, state := grGroup(t, h, a, open.Id); g.GetEdgeCount() != 2 || state != 2 {
		t.Errorf("a's view: %v in state %d", g, state)
	}
	err = h.Client.JoinGroup(ctx, b, open.Id)
	grCode(t, "join a full group", err, nakama.InvalidArgument, "Group is full.")
	err = h.Client.JoinGroup(ctx, a, open.Id)
	grCode(t, "member joins a full group", err, nakama.InvalidArgument, "Group is full.")

	// A closed group takes join requests, which do not count; asking twice is fine.
	Must(t, h.Client.JoinGroup(ctx, b, closed.Id))
	Must(t, h.Client.JoinGroup(ctx, b, closed.Id))
	if got := grMembers(t, h, owner, closed.Id, nil, 0); !slices.Equal(got, []string{grMember(owner, 0), grMember(b, 3)}) {
		t.Errorf("closed group members %v", got)
	}
	if g, state := grGroup(t, h, b, closed.Id); g.GetEdgeCount() != 1 || state != 3 {
		t.Errorf("b's view of the closed group: %v in state %d", g, state)
	}
	err = h.Client.JoinGroup(ctx, a, "00000000-0000-4000-8000-000000000000")
	grCode(t, "join a missing group", err, nakama.NotFound, "Group not found.")

	// Leaving.
	err = h.Client.LeaveGroup(ctx, owner, open.Id)
	grCode(t, "last superadmin leaves", err, nakama.InvalidArgument, "Cannot leave group when you are the last superadmin.")
	Must(t, h.Client.LeaveGroup(ctx, a, open.Id))
	Must(t, h.Client.LeaveGroup(ctx, a, open.Id)) // no longer a member: fine
	Must(t, h.Client.LeaveGroup(ctx, b, closed.Id))
	if got := grMembers(t, h, owner, closed.Id, nil, 0); !slices.Equal(got, []string{grMember(owner, 0)}) {
		t.Errorf("closed group after the request was withdrawn %v", got)
	}
	Must(t, h.Client.JoinGroup(ctx, b, open.Id)) // a's place is free again
	if g, _ := grGroup(t, h, owner, open.Id); g.GetEdgeCount() != 2 {
		t.Errorf("edge count %d, want 2", g.GetEdgeCount())
	}
	// The last member leaving deletes the group, pending requests or not.
	Must(t, h.Client.JoinGroup(ctx, a, closed.Id))
	Must(t, h.Client.LeaveGroup(ctx, owner, closed.Id))
	err = h.Client.JoinGroup(ctx, b, closed.Id)
	grCode(t, "join after the last member left", err, nakama.NotFound, "Group not found.")
	err = h.Client.LeaveGroup(ctx, a, "bad")
	grCode(t, "leave a bad id", err, nakama.InvalidArgument, "Group ID must be a valid ID.")
}

func testGroupsRanks(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	owner, admin, m1, m2, req := h.NewUser(t), h.NewUser(t), h.NewUser(t), h.NewUser(t), h.NewUser(t)
	g, err := h.Client.CreateGroup(ctx, owner, h.Unique("ranks"), &nakama.CreateGroupOptions{MaxCount: 4})
	Must(t, err)
	ids := func(ss ...*nakama.Session) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.UserID())
		}
		return out
	}
	members := func() []string { return grMembers(t, h, owner, g.Id, nil, 0) }

	grCode(t, "add by a stranger", h.Client.AddGroupUsers(ctx, m1, g.Id, ids(m1)), nakama.NotFound, "Group not found or permission denied.")
	grCode(t, "add a bad id", h.Client.AddGroupUsers(ctx, owner, g.Id, []string{"bad"}), nakama.InvalidArgument, "User ID must be a valid ID.")
	grCode(t, "add an unknown user", h.Client.AddGroupUsers(ctx, owner, g.Id, append(ids(admin), "6b1c2a5e-0000-4000-8000-00000000abcd")),
		nakama.InvalidArgument, "One or more users not found.")
	if got := members(); len(got) != 1 {
		t.Fatalf("members after a failed add %v", got)
	}
	Must(t, h.Client.AddGroupUsers(ctx, m1, g.Id, nil)) // nothing named: nothing checked
	Must(t, h.Client.AddGroupUsers(ctx, owner, g.Id, ids(admin, m1, owner)))
	Must(t, h.Client.JoinGroup(ctx, req, g.Id))
	Must(t, h.Client.PromoteGroupUsers(ctx, owner, g.Id, ids(admin)))
	want := []string{grMember(owner, 0), grMember(admin, 1), grMember(m1, 2), grMember(req, 3)}
	if got := members(); !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	// Promotion skips join requests; AddGroupUsers accepts them, within max_count.
	Must(t, h.Client.PromoteGroupUsers(ctx, owner, g.Id, ids(req)))
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("after promoting a join request %v", got)
	}
	grCode(t, "overflowing add", h.Client.AddGroupUsers(ctx, admin, g.Id, ids(req, m2)), nakama.InvalidArgument, "Group is full.")
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("after an overflowing add %v", got)
	}
	Must(t, h.Client.AddGroupUsers(ctx, admin, g.Id, ids(req)))
	if gg, _ := grGroup(t, h, owner, g.Id); gg.GetEdgeCount() != 4 {
		t.Errorf("edge count %d, want 4", gg.GetEdgeCount())
	}

	// Admins: no power over admins and superadmins, but they promote members
	// and demote admins.
	Must(t, h.Client.KickGroupUsers(ctx, admin, g.Id, ids(owner)))
	Must(t, h.Client.PromoteGroupUsers(ctx, admin, g.Id, ids(m1)))
	Must(t, h.Client.PromoteGroupUsers(ctx, admin, g.Id, ids(m1)))
	want = []string{grMember(owner, 0), grMember(admin, 1), grMember(m1, 1), grMember(req, 2)}
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("after an admin's actions %v, want %v", got, want)
	}
	Must(t, h.Client.DemoteGroupUsers(ctx, admin, g.Id, ids(m1)))
	Must(t, h.Client.DemoteGroupUsers(ctx, admin, g.Id, ids(m1))) // a member stays a member
	grCode(t, "demote nobody", h.Client.DemoteGroupUsers(ctx, admin, g.Id, nil), nakama.InvalidArgument, "User IDs must be set.")
	grCode(t, "demote by a member", h.Client.DemoteGroupUsers(ctx, m1, g.Id, ids(admin)), nakama.NotFound, "Group not found or permission denied.")
	grCode(t, "kick by a member", h.Client.KickGroupUsers(ctx, m1, g.Id, ids(req)), nakama.NotFound, "Group not found or permission denied.")
	grCode(t, "ban by a member", h.Client.BanGroupUsers(ctx, m1, g.Id, ids(req)), nakama.NotFound, "Group not found or permission denied.")
	grCode(t, "promote by a member", h.Client.PromoteGroupUsers(ctx, m1, g.Id, ids(req)), nakama.NotFound, "Group not found or permission denied.")

	// Superadmins make and unmake superadmins while another remains.
	Must(t, h.Client.PromoteGroupUsers(ctx, owner, g.Id, ids(admin)))
	Must(t, h.Client.DemoteGroupUsers(ctx, admin, g.Id, ids(owner)))
	want = []string{grMember(admin, 0), grMember(owner, 1), grMember(m1, 2), grMember(req, 2)}
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("after swapping superadmins %v, want %v", got, want)
	}
	grCode(t, "last superadmin leaves", h.Client.LeaveGroup(ctx, admin, g.Id), nakama.InvalidArgument,
		"Cannot leave group when you are the last superadmin.")

	// Bans: a user without an edge is not banned; of several bans in one
	// call only the first is recorded (the others are just removed).
	Must(t, h.Client.BanGroupUsers(ctx, admin, g.Id, ids(m2)))
	Must(t, h.Client.BanGroupUsers(ctx, admin, g.Id, ids(m1, req)))
	want = []string{grMember(admin, 0), grMember(owner, 1)}
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("after bans %v, want %v", got, want)
	}
	banned := api.GroupUserList_GroupUser_State(4)
	if got := grMembers(t, h, owner, g.Id, &banned, 0); !slices.Equal(got, []string{grMember(m1, 4)}) {
		t.Errorf("banned %v", got)
	}
	if gg, st := grGroup(t, h, m1, g.Id); gg != nil {
		t.Errorf("a banned user lists the group in state %d", st)
	}
	Must(t, h.Client.JoinGroup(ctx, m1, g.Id)) // quietly refused
	Must(t, h.Client.LeaveGroup(ctx, m1, g.Id))
	Must(t, h.Client.AddGroupUsers(ctx, owner, g.Id, ids(m1)))
	if got := grMembers(t, h, owner, g.Id, &banned, 0); !slices.Equal(got, []string{grMember(m1, 4)}) {
		t.Errorf("banned after join, leave and add %v", got)
	}
	Must(t, h.Client.JoinGroup(ctx, m2, g.Id)) // never banned: asks to join
	Must(t, h.Client.JoinGroup(ctx, req, g.Id))
	// Kicking declines requests and lifts bans.
	Must(t, h.Client.KickGroupUsers(ctx, owner, g.Id, ids(m1, m2)))
	if got := grMembers(t, h, owner, g.Id, &banned, 0); len(got) != 0 {
		t.Errorf("banned after the kick %v", got)
	}
	want = []string{grMember(admin, 0), grMember(owner, 1), grMember(req, 3)}
	if got := members(); !slices.Equal(got, want) {
		t.Errorf("at the end %v, want %v", got, want)
	}
	if gg, _ := grGroup(t, h, owner, g.Id); gg.GetEdgeCount() != 2 {
		t.Errorf("edge count at the end %d, want 2", gg.GetEdgeCount())
	}
}

func testGroupsList(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	s, joiner := h.NewUser(t), h.NewUser(t)
	prefix := h.Unique("lg") + "-"
	lang, lang2 := "x"+h.RunID+randomID(2), "y"+h.RunID+randomID(2)
	create := func(suffix, lang string, open bool) *api.Group {
		t.Helper()
		g, err := h.Client.CreateGroup(ctx, s, prefix+suffix, &nakama.CreateGroupOptions{LangTag: lang, Open: open})
		Must(t, err)
		return g
	}
	g1 := create("a", lang, true)
	g2 := create("b", lang, false)
	g3 := create("c", lang, true)
	create("d", lang2, true)
	Must(t, h.Client.JoinGroup(ctx, joiner, g3.Id))

	names := func(opts nakama.ListGroupsOptions) []string {
		t.Helper()
		var out []string
		for range 20 {
			l, err := h.Client.ListGroups(ctx, s, &opts)
			Must(t, err)
			if opts.Limit > 0 && len(l.Groups) > opts.Limit {
				t.Fatalf("page of %d with limit %d", len(l.Groups), opts.Limit)
			}
			for _, g := range l.Groups {
				out = append(out, strings.TrimPrefix(g.Name, prefix))
			}
			if l.Cursor == "" {
				return out
			}
			opts.Cursor = l.Cursor
		}
		t.Fatalf("ListGroups %+v: paging does not end", opts)
		return nil
	}
	page := func(n int) nakama.ListOptions { return nakama.ListOptions{Limit: n} }

	// The default page holds one group.
	l, err := h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{Name: prefix + "%"})
	Must(t, err)
	if len(l.Groups) != 1 || l.Cursor == "" || l.Groups[0].Name != prefix+"a" {
		t.Errorf("default page %v cursor %q", l.Groups, l.Cursor)
	}
	// Name: a prefix, case-insensitive, leading wildcards dropped, by name.
	for _, pattern := range []string{prefix + "%", strings.ToUpper(prefix) + "%", "%" + prefix + "%"} {
		if got := names(nakama.ListGroupsOptions{ListOptions: page(1), Name: pattern}); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
			t.Errorf("name %q: %v", pattern, got)
		}
	}
	if got := names(nakama.ListGroupsOptions{ListOptions: page(10), Name: prefix + "_"}); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("name with _: %v", got)
	}
	if got := names(nakama.ListGroupsOptions{ListOptions: page(10), Name: prefix + "c"}); !slices.Equal(got, []string{"c"}) {
		t.Errorf("exact name: %v", got)
	}
	byID := func(gs ...*api.Group) []string {
		sorted := slices.Clone(gs)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Id < sorted[j].Id })
		var out []string
		for _, g := range sorted {
			out = append(out, strings.TrimPrefix(g.Name, prefix))
		}
		return out
	}
	rev := func(xs []string) []string { slices.Reverse(xs); return xs }
	// Language: by edge count, then id.
	if got, want := names(nakama.ListGroupsOptions{ListOptions: page(1), LangTag: lang}), append(byID(g1, g2), "c"); !slices.Equal(got, want) {
		t.Errorf("language: %v, want %v", got, want)
	}
	// Language and size: descending.
	if got, want := names(nakama.ListGroupsOptions{ListOptions: page(1), LangTag: lang, Members: 1}), rev(byID(g1, g2)); !slices.Equal(got, want) {
		t.Errorf("language, at most 1 member: %v, want %v", got, want)
	}
	if got, want := names(nakama.ListGroupsOptions{ListOptions: page(1), LangTag: lang, Members: 2}), append([]string{"c"}, rev(byID(g1, g2))...); !slices.Equal(got, want) {
		t.Errorf("language, at most 2 members: %v, want %v", got, want)
	}
	// Openness, language and size: descending.
	if got := names(nakama.ListGroupsOptions{ListOptions: page(1), LangTag: lang, Members: 5, Open: nakama.Ptr(true)}); !slices.Equal(got, []string{"c", "a"}) {
		t.Errorf("open, language, at most 5: %v", got)
	}
	if got := names(nakama.ListGroupsOptions{ListOptions: page(1), LangTag: lang, Members: 5, Open: nakama.Ptr(false)}); !slices.Equal(got, []string{"b"}) {
		t.Errorf("closed, language, at most 5: %v", got)
	}
	if got := names(nakama.ListGroupsOptions{ListOptions: page(5), LangTag: lang2, Open: nakama.Ptr(true)}); !slices.Equal(got, []string{"d"}) {
		t.Errorf("open, second language: %v", got)
	}
	// Openness and language: sorted descending, but the server pages with
	// "greater than", so the page after the first is empty.
	l, err = h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{ListOptions: page(1), LangTag: lang, Open: nakama.Ptr(true)})
	Must(t, err)
	if len(l.Groups) != 1 || l.Groups[0].Id != g3.Id || l.Cursor == "" {
		t.Fatalf("open, language, first page %v cursor %q", l.Groups, l.Cursor)
	}
	l, err = h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{ListOptions: nakama.ListOptions{Limit: 1, Cursor: l.Cursor},
		LangTag: lang, Open: nakama.Ptr(true)})
	Must(t, err)
	if len(l.Groups) != 0 {
		t.Errorf("open, language, second page %v", l.Groups)
	}
	// Without filters (other groups may exist): one group by default.
	l, err = h.Client.ListGroups(ctx, s, nil)
	Must(t, err)
	if len(l.Groups) != 1 || l.Cursor == "" {
		t.Errorf("unfiltered default page: %d groups, cursor %q", len(l.Groups), l.Cursor)
	}

	_, err = h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{Name: prefix + "%", LangTag: lang})
	grCode(t, "name and language", err, nakama.InvalidArgument, "name filter cannot be combined with any other filter")
	_, err = h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{Name: prefix + "%", Open: nakama.Ptr(false)})
	grCode(t, "name and openness", err, nakama.InvalidArgument, "name filter cannot be combined with any other filter")
	_, err = h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{ListOptions: page(101)})
	grCode(t, "limit 101", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	// The server means to refuse a malformed cursor as InvalidArgument, but
	// its handler reports it as an internal error.
	_, err = h.Client.ListGroups(ctx, s, &nakama.ListGroupsOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
	grCode(t, "malformed cursor", err, nakama.Internal, "Error while trying to list groups.")
}

func testGroupsListUsers(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	owner := h.NewUser(t)
	g, err := h.Client.CreateGroup(ctx, owner, h.Unique("lu"), nil)
	Must(t, err)
	var users []*nakama.Session
	for range 5 {
		u := h.NewUser(t)
		Must(t, h.Client.JoinGroup(ctx, u, g.Id))
		users = append(users, u)
	}
	// Accept four requests in the order they came, one at a time, and make
	// the first an admin.
	for _, u := range users[:4] {
		Must(t, h.Client.AddGroupUsers(ctx, owner, g.Id, []string{u.UserID()}))
	}
	Must(t, h.Client.PromoteGroupUsers(ctx, owner, g.Id, []string{users[0].UserID()}))
	want := []string{grMember(owner, 0), grMember(users[0], 1), grMember(users[1], 2), grMember(users[2], 2),
		grMember(users[3], 2), grMember(users[4], 3)}
	for _, limit := range []int{0, 1, 2, 100} {
		if got := grMembers(t, h, owner, g.Id, nil, limit); !slices.Equal(got, want) {
			t.Errorf("limit %d: %v, want %v", limit, got, want)
		}
	}
	member := api.GroupUserList_GroupUser_MEMBER
	if got := grMembers(t, h, users[4], g.Id, &member, 2); !slices.Equal(got, want[2:5]) {
		t.Errorf("members only: %v", got)
	}
	// Users inside carry their accounts.
	l, err := h.Client.ListGroupUsers(ctx, owner, g.Id, &nakama.ListGroupUsersOptions{ListOptions: nakama.ListOptions{Limit: 1}})
	Must(t, err)
	if u := l.GroupUsers[0].GetUser(); u.GetUsername() != owner.Username() || u.CreateTime == nil {
		t.Errorf("first user %v", u)
	}
	_, err = h.Client.ListGroupUsers(ctx, owner, g.Id, &nakama.ListGroupUsersOptions{ListOptions: nakama.ListOptions{Cursor: l.Cursor}, State: &member})
	grCode(t, "cursor of another filter", err, nakama.InvalidArgument, "Cursor is invalid.")
	_, err = h.Client.ListGroupUsers(ctx, owner, g.Id, &nakama.ListGroupUsersOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
	grCode(t, "garbage cursor", err, nakama.InvalidArgument, "Cursor is invalid.")
	_, err = h.Client.ListGroupUsers(ctx, owner, g.Id, &nakama.ListGroupUsersOptions{ListOptions: nakama.ListOptions{Limit: 101}})
	grCode(t, "limit 101", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	_, err = h.Client.ListGroupUsers(ctx, owner, g.Id, &nakama.ListGroupUsersOptions{State: nakama.Ptr(api.GroupUserList_GroupUser_State(5))})
	grCode(t, "state 5", err, nakama.InvalidArgument, "Invalid state - state must be between 0 and 4.")
	_, err = h.Client.ListGroupUsers(ctx, owner, "bad", nil)
	grCode(t, "bad group id", err, nakama.InvalidArgument, "Group ID must be a valid ID.")

	// The groups of a user, with the user's state in each.
	var mine []string
	mine = append(mine, g.Id)
	for range 3 {
		o, err := h.Client.CreateGroup(ctx, owner, h.Unique("lu"), &nakama.CreateGroupOptions{Open: true})
		Must(t, err)
		mine = append(mine, o.Id)
	}
	Must(t, h.Client.JoinGroup(ctx, users[1], mine[1]))
	var got []string
	opts := &nakama.ListUserGroupsOptions{ListOptions: nakama.ListOptions{Limit: 3}}
	for range 10 {
		ul, err := h.Client.ListUserGroups(ctx, users[1], owner.UserID(), opts)
		Must(t, err)
		for _, ug := range ul.UserGroups {
			got = append(got, ug.GetGroup().GetId())
			if ug.GetState().GetValue() != 0 {
				t.Errorf("owner's state in %s: %d", ug.GetGroup().GetName(), ug.GetState().GetValue())
			}
			if ug.GetGroup().GetId() == mine[1] && ug.GetGroup().GetEdgeCount() != 2 {
				t.Errorf("edge count of the joined group %d", ug.GetGroup().GetEdgeCount())
			}
		}
		if ul.Cursor == "" {
			break
		}
		opts.Cursor = ul.Cursor
	}
	if !slices.Equal(got, mine) {
		t.Errorf("owner's groups %v, want %v", got, mine)
	}
	admin := api.UserGroupList_UserGroup_ADMIN
	ul, err := h.Client.ListUserGroups(ctx, owner, users[0].UserID(), &nakama.ListUserGroupsOptions{State: &admin})
	Must(t, err)
	if len(ul.UserGroups) != 1 || ul.UserGroups[0].GetGroup().GetId() != g.Id || ul.UserGroups[0].GetState().GetValue() != 1 {
		t.Errorf("users[0] as admin: %v", ul.UserGroups)
	}
	ul, err = h.Client.ListUserGroups(ctx, owner, users[4].UserID(), nil)
	Must(t, err)
	if len(ul.UserGroups) != 1 || ul.UserGroups[0].GetState().GetValue() != 3 {
		t.Errorf("users[4]'s join request: %v", ul.UserGroups)
	}
	ul, err = h.Client.ListUserGroups(ctx, owner, "00000000-0000-4000-8000-000000000000", nil)
	Must(t, err)
	if len(ul.UserGroups) != 0 {
		t.Errorf("groups of nobody: %v", ul.UserGroups)
	}
	_, err = h.Client.ListUserGroups(ctx, owner, "bad", nil)
	grCode(t, "bad user id", err, nakama.InvalidArgument, "Group ID must be a valid ID.")
	_, err = h.Client.ListUserGroups(ctx, owner, owner.UserID(), &nakama.ListUserGroupsOptions{ListOptions: nakama.ListOptions{Limit: 101}})
	grCode(t, "user groups limit 101", err, nakama.InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
	_, err = h.Client.ListUserGroups(ctx, owner, owner.UserID(), &nakama.ListUserGroupsOptions{ListOptions: nakama.ListOptions{Cursor: "!!"}})
	grCode(t, "user groups garbage cursor", err, nakama.InvalidArgument, "Cursor is invalid.")
}

func testGroupsChannelAndNotifications(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	owner, x, y := h.NewUser(t), h.NewUser(t), h.NewUser(t)
	name := h.Unique("chan")
	g, err := h.Client.CreateGroup(ctx, owner, name, nil)
	Must(t, err)

	// A join request notifies the group's admins; being added notifies the user.
	Must(t, h.Client.JoinGroup(ctx, x, g.Id))
	ns := frNotifications(t, h, owner, -5)
	if len(ns) != 1 || ns[0].Subject != "User "+x.Username()+" wants to join your group" || ns[0].SenderId != x.UserID() ||
		!frSameJSON(ns[0].Content, `{"group_id":"`+g.Id+`","username":"`+x.Username()+`"}`) {
		t.Errorf("join request notification %v", ns)
	}
	Must(t, h.Client.AddGroupUsers(ctx, owner, g.Id, []string{x.UserID(), y.UserID()}))
	for _, s := range []*nakama.Session{x, y} {
		ns := frNotifications(t, h, s, -4)
		if len(ns) != 1 || ns[0].Subject != "You've been added to group "+name || ns[0].SenderId != owner.UserID() ||
			!frSameJSON(ns[0].Content, `{"group_id":"`+g.Id+`","name":"`+name+`"}`) {
			t.Errorf("%s's group add notification %v", s.Username(), ns)
		}
	}

	// Membership changes are posted in the group's channel, each sent by
	// the user it is about.
	Must(t, h.Client.PromoteGroupUsers(ctx, owner, g.Id, []string{x.UserID()}))
	Must(t, h.Client.DemoteGroupUsers(ctx, owner, g.Id, []string{x.UserID()}))
	Must(t, h.Client.KickGroupUsers(ctx, owner, g.Id, []string{y.UserID()}))
	Must(t, h.Client.UpdateGroup(ctx, owner, g.Id, &nakama.UpdateGroupOptions{Open: nakama.Ptr(true)}))
	Must(t, h.Client.JoinGroup(ctx, y, g.Id))
	Must(t, h.Client.BanGroupUsers(ctx, owner, g.Id, []string{y.UserID()}))
	Must(t, h.Client.LeaveGroup(ctx, x, g.Id))
	type msg struct {
		code   int32
		sender string
	}
	want := []msg{{4, x.UserID()}, {4, y.UserID()}, {7, x.UserID()}, {9, x.UserID()}, {6, y.UserID()},
		{3, y.UserID()}, {8, y.UserID()}, {5, x.UserID()}}
	l, err := h.Client.ListChannelMessages(ctx, owner, "3."+g.Id+"..", &nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Limit: 100}})
	Must(t, err)
	var got []msg
	for _, m := range l.Messages {
		got = append(got, msg{m.GetCode().GetValue(), m.SenderId})
		if m.Content != "{}" || m.GroupId != g.Id || m.Username == "" {
			t.Errorf("channel message %v", m)
		}
	}
	// The server stores these messages to the second and breaks ties by
	// id, so within a second their order is arbitrary: compare as sets.
	byKey := func(a, b msg) int {
		if a.code != b.code {
			return int(a.code - b.code)
		}
		return strings.Compare(a.sender, b.sender)
	}
	slices.SortFunc(got, byKey)
	slices.SortFunc(want, byKey)
	if !slices.Equal(got, want) {
		t.Errorf("channel messages %v, want %v", got, want)
	}
}
