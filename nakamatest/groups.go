package nakamatest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The states of a user in a group, as ListGroupUsers and ListUserGroups
// report them. Banned has no name in the API's enum but is listed as 4.
const (
	groupSuperadmin  = 0
	groupAdmin       = 1
	groupMember      = 2
	groupJoinRequest = 3
	groupBanned      = 4
)

// groupEdge is a user's edge in a group: the server's pair of group_edge
// rows (group to user and user to group), or for a ban the group's row
// alone, so a ban never shows in the user's own group list.
type groupEdge struct {
	state    int
	position int64 // listing order within a state
}

// group is one group. Times are kept to the microsecond, the database's
// precision, since listing cursors compare them.
type group struct {
	seq         int64
	id          string
	creatorID   string
	name        string
	description string
	avatarURL   string
	langTag     string
	metadata    string
	open        bool
	edgeCount   int // superadmins, admins and members
	maxCount    int
	createTime  time.Time
	updateTime  time.Time
	// members holds every edge by user id, bans and join requests
	// included. The edge of a deleted superadmin stays when the group
	// survives the deletion, as on the server: it keeps counting towards
	// edge_count and as a superadmin, though no listing shows its user.
	members map[string]*groupEdge
}

// groupsState is the groups area's share of the server state, guarded by
// Server.mu.
type groupsState struct {
	byID   map[string]*group
	byName map[string]*group
	seq    int64
	edgePositions
}

// clone copies the group with its edges, so a call can work on the copy
// and keep it only if every step succeeds, as the server's transactions do.
func (g *group) clone() *group {
	c := *g
	c.members = make(map[string]*groupEdge, len(g.members))
	for id, e := range g.members {
		cp := *e
		c.members[id] = &cp
	}
	return &c
}

// otherSuperadmins counts the group's superadmins besides userID.
func (g *group) otherSuperadmins(userID string) int {
	n := 0
	for id, e := range g.members {
		if id != userID && e.state == groupSuperadmin {
			n++
		}
	}
	return n
}

func (g *group) apiGroup() *api.Group {
	return &api.Group{
		Id:          g.id,
		CreatorId:   g.creatorID,
		Name:        g.name,
		Description: g.description,
		AvatarUrl:   g.avatarURL,
		LangTag:     g.langTag,
		Metadata:    g.metadata,
		Open:        wrapperspb.Bool(g.open),
		EdgeCount:   int32(g.edgeCount),
		MaxCount:    int32(g.maxCount),
		CreateTime:  &timestamppb.Timestamp{Seconds: g.createTime.Unix()},
		UpdateTime:  &timestamppb.Timestamp{Seconds: g.updateTime.Unix()},
	}
}

func (s *Server) registerGroups() {
	s.groups = groupsState{byID: make(map[string]*group), byName: make(map[string]*group)}
	s.st.userDeleted = append(s.st.userDeleted, s.dropUserGroups)
	// A group channel's history is for superadmins, admins and members.
	s.channels.groupMember = func(groupID, userID string) bool {
		r := s.groupRank(groupID, userID)
		return r >= groupSuperadmin && r <= groupMember
	}
	handle(s, "CreateGroup", s.createGroup)
	handle(s, "UpdateGroup", s.updateGroup)
	handle(s, "DeleteGroup", s.deleteGroup)
	handle(s, "JoinGroup", s.joinGroup)
	handle(s, "LeaveGroup", s.leaveGroup)
	handle(s, "AddGroupUsers", s.addGroupUsers)
	handle(s, "KickGroupUsers", s.kickGroupUsers)
	handle(s, "BanGroupUsers", s.banGroupUsers)
	handle(s, "PromoteGroupUsers", s.promoteGroupUsers)
	handle(s, "DemoteGroupUsers", s.demoteGroupUsers)
	handle(s, "ListGroups", s.listGroups)
	handle(s, "ListGroupUsers", s.listGroupUsers)
	handle(s, "ListUserGroups", s.listUserGroups)
}

// The codes of the messages the server posts in a group's channel when
// its membership changes.
const (
	groupMsgJoin    = 3
	groupMsgAdd     = 4
	groupMsgLeave   = 5
	groupMsgKick    = 6
	groupMsgPromote = 7
	groupMsgBan     = 8
	groupMsgDemote  = 9
)

// groupNotice is a membership message for a group's channel, kept until
// the change it reports is committed.
type groupNotice struct {
	code   int32
	userID string
}

// postGroupNotices stores membership messages in the group's channel, each
// sent by the user it is about, under that user's current username unless
// username is given; s.mu is held.
func (s *Server) postGroupNotices(groupID, username string, ns []groupNotice) {
	cs := channelStream{mode: streamModeGroup, subject: groupID, subcontext: systemUserID}
	for _, n := range ns {
		name := username
		if u := s.st.users[n.userID]; name == "" && u != nil {
			name = u.username
		}
		s.persistChannelMessageLocked(cs, &api.ChannelMessage{
			MessageId: s.rand.uuid(),
			Code:      wrapperspb.Int32(n.code),
			SenderId:  n.userID,
			Username:  name,
			Content:   "{}",
		})
	}
}

// groupNow is the server time at the database's precision.
func (s *Server) groupNow() time.Time { return s.clock.now().Truncate(time.Microsecond) }

// dropUserGroups applies the server's rules for a deleted user's groups: a
// group where the user is the only superadmin (or the only member) is
// deleted outright; other edges go, except a superadmin's in a group with
// another superadmin, which stays behind.
func (s *Server) dropUserGroups(userID string) {
	now := s.groupNow()
	for _, g := range s.groups.byID {
		e := g.members[userID]
		if e == nil {
			continue
		}
		if e.state == groupSuperadmin {
			if g.edgeCount == 1 || g.otherSuperadmins(userID) == 0 {
				s.removeGroup(g)
			}
			continue
		}
		delete(g.members, userID)
		if e.state < groupJoinRequest {
			g.edgeCount--
			g.updateTime = now
		}
	}
}

func (s *Server) removeGroup(g *group) {
	delete(s.groups.byID, g.id)
	if s.groups.byName[g.name] == g {
		delete(s.groups.byName, g.name)
	}
}

var errGroupNameInUse = errors.New("group name in use")

// groupColumnsFit reports whether the values fit the group table's columns:
// their widths, in characters, and no NUL, which PostgreSQL text refuses.
func groupColumnsFit(name, description, avatarURL, langTag string) bool {
	for _, c := range []struct {
		v string
		n int
	}{{name, 255}, {description, 255}, {avatarURL, 512}, {langTag, 18}} {
		if !fitsColumn(c.v, c.n) || strings.IndexByte(c.v, 0) >= 0 {
			return false
		}
	}
	return true
}

// createGroupLocked stores a new group with userID as its superadmin and
// only member. It returns errGroupNameInUse, or an error for values the
// database refuses; s.mu is held.
func (s *Server) createGroupLocked(userID, creatorID string, ng NewGroup, now time.Time) (*group, error) {
	lang := ng.LangTag
	if lang == "" {
		lang = "en"
	}
	meta := "{}"
	if ng.Metadata != "" {
		var ok bool
		if meta, ok = friendJSONB(ng.Metadata); !ok {
			return nil, errors.New("metadata is not JSON")
		}
	}
	if !groupColumnsFit(ng.Name, ng.Description, ng.AvatarURL, lang) {
		return nil, errors.New("value does not fit its column")
	}
	if s.groups.byName[ng.Name] != nil {
		return nil, errGroupNameInUse
	}
	s.groups.seq++
	g := &group{
		seq:         s.groups.seq,
		id:          s.rand.uuid(),
		creatorID:   creatorID,
		name:        ng.Name,
		description: ng.Description,
		avatarURL:   ng.AvatarURL,
		langTag:     lang,
		metadata:    meta,
		open:        ng.Open,
		edgeCount:   1,
		maxCount:    ng.MaxCount,
		createTime:  now,
		updateTime:  now,
		members:     map[string]*groupEdge{userID: {state: groupSuperadmin, position: s.groups.nextPosition(now)}},
	}
	s.groups.byID[g.id] = g
	s.groups.byName[g.name] = g
	return g, nil
}

func (s *Server) createGroup(_ context.Context, c *call, req *api.CreateGroupRequest) (*api.Group, error) {
	if req.Name == "" {
		return nil, newError(InvalidArgument, "Group name must be set.")
	}
	maxCount := 100
	if req.MaxCount != 0 {
		if req.MaxCount < 1 {
			return nil, newError(InvalidArgument, "Group max count must be >= 1 when set.")
		}
		maxCount = int(req.MaxCount)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.createGroupLocked(c.userID, c.userID, NewGroup{Name: req.Name, Description: req.Description,
		AvatarURL: req.AvatarUrl, LangTag: req.LangTag, Open: req.Open, MaxCount: maxCount}, s.groupNow())
	if errors.Is(err, errGroupNameInUse) {
		return nil, newError(AlreadyExists, "Group name is in use.")
	}
	if err != nil {
		return nil, newError(Internal, "Error while trying to create group.")
	}
	return g.apiGroup(), nil
}

// parseGroupID checks a group id as every group operation does.
func parseGroupID(id string) (string, error) {
	if id == "" {
		return "", newError(InvalidArgument, "Group ID must be set.")
	}
	canonical, ok := parseUUID(id)
	if !ok {
		return "", newError(InvalidArgument, "Group ID must be a valid ID.")
	}
	return canonical, nil
}

// groupRank returns the caller's edge state in the group, or -1 when the
// caller has no edge there (or the group does not exist); s.mu is held.
func (s *Server) groupRank(groupID, userID string) int {
	if g := s.groups.byID[groupID]; g != nil {
		if e := g.members[userID]; e != nil {
			return e.state
		}
	}
	return -1
}

func (s *Server) updateGroup(_ context.Context, c *call, req *api.UpdateGroupRequest) (*emptypb.Empty, error) {
	id, err := parseGroupID(req.GroupId)
	if err != nil {
		return nil, err
	}
	if req.Name != nil && req.Name.Value == "" {
		return nil, newError(InvalidArgument, "Group name cannot be empty.")
	}
	if req.LangTag != nil && req.LangTag.Value == "" {
		return nil, newError(InvalidArgument, "Group language cannot be empty.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.groupRank(id, c.userID); r < 0 || r > groupAdmin {
		return nil, newError(NotFound, "Group not found or you're not allowed to update.")
	}
	if req.Name == nil && req.LangTag == nil && req.Description == nil && req.AvatarUrl == nil && req.Open == nil {
		return nil, newError(InvalidArgument, "Specify at least one field to update.")
	}
	g := s.groups.byID[id]
	name, lang, desc, avatar := g.name, g.langTag, g.description, g.avatarURL
	if req.Name != nil {
		name = req.Name.Value
	}
	if req.LangTag != nil {
		lang = req.LangTag.Value
	}
	if req.Description != nil {
		desc = req.Description.Value
	}
	if req.AvatarUrl != nil {
		avatar = req.AvatarUrl.Value
	}
	if !groupColumnsFit(name, desc, avatar, lang) {
		return nil, newError(Internal, "Error while trying to update group.")
	}
	if other := s.groups.byName[name]; other != nil && other != g {
		// Unlike CreateGroup, the server reports this as InvalidArgument.
		return nil, newError(InvalidArgument, "Group name is in use.")
	}
	delete(s.groups.byName, g.name)
	g.name, g.langTag, g.description, g.avatarURL = name, lang, desc, avatar
	s.groups.byName[name] = g
	if req.Open != nil {
		g.open = req.Open.Value
	}
	g.updateTime = s.groupNow()
	return &emptypb.Empty{}, nil
}

func (s *Server) deleteGroup(_ context.Context, c *call, req *api.DeleteGroupRequest) (*emptypb.Empty, error) {
	id, err := parseGroupID(req.GroupId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groupRank(id, c.userID) != groupSuperadmin {
		return nil, newError(InvalidArgument, "Group not found or you're not allowed to delete.")
	}
	s.removeGroup(s.groups.byID[id])
	return &emptypb.Empty{}, nil
}

func (s *Server) joinGroup(_ context.Context, c *call, req *api.JoinGroupRequest) (*emptypb.Empty, error) {
	id, err := parseGroupID(req.GroupId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups.byID[id]
	if g == nil {
		return nil, newError(NotFound, "Group not found.")
	}
	// Fullness is checked first, so even a member of a full group is told
	// it is full.
	if g.edgeCount >= g.maxCount {
		return nil, newError(InvalidArgument, "Group is full.")
	}
	if g.members[c.userID] != nil {
		// Already a member, a requester or banned: the server's insert
		// hits the unique key and it reports success.
		return &emptypb.Empty{}, nil
	}
	now := s.groupNow()
	if !g.open {
		g.members[c.userID] = &groupEdge{state: groupJoinRequest, position: s.groups.nextPosition(now)}
		content := map[string]string{"group_id": g.id, "username": c.username}
		for uid, e := range g.members {
			if e.state <= groupAdmin && s.st.users[uid] != nil {
				s.notifySocial(uid, c.userID, notifyGroupJoinRequest, "User "+c.username+" wants to join your group", content, now)
			}
		}
		return &emptypb.Empty{}, nil
	}
	g.members[c.userID] = &groupEdge{state: groupMember, position: s.groups.nextPosition(now)}
	g.edgeCount++
	g.updateTime = now
	s.postGroupNotices(g.id, c.username, []groupNotice{{groupMsgJoin, c.userID}})
	return &emptypb.Empty{}, nil
}

func (s *Server) leaveGroup(_ context.Context, c *call, req *api.LeaveGroupRequest) (*emptypb.Empty, error) {
	id, err := parseGroupID(req.GroupId)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups.byID[id]
	if g == nil {
		return &emptypb.Empty{}, nil
	}
	e := g.members[c.userID]
	if e == nil || e.state == groupBanned {
		return &emptypb.Empty{}, nil
	}
	if e.state == groupSuperadmin && g.otherSuperadmins(c.userID) == 0 {
		for uid, o := range g.members {
			if uid != c.userID && o.state <= groupMember {
				return nil, newError(InvalidArgument, "Cannot leave group when you are the last superadmin.")
			}
		}
		// The last member leaving deletes the group.
		s.removeGroup(g)
		return &emptypb.Empty{}, nil
	}
	delete(g.members, c.userID)
	if e.state < groupJoinRequest {
		g.edgeCount--
		g.updateTime = s.groupNow()
	}
	s.postGroupNotices(g.id, c.username, []groupNotice{{groupMsgLeave, c.userID}})
	return &emptypb.Empty{}, nil
}

// parseGroupUserIDs checks the user ids of the group membership operations.
func parseGroupUserIDs(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		canonical, ok := parseUUID(id)
		if !ok || canonical == systemUserID {
			return nil, newError(InvalidArgument, "User ID must be a valid ID.")
		}
		out = append(out, canonical)
	}
	return out, nil
}

// groupAdminCall runs the common start of AddGroupUsers, KickGroupUsers,
// BanGroupUsers, PromoteGroupUsers and DemoteGroupUsers: it checks the
// group and user ids and, with s.mu held, that the caller is an admin or
// superadmin of the group. It returns the group, the caller's rank and
// the user ids, or no group when there is nothing to do.
func (s *Server) groupAdminCall(c *call, groupID string, userIDs []string, requireUsers bool) (*group, int, []string, error) {
	id, err := parseGroupID(groupID)
	if err != nil {
		return nil, 0, nil, err
	}
	if len(userIDs) == 0 {
		if requireUsers {
			return nil, 0, nil, newError(InvalidArgument, "User IDs must be set.")
		}
		return nil, 0, nil, nil
	}
	ids, err := parseGroupUserIDs(userIDs)
	if err != nil {
		return nil, 0, nil, err
	}
	rank := s.groupRank(id, c.userID)
	if rank < 0 || rank > groupAdmin {
		return nil, 0, nil, newError(NotFound, "Group not found or permission denied.")
	}
	return s.groups.byID[id], rank, ids, nil
}

// commitGroup keeps the work copy of a group after a call succeeded.
func commitGroup(g, work *group) { *g = *work }

func (s *Server) addGroupUsers(_ context.Context, c *call, req *api.AddGroupUsersRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, ids, err := s.groupAdminCall(c, req.GroupId, req.UserIds, false)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return &emptypb.Empty{}, nil // no users named
	}
	if err := s.addGroupUsersLocked(g, c.userID, ids); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// addGroupUsersLocked adds users as members, accepting their join requests;
// users already in the group (or banned from it) are left as they are. It
// fails as a whole for an unknown user or when the group would overflow.
// Each added user is notified and announced in the group's channel.
func (s *Server) addGroupUsersLocked(g *group, caller string, ids []string) error {
	now := s.groupNow()
	work := g.clone()
	var added []groupNotice
	for _, uid := range ids {
		if uid == caller {
			continue
		}
		if s.st.users[uid] == nil {
			return newError(InvalidArgument, "One or more users not found.")
		}
		e := work.members[uid]
		switch {
		case e == nil:
			work.members[uid] = &groupEdge{state: groupMember, position: s.groups.nextPosition(now)}
		case e.state == groupJoinRequest:
			e.state = groupMember // the request's position is kept
		default:
			continue
		}
		if work.edgeCount+1 > work.maxCount {
			return newError(InvalidArgument, "Group is full.")
		}
		work.edgeCount++
		work.updateTime = now
		added = append(added, groupNotice{groupMsgAdd, uid})
	}
	commitGroup(g, work)
	s.postGroupNotices(g.id, "", added)
	content := map[string]string{"group_id": g.id, "name": g.name}
	for _, n := range added {
		s.notifySocial(n.userID, caller, notifyGroupAdd, "You've been added to group "+g.name, content, now)
	}
	return nil
}

// removable reports whether a caller of the given rank may kick or ban the
// edge of uid: a superadmin anyone but the group's last superadmin, an
// admin only members, join requests and bans.
func removable(work *group, rank int, uid string, e *groupEdge) bool {
	if rank == groupSuperadmin {
		return e.state != groupSuperadmin || work.otherSuperadmins(uid) > 0
	}
	return e.state > groupAdmin
}

func (s *Server) kickGroupUsers(_ context.Context, c *call, req *api.KickGroupUsersRequest) (*emptypb.Empty, error) {
	return s.removeGroupUsers(c, req.GroupId, req.UserIds, false)
}

// banGroupUsers removes the users as kickGroupUsers does and records a ban.
// Users with no edge in the group are not banned. As in Nakama 3.40, all
// bans of one call share one position, and the first ban's row takes that
// key: the other users of the call are removed but not banned.
func (s *Server) banGroupUsers(_ context.Context, c *call, req *api.BanGroupUsersRequest) (*emptypb.Empty, error) {
	return s.removeGroupUsers(c, req.GroupId, req.UserIds, true)
}

// removeGroupUsers is KickGroupUsers or, with ban, BanGroupUsers.
func (s *Server) removeGroupUsers(c *call, groupID string, userIDs []string, ban bool) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, rank, ids, err := s.groupAdminCall(c, groupID, userIDs, false)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return &emptypb.Empty{}, nil // no users named
	}
	now := s.groupNow()
	code, failMsg := int32(groupMsgKick), "Error while trying to kick users from a group."
	var pos int64
	if ban {
		code, failMsg = groupMsgBan, "Error while trying to ban users from a group."
		pos = s.groups.nextPosition(now)
	}
	banned := false
	return s.editGroupUsers(g, c.userID, ids, code, failMsg, func(work *group, uid string, e *groupEdge) bool {
		if !removable(work, rank, uid, e) {
			return false
		}
		// Kicking a join request declines it; kicking a banned user lifts
		// the ban. Neither is announced.
		delete(work.members, uid)
		if ban && !banned {
			work.members[uid] = &groupEdge{state: groupBanned, position: pos}
			banned = true
		}
		if e.state >= groupJoinRequest {
			return false
		}
		work.edgeCount--
		work.updateTime = now
		return true
	})
}

// promoteGroupUsers raises members to admin and, for a superadmin caller,
// admins to superadmin. Join requests are not promoted (AddGroupUsers
// accepts them); anyone else is silently left alone.
func (s *Server) promoteGroupUsers(_ context.Context, c *call, req *api.PromoteGroupUsersRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, rank, ids, err := s.groupAdminCall(c, req.GroupId, req.UserIds, false)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return &emptypb.Empty{}, nil // no users named
	}
	return s.editGroupUsers(g, c.userID, ids, groupMsgPromote, "Error while trying to promote users in a group.",
		func(_ *group, _ string, e *groupEdge) bool {
			if e.state <= rank || e.state <= groupSuperadmin || e.state > groupMember {
				return false
			}
			e.state--
			return true
		})
}

// demoteGroupUsers lowers admins to member and, for a superadmin caller,
// superadmins to admin while another superadmin remains. Admins may demote
// other admins; members stay members.
func (s *Server) demoteGroupUsers(_ context.Context, c *call, req *api.DemoteGroupUsersRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, rank, ids, err := s.groupAdminCall(c, req.GroupId, req.UserIds, true)
	if err != nil {
		return nil, err
	}
	return s.editGroupUsers(g, c.userID, ids, groupMsgDemote, "Error while trying to demote users in a group.",
		func(work *group, uid string, e *groupEdge) bool {
			if e.state < rank || e.state >= groupMember {
				return false
			}
			if rank == groupSuperadmin && work.otherSuperadmins(uid) == 0 {
				return false
			}
			e.state++
			return true
		})
}

// editGroupUsers runs the loop of KickGroupUsers, BanGroupUsers,
// PromoteGroupUsers and DemoteGroupUsers on a work copy of g: step is
// given the edge of each of ids, other than the caller's, that the group
// has. It changes the edge and reports whether the change is announced in
// the group's channel with code; such a change to a deleted user's edge
// fails the whole call with Internal failMsg. g keeps the work copy only
// when the call succeeds; s.mu is held.
func (s *Server) editGroupUsers(g *group, caller string, ids []string, code int32, failMsg string,
	step func(work *group, uid string, e *groupEdge) bool) (*emptypb.Empty, error) {
	work := g.clone()
	var notices []groupNotice
	for _, uid := range ids {
		e := work.members[uid]
		if uid == caller || e == nil || !step(work, uid, e) {
			continue
		}
		if s.st.users[uid] == nil {
			return nil, newError(Internal, failMsg)
		}
		notices = append(notices, groupNotice{code, uid})
	}
	commitGroup(g, work)
	s.postGroupNotices(g.id, "", notices)
	return &emptypb.Empty{}, nil
}

// listLimitAndState reads the limit (1 to 100, default 100) and the state
// filter (0 to 4) of ListGroupUsers and ListUserGroups, and the cursor,
// which must have been made under the same state filter. A state of -1
// means no filter.
func listLimitAndState(limit *wrapperspb.Int32Value, state *wrapperspb.Int32Value, cursor string) (int, int, *edgeCursor, error) {
	n := 100
	if limit != nil {
		if limit.Value < 1 || limit.Value > 100 {
			return 0, 0, nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
		}
		n = int(limit.Value)
	}
	st := -1
	if state != nil {
		if state.Value < 0 || state.Value > 4 {
			return 0, 0, nil, newError(InvalidArgument, "Invalid state - state must be between 0 and 4.")
		}
		st = int(state.Value)
	}
	if cursor == "" {
		return n, st, nil, nil
	}
	cur, ok := parseEdgeCursor(cursor)
	if !ok || (st >= 0 && cur.state != int64(st)) {
		return 0, 0, nil, newError(InvalidArgument, "Cursor is invalid.")
	}
	return n, st, &cur, nil
}

// edgeListed is one row of a listing of group edges.
type edgeListed struct {
	id string // the user's or the group's
	e  *groupEdge
}

// pageEdges sorts rows in listing order (state, then position), skips those
// before the cursor and returns one page and the cursor of the next.
func pageEdges(rows []edgeListed, limit int, cursor *edgeCursor) ([]edgeListed, string) {
	slices.SortFunc(rows, func(a, b edgeListed) int {
		if a.e.state != b.e.state {
			return a.e.state - b.e.state
		}
		return cmp.Compare(a.e.position, b.e.position)
	})
	var page []edgeListed
	for _, r := range rows {
		if cursor != nil && cursor.before(r.e.state, r.e.position) {
			continue
		}
		if len(page) == limit {
			return page, edgeCursor{int64(r.e.state), r.e.position}.String()
		}
		page = append(page, r)
	}
	return page, ""
}

// groupUserRows returns the group's edges to existing users, keeping those
// of the given state, or for -1 all but bans; s.mu is held.
func (s *Server) groupUserRows(g *group, state int) []edgeListed {
	var rows []edgeListed
	for uid, e := range g.members {
		if s.st.users[uid] == nil || (state >= 0 && e.state != state) || (state < 0 && e.state > groupJoinRequest) {
			continue
		}
		rows = append(rows, edgeListed{uid, e})
	}
	return rows
}

func (s *Server) listGroupUsers(_ context.Context, _ *call, req *api.ListGroupUsersRequest) (*api.GroupUserList, error) {
	id, err := parseGroupID(req.GroupId)
	if err != nil {
		return nil, err
	}
	limit, state, cursor, err := listLimitAndState(req.Limit, req.State, req.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &api.GroupUserList{}
	g := s.groups.byID[id]
	if g == nil {
		return out, nil
	}
	page, next := pageEdges(s.groupUserRows(g, state), limit, cursor)
	for _, r := range page {
		out.GroupUsers = append(out.GroupUsers, &api.GroupUserList_GroupUser{
			User:  s.st.users[r.id].apiUser(),
			State: wrapperspb.Int32(int32(r.e.state)),
		})
	}
	out.Cursor = next
	return out, nil
}

func (s *Server) listUserGroups(_ context.Context, _ *call, req *api.ListUserGroupsRequest) (*api.UserGroupList, error) {
	if req.UserId == "" {
		return nil, newError(InvalidArgument, "User ID must be set.")
	}
	uid, ok := parseUUID(req.UserId)
	if !ok {
		// The server's message says group, though it checks the user id.
		return nil, newError(InvalidArgument, "Group ID must be a valid ID.")
	}
	limit, state, cursor, err := listLimitAndState(req.Limit, req.State, req.Cursor)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []edgeListed
	for gid, g := range s.groups.byID {
		e := g.members[uid]
		// A ban has no row on the user's side, so it never lists here.
		if e == nil || e.state == groupBanned || (state >= 0 && e.state != state) {
			continue
		}
		rows = append(rows, edgeListed{gid, e})
	}
	page, next := pageEdges(rows, limit, cursor)
	out := &api.UserGroupList{Cursor: next}
	for _, r := range page {
		out.UserGroups = append(out.UserGroups, &api.UserGroupList_UserGroup{
			Group: s.groups.byID[r.id].apiGroup(),
			State: wrapperspb.Int32(int32(r.e.state)),
		})
	}
	return out, nil
}

// groupListCursor is where ListGroups continues: the values of the last
// group of the previous page, as the server's cursor holds them. It is
// opaque to clients (base64 of JSON here, of a gob on the server).
type groupListCursor struct {
	Lang       string `json:"l"`
	EdgeCount  int32  `json:"c"`
	ID         string `json:"i"`
	Open       bool   `json:"o"`
	Name       string `json:"n"`
	UpdateTime int64  `json:"u"` // Unix nanoseconds
}

func (c *groupListCursor) state() int64 {
	if c.Open {
		return 0
	}
	return 1
}

func groupState(g *group) int64 {
	if g.open {
		return 0
	}
	return 1
}

// tuple is a row value as SQL compares them, element by element; elements
// are strings or int64s.
type tuple []any

func (a tuple) cmp(b tuple) int {
	for i := range a {
		var c int
		switch x := a[i].(type) {
		case string:
			c = strings.Compare(x, b[i].(string))
		case int64:
			c = cmp.Compare(x, b[i].(int64))
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// groupQuery is one of the server's ListGroups queries: which groups it
// keeps, its order, and how it compares rows with the cursor (which, for
// open and language together, is not the order it sorts by).
type groupQuery struct {
	keep      func(g *group) bool
	order     func(g *group) tuple
	desc      bool
	row       func(g *group) tuple
	fromCur   func(c *groupListCursor) tuple
	afterSign int // rows kept have row(g) compared with the cursor of this sign
}

func (s *Server) listGroups(_ context.Context, _ *call, req *api.ListGroupsRequest) (*api.GroupList, error) {
	limit := 1
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
		}
		limit = int(req.Limit.Value)
	}
	edgeCount := -1
	if req.Members != nil {
		edgeCount = int(req.Members.Value)
	}
	name, lang := req.Name, req.LangTag
	if name != "" && (lang != "" || req.Open != nil || edgeCount > -1) {
		return nil, newError(InvalidArgument, "name filter cannot be combined with any other filter")
	}
	// A leading wildcard is dropped, so name filters match on a prefix.
	name = strings.TrimLeft(name, "% ")
	var cursor *groupListCursor
	if req.Cursor != "" {
		cursor = &groupListCursor{}
		b, err := base64.RawURLEncoding.DecodeString(req.Cursor)
		if err == nil {
			err = json.Unmarshal(b, cursor)
		}
		if _, ok := parseUUID(cursor.ID); err != nil || !ok {
			// The server means to answer InvalidArgument "Malformed cursor
			// was used." but its handler turns that status into this one.
			return nil, newError(Internal, "Error while trying to list groups.")
		}
	}
	var pattern []rune
	if name != "" {
		var ok bool
		if pattern, ok = likePattern(name); !ok {
			return nil, newError(Internal, "Error while trying to list groups.")
		}
	}
	q := groupQueryFor(name, pattern, lang, req.GetOpen(), edgeCount)

	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*group
	for _, g := range s.groups.byID {
		if !q.keep(g) {
			continue
		}
		if cursor != nil && q.row(g).cmp(q.fromCur(cursor))*q.afterSign <= 0 {
			continue
		}
		rows = append(rows, g)
	}
	slices.SortFunc(rows, func(a, b *group) int {
		c := q.order(a).cmp(q.order(b))
		if q.desc {
			return -c
		}
		return c
	})
	out := &api.GroupList{}
	for i, g := range rows {
		if i == limit {
			last := rows[i-1]
			out.Cursor = encodeGroupCursor(last)
			break
		}
		out.Groups = append(out.Groups, g.apiGroup())
	}
	return out, nil
}

func encodeGroupCursor(g *group) string {
	b, _ := json.Marshal(groupListCursor{Lang: g.langTag, EdgeCount: int32(g.edgeCount), ID: g.id,
		Open: g.open, Name: g.name, UpdateTime: g.updateTime.UnixNano()})
	return base64.RawURLEncoding.EncodeToString(b)
}

// groupQueryFor picks the server's query for a combination of filters.
func groupQueryFor(name string, pattern []rune, lang string, open *wrapperspb.BoolValue, edgeCount int) groupQuery {
	st := int64(0)
	if open != nil && !open.Value {
		st = 1
	}
	ec := int64(edgeCount)
	isState := func(g *group) bool { return groupState(g) == st }
	isLang := func(g *group) bool { return g.langTag == lang }
	small := func(g *group) bool { return int64(g.edgeCount) <= ec }
	ut := func(g *group) int64 { return g.updateTime.UnixNano() }
	n := func(g *group) int64 { return int64(g.edgeCount) }
	cn := func(c *groupListCursor) int64 { return int64(c.EdgeCount) }
	cid := func(c *groupListCursor) string { id, _ := parseUUID(c.ID); return id }

	switch {
	case name != "":
		t := func(g *group) tuple { return tuple{g.name} }
		return groupQuery{
			keep:    func(g *group) bool { return likeMatch(pattern, g.name) },
			order:   t,
			row:     t,
			fromCur: func(c *groupListCursor) tuple { return tuple{c.Name} }, afterSign: 1,
		}
	case open != nil && lang != "" && edgeCount > -1:
		t := func(g *group) tuple { return tuple{groupState(g), g.langTag, n(g), g.id} }
		return groupQuery{
			keep:  func(g *group) bool { return isState(g) && isLang(g) && small(g) },
			order: t, desc: true, row: t,
			fromCur: func(c *groupListCursor) tuple { return tuple{c.state(), c.Lang, cn(c), cid(c)} }, afterSign: -1,
		}
	case open != nil && lang != "":
		// The server sorts descending but pages with "greater than".
		return groupQuery{
			keep:    func(g *group) bool { return isState(g) && isLang(g) },
			order:   func(g *group) tuple { return tuple{groupState(g), n(g), g.langTag, g.id} },
			desc:    true,
			row:     func(g *group) tuple { return tuple{groupState(g), g.langTag, n(g), g.id} },
			fromCur: func(c *groupListCursor) tuple { return tuple{c.state(), c.Lang, cn(c), cid(c)} }, afterSign: 1,
		}
	case open != nil && edgeCount > -1:
		t := func(g *group) tuple { return tuple{groupState(g), n(g), g.langTag, g.id} }
		return groupQuery{
			keep:  func(g *group) bool { return isState(g) && small(g) },
			order: t, desc: true, row: t,
			fromCur: func(c *groupListCursor) tuple { return tuple{c.state(), cn(c), c.Lang, cid(c)} }, afterSign: -1,
		}
	case lang != "" && edgeCount > -1:
		t := func(g *group) tuple { return tuple{g.langTag, n(g), g.id} }
		return groupQuery{
			keep:  func(g *group) bool { return isLang(g) && small(g) },
			order: t, desc: true, row: t,
			fromCur: func(c *groupListCursor) tuple { return tuple{c.Lang, cn(c), cid(c)} }, afterSign: -1,
		}
	case lang != "":
		t := func(g *group) tuple { return tuple{g.langTag, n(g), g.id} }
		return groupQuery{
			keep: isLang, order: t, row: t,
			fromCur: func(c *groupListCursor) tuple { return tuple{c.Lang, cn(c), cid(c)} }, afterSign: 1,
		}
	case edgeCount > -1:
		t := func(g *group) tuple { return tuple{n(g), ut(g), g.id} }
		return groupQuery{
			keep: small, order: t, desc: true, row: t,
			fromCur: func(c *groupListCursor) tuple { return tuple{cn(c), c.UpdateTime, cid(c)} }, afterSign: -1,
		}
	default:
		keep := func(*group) bool { return true }
		if open != nil {
			keep = isState
		}
		t := func(g *group) tuple { return tuple{ut(g), n(g), g.id} }
		return groupQuery{
			keep: keep, order: t, row: t,
			fromCur: func(c *groupListCursor) tuple { return tuple{c.UpdateTime, cn(c), cid(c)} }, afterSign: 1,
		}
	}
}

// likePattern lowers a LIKE pattern for case-insensitive matching, as
// ILIKE does. It reports false for a pattern ending in the escape
// character, which the database refuses.
func likePattern(p string) ([]rune, bool) {
	r := []rune(strings.ToLower(p))
	for i := 0; i < len(r); i++ {
		if r[i] == '\\' {
			if i == len(r)-1 {
				return nil, false
			}
			i++
		}
	}
	return r, true
}

// likeMatch matches s against a lowered LIKE pattern: % is any run of
// characters, _ any one character, and a backslash makes the next
// character literal.
func likeMatch(p []rune, s string) bool {
	str := []rune(strings.ToLower(s))
	// match[j] reports whether the pattern so far matches str[:j].
	match := make([]bool, len(str)+1)
	match[0] = true
	for i := 0; i < len(p); i++ {
		next := make([]bool, len(str)+1)
		switch c := p[i]; {
		case c == '%':
			reached := false
			for j := range match {
				reached = reached || match[j]
				next[j] = reached
			}
		case c == '_':
			for j := 1; j <= len(str); j++ {
				next[j] = match[j-1]
			}
		default:
			if c == '\\' {
				i++
				c = p[i]
			}
			for j := 1; j <= len(str); j++ {
				next[j] = match[j-1] && str[j-1] == c
			}
		}
		match = next
	}
	return match[len(str)]
}

// NewGroup describes a group for CreateGroup. Zero fields take the
// server's defaults.
type NewGroup struct {
	// Name must be unique (case matters) and is required.
	Name        string
	Description string
	AvatarURL   string
	// LangTag defaults to "en".
	LangTag string
	// Metadata is a JSON object, "{}" by default. Clients cannot set it;
	// server code can.
	Metadata string
	// Open lets users join without an accepted request.
	Open bool
	// MaxCount is the most members the group takes; 0 means 100.
	MaxCount int
}

// CreateGroup creates a group with userID as its creator and superadmin,
// as the CreateGroup call does, and fails as it would: AlreadyExists for a
// name in use, InvalidArgument for a missing name or a negative MaxCount,
// Internal for values too long for their columns or metadata that is not
// JSON.
func (s *Server) CreateGroup(userID string, ng NewGroup) (*api.Group, error) {
	if ng.Name == "" {
		return nil, newError(InvalidArgument, "Group name must be set.")
	}
	if ng.MaxCount < 0 {
		return nil, newError(InvalidArgument, "Group max count must be >= 1 when set.")
	}
	if ng.MaxCount == 0 {
		ng.MaxCount = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.mustUser(userID)
	if err != nil {
		return nil, err
	}
	g, err := s.createGroupLocked(u.id, u.id, ng, s.groupNow())
	if errors.Is(err, errGroupNameInUse) {
		return nil, newError(AlreadyExists, "Group name is in use.")
	}
	if err != nil {
		return nil, newError(Internal, "Error while trying to create group.")
	}
	return g.apiGroup(), nil
}

// Group returns the group with the given id and whether it exists.
func (s *Server) Group(groupID string) (*api.Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.lookupGroup(groupID)
	if g == nil {
		return nil, false
	}
	return g.apiGroup(), true
}

// GroupByName returns the group with the given name (case matters) and
// whether it exists.
func (s *Server) GroupByName(name string) (*api.Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups.byName[name]
	if g == nil {
		return nil, false
	}
	return g.apiGroup(), true
}

// Groups returns every group in creation order.
func (s *Server) Groups() []*api.Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*group, 0, len(s.groups.byID))
	for _, g := range s.groups.byID {
		all = append(all, g)
	}
	slices.SortFunc(all, func(a, b *group) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]*api.Group, 0, len(all))
	for _, g := range all {
		out = append(out, g.apiGroup())
	}
	return out
}

func (s *Server) lookupGroup(groupID string) *group {
	id, ok := parseUUID(groupID)
	if !ok {
		return nil
	}
	return s.groups.byID[id]
}

func (s *Server) mustGroup(groupID string) (*group, error) {
	g := s.lookupGroup(groupID)
	if g == nil {
		return nil, newError(NotFound, "Group not found.")
	}
	return g, nil
}

// GroupMembers returns the group's users in listing order (superadmins,
// admins, members, join requests, then banned users with state 4), as
// ListGroupUsers shows them, and whether the group exists.
func (s *Server) GroupMembers(groupID string) ([]*api.GroupUserList_GroupUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.lookupGroup(groupID)
	if g == nil {
		return nil, false
	}
	var rows []edgeListed
	for uid, e := range g.members {
		if s.st.users[uid] != nil {
			rows = append(rows, edgeListed{uid, e})
		}
	}
	page, _ := pageEdges(rows, len(rows)+1, nil)
	out := make([]*api.GroupUserList_GroupUser, 0, len(page))
	for _, r := range page {
		out = append(out, &api.GroupUserList_GroupUser{User: s.st.users[r.id].apiUser(), State: wrapperspb.Int32(int32(r.e.state))})
	}
	return out, true
}

// SetGroupMember puts the user in the group with the given state (0
// superadmin, 1 admin, 2 member, 3 join request, 4 banned), adding the user
// or changing an existing state, and keeps the group's edge count right. It
// fails with InvalidArgument "Group is full." when the user would take a
// place the group does not have.
func (s *Server) SetGroupMember(groupID, userID string, state api.GroupUserList_GroupUser_State) error {
	if state < groupSuperadmin || state > groupBanned {
		return errorf(InvalidArgument, "invalid group state %d", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.mustGroup(groupID)
	if err != nil {
		return err
	}
	u, err := s.mustUser(userID)
	if err != nil {
		return err
	}
	now := s.groupNow()
	counted := func(st int) bool { return st < groupJoinRequest }
	e := g.members[u.id]
	was := e != nil && counted(e.state)
	if counted(int(state)) && !was {
		if g.edgeCount >= g.maxCount {
			return newError(InvalidArgument, "Group is full.")
		}
		g.edgeCount++
		g.updateTime = now
	} else if was && !counted(int(state)) {
		g.edgeCount--
		g.updateTime = now
	}
	if e == nil {
		g.members[u.id] = &groupEdge{state: int(state), position: s.groups.nextPosition(now)}
	} else {
		e.state = int(state)
	}
	return nil
}

// RemoveGroupMember takes the user out of the group whatever the state,
// lifting a ban or declining a request, and keeps the edge count right. It
// refuses to remove the group's last superadmin while others remain,
// which the API never allows either.
func (s *Server) RemoveGroupMember(groupID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.mustGroup(groupID)
	if err != nil {
		return err
	}
	u, err := s.mustUser(userID)
	if err != nil {
		return err
	}
	e := g.members[u.id]
	if e == nil {
		return nil
	}
	if e.state == groupSuperadmin && g.otherSuperadmins(u.id) == 0 && len(g.members) > 1 {
		return newError(InvalidArgument, "Cannot leave group when you are the last superadmin.")
	}
	delete(g.members, u.id)
	if e.state < groupJoinRequest {
		g.edgeCount--
		g.updateTime = s.groupNow()
	}
	if len(g.members) == 0 {
		s.removeGroup(g)
	}
	return nil
}

// DeleteGroup deletes the group and every membership in it.
func (s *Server) DeleteGroup(groupID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.mustGroup(groupID)
	if err != nil {
		return err
	}
	s.removeGroup(g)
	return nil
}
