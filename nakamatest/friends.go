package nakamatest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The states of a friend edge, as ListFriends reports them.
const (
	friendMutual         = 0
	friendInviteSent     = 1
	friendInviteReceived = 2
	friendBlocked        = 3
)

// friendEdge is one directed row of the server's user_edge table: what the
// source user's friend list says about the destination user. A friendship
// or invitation is two rows, one each way; a block is the blocker's row
// only.
type friendEdge struct {
	state      int
	position   int64 // listing order within a state
	updateTime time.Time
	metadata   string // JSONB text, as the server returns it
}

// friendsState is the friends area's share of the server state, guarded by
// Server.mu.
type friendsState struct {
	edges map[string]map[string]*friendEdge // source id → destination id → edge
	edgePositions

	// What the providers report as a user's friends who play the game,
	// keyed by the user's provider id.
	facebook map[string][]string
	steam    map[string][]string
}

// edgePositions hands out the listing positions of friend edges, and
// separately of group edges.
type edgePositions struct {
	lastPos int64
}

// nextPosition returns a listing position for edges created now. The
// server uses the wall clock in nanoseconds; positions here also never
// repeat, so a stopped clock (SetTime) still gives a stable order.
func (ep *edgePositions) nextPosition(now time.Time) int64 {
	p := now.UnixNano()
	if p <= ep.lastPos {
		p = ep.lastPos + 1
	}
	ep.lastPos = p
	return p
}

func (f *friendsState) edge(src, dst string) *friendEdge { return f.edges[src][dst] }

func (f *friendsState) put(src, dst string, e *friendEdge) {
	m := f.edges[src]
	if m == nil {
		m = make(map[string]*friendEdge)
		f.edges[src] = m
	}
	m[dst] = e
}

func (f *friendsState) remove(src, dst string) {
	if m := f.edges[src]; m != nil {
		delete(m, dst)
		if len(m) == 0 {
			delete(f.edges, src)
		}
	}
}

func (s *Server) registerFriends() {
	s.friends = friendsState{
		edges:    make(map[string]map[string]*friendEdge),
		facebook: make(map[string][]string),
		steam:    make(map[string][]string),
	}
	s.st.userDeleted = append(s.st.userDeleted, s.dropUserFriends)
	handle(s, "AddFriends", s.addFriends)
	handle(s, "DeleteFriends", s.deleteFriends)
	handle(s, "BlockFriends", s.blockFriends)
	handle(s, "ListFriends", s.listFriends)
	handle(s, "ListFriendsOfFriends", s.listFriendsOfFriends)
	handle(s, "ImportFacebookFriends", s.importFacebookFriends)
	handle(s, "ImportSteamFriends", s.importSteamFriends)
}

// dropUserFriends removes every edge from or to a deleted user, as the
// database's cascading foreign keys do. The other users' edge counts stay
// as they were: the server does not correct them either.
func (s *Server) dropUserFriends(userID string) {
	f := &s.friends
	delete(f.edges, userID)
	for src := range f.edges {
		f.remove(src, userID)
	}
}

// countEdge moves a user's edge_count by delta. touch also sets its
// update_time, as every statement but the import reset's does.
func (s *Server) countEdge(userID string, delta int, now time.Time, touch bool) {
	if u := s.st.users[userID]; u != nil {
		u.edgeCount += delta
		if touch {
			u.updateTime = now
		}
	}
}

// checkFriendIDs validates the ids and usernames of AddFriends,
// DeleteFriends and BlockFriends in the server's order (ids first, then
// usernames) and returns the ids in canonical form. self is the
// operation's message for naming oneself; the server compares ids with the
// caller's id as strings, and usernames with the username in the token.
func checkFriendIDs(c *call, ids, usernames []string, self string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == c.userID {
			return nil, newError(InvalidArgument, self)
		}
		canonical, ok := parseUUID(id)
		if !ok || canonical == systemUserID {
			return nil, newError(InvalidArgument, "Invalid user ID '"+id+"'.")
		}
		out = append(out, canonical)
	}
	for _, name := range usernames {
		if name == "" {
			return nil, newError(InvalidArgument, "Username must not be empty.")
		}
		if name == c.username {
			return nil, newError(InvalidArgument, self)
		}
	}
	return out, nil
}

// friendTargets appends the users the usernames name to ids and returns
// each target once, the caller left out, with the number of usernames that
// named a user; s.mu is held. Unknown usernames are dropped, unknown ids
// kept (the operations ignore them later).
func (s *Server) friendTargets(me string, ids, usernames []string) ([]string, int) {
	found := 0
	all := slices.Clone(ids)
	for _, name := range usernames {
		if u := s.st.byUsername[name]; u != nil {
			all = append(all, u.id)
			found++
		}
	}
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, id := range all {
		// An id in another spelling, or a username the caller has since
		// taken, can still name the caller; nakamatest ignores it rather
		// than recording a friendship with oneself.
		if id == me || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, found
}

// friendsCall runs AddFriends, DeleteFriends or BlockFriends: it checks
// the ids and usernames (self is the operation's message for naming
// oneself) and, with s.mu held, hands the users they name to apply.
// needTarget refuses a call whose usernames, given alone, name no one, as
// AddFriends and BlockFriends do.
func (s *Server) friendsCall(c *call, ids, usernames []string, self string, needTarget bool,
	apply func(targets []string, now time.Time) error) (*emptypb.Empty, error) {
	if len(ids) == 0 && len(usernames) == 0 {
		return &emptypb.Empty{}, nil
	}
	canonical, err := checkFriendIDs(c, ids, usernames, self)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	targets, found := s.friendTargets(c.userID, canonical, usernames)
	if needTarget && found+len(ids) == 0 {
		return nil, newError(InvalidArgument, "No valid ID or username was provided.")
	}
	if err := apply(targets, s.clock.now()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *Server) addFriends(_ context.Context, c *call, req *api.AddFriendsRequest) (*emptypb.Empty, error) {
	return s.friendsCall(c, req.Ids, req.Usernames, "Cannot add self as friend.", true, func(targets []string, now time.Time) error {
		return s.addFriendsLocked(c.userID, c.username, targets, req.Metadata, now)
	})
}

// addFriendsLocked sends or accepts invitations from me to each target, as
// one transaction, and notifies the targets under the name username; s.mu
// is held.
func (s *Server) addFriendsLocked(me, username string, targets []string, metadata string, now time.Time) error {
	f := &s.friends
	meta, valid := "{}", true
	if metadata != "" {
		meta, valid = friendJSONB(metadata)
	}
	// The server's statements fail as a whole (metadata that is not JSON,
	// or a caller whose account is gone), rolling back every target; a
	// target the caller blocks is skipped before any statement runs.
	for _, id := range targets {
		if e := f.edge(me, id); e != nil && e.state == friendBlocked {
			continue
		}
		if !valid || (s.st.users[me] == nil && s.st.users[id] != nil) {
			return newError(Internal, "Error while trying to add friends.")
		}
	}
	content := usernameContent(username)
	for _, id := range targets {
		switch s.addFriend(me, id, meta, now) {
		case friendInvited:
			s.notifySocial(id, me, notifyFriendRequest, username+" wants to add you as a friend", content, now)
		case friendAccepted:
			s.notifySocial(id, me, notifyFriendAccept, username+" accepted your friend request", content, now)
		}
	}
	return nil
}

// What addFriend did.
const (
	friendUnchanged = iota
	friendInvited
	friendAccepted
)

// addFriend sends an invitation from me to id, or accepts the one id sent
// me. It does nothing when me blocks id, id blocks me, id does not exist,
// or an edge already exists (an invitation already sent, or friends).
func (s *Server) addFriend(me, id, meta string, now time.Time) int {
	f := &s.friends
	mine, theirs := f.edge(me, id), f.edge(id, me)
	if mine != nil && mine.state == friendBlocked {
		return friendUnchanged
	}
	accepted := 0
	if theirs != nil && theirs.state == friendInviteSent {
		theirs.state, theirs.updateTime = friendMutual, now
		accepted++
	}
	if mine != nil && mine.state == friendInviteReceived {
		// The accepting side's metadata is merged into its edge; the
		// position, and so the listing order, stays the invitation's.
		mine.state, mine.updateTime = friendMutual, now
		mine.metadata = friendJSONBConcat(mine.metadata, meta)
		accepted++
	}
	if accepted == 2 {
		return friendAccepted
	}
	if s.st.users[id] == nil || (theirs != nil && theirs.state == friendBlocked) {
		return friendUnchanged
	}
	if !s.insertFriendPair(me, id, friendEdge{state: friendInviteSent, metadata: meta},
		friendEdge{state: friendInviteReceived, metadata: "{}"}, now) {
		return friendUnchanged
	}
	return friendInvited
}

// insertFriendPair stores whichever of me's edge to id (mine) and id's edge
// to me (theirs) does not exist yet, both under one new position and
// updated now, as the server's paired inserts do. When it stores either,
// both users' edge counts go up by one. It reports whether it stored any.
func (s *Server) insertFriendPair(me, id string, mine, theirs friendEdge, now time.Time) bool {
	f := &s.friends
	pos := f.nextPosition(now)
	mine.position, mine.updateTime = pos, now
	theirs.position, theirs.updateTime = pos, now
	inserted := false
	if f.edge(me, id) == nil {
		f.put(me, id, &mine)
		inserted = true
	}
	if f.edge(id, me) == nil {
		f.put(id, me, &theirs)
		inserted = true
	}
	if inserted {
		s.countEdge(me, 1, now, true)
		s.countEdge(id, 1, now, true)
	}
	return inserted
}

// The codes of the notifications the server sends about friends and groups.
const (
	notifyFriendRequest    = -2
	notifyFriendAccept     = -3
	notifyGroupAdd         = -4
	notifyGroupJoinRequest = -5
	notifyFriendJoinGame   = -6
	notifyFriendRemove     = -9
)

// usernameContent is the content of the friend notifications.
func usernameContent(username string) map[string]string {
	return map[string]string{"username": username}
}

// notifySocial sends one of the server's persistent friend or group
// notifications to a user; s.mu is held.
func (s *Server) notifySocial(to, sender string, code int32, subject string, content map[string]string, now time.Time) {
	b, _ := json.Marshal(content)
	s.notifyLocked(to, &api.Notification{
		Id:         s.rand.uuid(),
		Subject:    subject,
		Content:    string(b),
		Code:       code,
		SenderId:   sender,
		Persistent: true,
		CreateTime: &timestamppb.Timestamp{Seconds: now.Unix()},
	})
}

func (s *Server) deleteFriends(_ context.Context, c *call, req *api.DeleteFriendsRequest) (*emptypb.Empty, error) {
	return s.friendsCall(c, req.Ids, req.Usernames, "Cannot delete self.", false, func(targets []string, now time.Time) error {
		s.deleteFriendsLocked(c.userID, c.username, targets, now)
		return nil
	})
}

// deleteFriendsLocked removes each target from me's list and notifies
// those who lose a friendship or invitation; s.mu is held.
func (s *Server) deleteFriendsLocked(me, username string, targets []string, now time.Time) {
	for _, id := range targets {
		if s.deleteFriend(me, id, now) {
			s.notifySocial(id, me, notifyFriendRemove, username+" removed you as a friend", usernameContent(username), now)
		}
	}
}

// deleteFriend removes me's edge to id whatever its state, and id's edge
// to me unless it is a block, fixing the edge counts the server's way: one
// row gone counts against me alone. It reports whether both went, which is
// when the server notifies id.
func (s *Server) deleteFriend(me, id string, now time.Time) bool {
	f := &s.friends
	n := 0
	if f.edge(me, id) != nil {
		f.remove(me, id)
		n++
	}
	if e := f.edge(id, me); e != nil && e.state != friendBlocked {
		f.remove(id, me)
		n++
	}
	switch n {
	case 1:
		s.countEdge(me, -1, now, true)
	case 2:
		s.countEdge(me, -1, now, true)
		s.countEdge(id, -1, now, true)
	}
	return n == 2
}

func (s *Server) blockFriends(_ context.Context, c *call, req *api.BlockFriendsRequest) (*emptypb.Empty, error) {
	return s.friendsCall(c, req.Ids, req.Usernames, "Cannot block self.", true, func(targets []string, now time.Time) error {
		return s.blockFriendsLocked(c.userID, targets, now)
	})
}

func (s *Server) blockFriendsLocked(me string, targets []string, now time.Time) error {
	f := &s.friends
	if s.st.users[me] == nil {
		// A new block row for a caller whose account is gone breaks the
		// foreign key, which fails the whole transaction.
		for _, id := range targets {
			if f.edge(me, id) == nil && s.st.users[id] != nil {
				return newError(Internal, "Error while trying to block friends.")
			}
		}
	}
	for _, id := range targets {
		if e := f.edge(me, id); e != nil {
			e.state, e.updateTime = friendBlocked, now
		} else if s.st.users[id] != nil {
			f.put(me, id, &friendEdge{state: friendBlocked, position: f.nextPosition(now), updateTime: now, metadata: "{}"})
			s.countEdge(me, 1, now, true)
		} else {
			continue
		}
		if e := f.edge(id, me); e != nil && e.state != friendBlocked {
			f.remove(id, me)
			s.countEdge(id, -1, now, true)
		}
	}
	return nil
}

// edgeCursor is where a listing of friend edges or group edges continues:
// the state and position of the first edge not yet returned.
type edgeCursor struct {
	state    int64
	position int64
}

// The server's edge cursors are base64 (URL alphabet, padded) of a gob;
// these are base64 of a short text, opaque all the same.
const edgeCursorPrefix = "edge:"

func (c edgeCursor) String() string {
	return base64.URLEncoding.EncodeToString([]byte(edgeCursorPrefix +
		strconv.FormatInt(c.state, 10) + ":" + strconv.FormatInt(c.position, 10)))
}

func parseEdgeCursor(s string) (edgeCursor, bool) {
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		return edgeCursor{}, false
	}
	rest, ok := strings.CutPrefix(string(b), edgeCursorPrefix)
	if !ok {
		return edgeCursor{}, false
	}
	st, pos, ok := strings.Cut(rest, ":")
	if !ok {
		return edgeCursor{}, false
	}
	state, err1 := strconv.ParseInt(st, 10, 64)
	position, err2 := strconv.ParseInt(pos, 10, 64)
	if err1 != nil || err2 != nil {
		return edgeCursor{}, false
	}
	return edgeCursor{state, position}, true
}

// before reports whether an edge at (state, position) sorts before c.
func (c edgeCursor) before(state int, position int64) bool {
	return int64(state) < c.state || (int64(state) == c.state && position < c.position)
}

// friendListed is one row of a friend listing.
type friendListed struct {
	u *user
	e *friendEdge
}

// friendRows returns me's edges to existing users, in listing order (state,
// then position), keeping only those of the given state when it is not
// -1; s.mu is held.
func (s *Server) friendRows(me string, state int) []friendListed {
	var rows []friendListed
	for dst, e := range s.friends.edges[me] {
		u := s.st.users[dst]
		if u == nil || (state >= 0 && e.state != state) {
			continue
		}
		rows = append(rows, friendListed{u, e})
	}
	slices.SortFunc(rows, func(a, b friendListed) int {
		if a.e.state != b.e.state {
			return a.e.state - b.e.state
		}
		return cmp.Compare(a.e.position, b.e.position)
	})
	return rows
}

// apiFriend shows an edge as ListFriends does. The user inside carries no
// edge count: the server's friend query does not read it.
func (r friendListed) apiFriend() *api.Friend {
	u := r.u.apiUser()
	u.EdgeCount = 0
	return &api.Friend{
		User:       u,
		State:      wrapperspb.Int32(int32(r.e.state)),
		UpdateTime: &timestamppb.Timestamp{Seconds: r.e.updateTime.Unix()},
		Metadata:   r.e.metadata,
	}
}

func (s *Server) listFriends(_ context.Context, c *call, req *api.ListFriendsRequest) (*api.FriendList, error) {
	limit := 1000
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 1000 {
			return nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
		}
		limit = int(req.Limit.Value)
	}
	state := -1
	if req.State != nil {
		if req.State.Value < 0 || req.State.Value > 3 {
			return nil, newError(InvalidArgument, "Invalid state - state must be between 0 and 3.")
		}
		state = int(req.State.Value)
	}
	var cursor *edgeCursor
	if req.Cursor != "" {
		cur, ok := parseEdgeCursor(req.Cursor)
		// A cursor made under another state filter is refused.
		if !ok || (state >= 0 && cur.state != int64(state)) {
			return nil, newError(InvalidArgument, "Cursor is invalid.")
		}
		cursor = &cur
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	out := &api.FriendList{}
	for _, r := range s.friendRows(c.userID, state) {
		if cursor != nil && cursor.before(r.e.state, r.e.position) {
			continue
		}
		if len(out.Friends) == limit {
			out.Cursor = edgeCursor{int64(r.e.state), r.e.position}.String()
			break
		}
		out.Friends = append(out.Friends, r.apiFriend())
	}
	return out, nil
}

// The friends of friends cursor names the referrer and the user to resume
// at.
const fofCursorPrefix = "fof:"

func fofCursor(referrer, userID string) string {
	return base64.URLEncoding.EncodeToString([]byte(fofCursorPrefix + referrer + ":" + userID))
}

func parseFOFCursor(s string) (referrer, userID string, ok bool) {
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(string(b), fofCursorPrefix)
	if !ok {
		return "", "", false
	}
	referrer, userID, ok = strings.Cut(rest, ":")
	if !ok {
		return "", "", false
	}
	referrer, ok1 := parseUUID(referrer)
	userID, ok2 := parseUUID(userID)
	return referrer, userID, ok1 && ok2
}

// listFriendsOfFriends walks the caller's friends in id order and, for
// each, that friend's friends in id order, leaving out the caller and the
// caller's own friends; a user reached through two friends appears twice.
// As in Nakama 3.40, a cursor resumes within the referrer it names and the
// page ends with that referrer: friends after it are not reached.
func (s *Server) listFriendsOfFriends(_ context.Context, c *call, req *api.ListFriendsOfFriendsRequest) (*api.FriendsOfFriendsList, error) {
	limit := 10
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 100.")
		}
		limit = int(req.Limit.Value)
	}
	var curRef, curUser string
	if req.Cursor != "" {
		var ok bool
		if curRef, curUser, ok = parseFOFCursor(req.Cursor); !ok {
			return nil, newError(InvalidArgument, "Cursor is invalid.")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.friends
	mutual := func(id string) []string {
		var ids []string
		for dst, e := range f.edges[id] {
			if e.state == friendMutual {
				ids = append(ids, dst)
			}
		}
		slices.Sort(ids)
		return ids
	}
	friends := mutual(c.userID)
	isFriend := make(map[string]bool, len(friends))
	for _, id := range friends {
		isFriend[id] = true
	}
	out := &api.FriendsOfFriendsList{}
	var cursor string
walk:
	for _, ref := range friends {
		if curRef != "" && ref != curRef {
			continue
		}
		for _, id := range mutual(ref) {
			if id == c.userID || isFriend[id] || (curRef != "" && id < curUser) {
				continue
			}
			if len(out.FriendsOfFriends) == limit {
				cursor = fofCursor(ref, id)
				break walk
			}
			u := s.st.users[id]
			if u == nil {
				continue
			}
			out.FriendsOfFriends = append(out.FriendsOfFriends, &api.FriendsOfFriendsList_FriendOfFriend{
				Referrer: ref,
				User:     u.apiUser(),
			})
		}
	}
	if len(out.FriendsOfFriends) > 0 {
		out.Cursor = cursor
	}
	return out, nil
}

func (s *Server) importFacebookFriends(_ context.Context, c *call, req *api.ImportFacebookFriendsRequest) (*emptypb.Empty, error) {
	token := req.GetAccount().GetToken()
	if token == "" {
		return nil, newError(InvalidArgument, "Facebook token is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prof, ok := s.st.social.facebook[token]
	if !ok {
		return nil, newError(Unauthenticated, msgFacebookAuth)
	}
	if err := s.importFacebookFriendsLocked(c.userID, c.username, prof.ID, req.GetReset_().GetValue()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// importFacebookFriendsLocked imports, as friends of userID, the accounts
// linked to the Facebook friends of the Facebook user facebookID, as the
// Import call and a Facebook authentication or link with sync do; username
// signs the notifications. s.mu is held.
func (s *Server) importFacebookFriendsLocked(userID, username, facebookID string, reset bool) error {
	return s.importFriendsLocked(userID, username, kindFacebook, s.friends.facebook[facebookID], "facebook", reset,
		"Error importing Facebook friends.")
}

func (s *Server) importSteamFriends(_ context.Context, c *call, req *api.ImportSteamFriendsRequest) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The configuration is checked before the request, as on the server.
	if !s.st.social.steamConfigured() {
		return nil, newError(FailedPrecondition, "Steam authentication is not configured.")
	}
	token := req.GetAccount().GetToken()
	if token == "" {
		return nil, newError(InvalidArgument, "Steam token is required.")
	}
	steamID, ok := s.st.social.steam[token]
	if !ok {
		return nil, newError(Unauthenticated, "Could not authenticate Steam profile.")
	}
	if err := s.importSteamFriendsLocked(c.userID, c.username, steamID, req.GetReset_().GetValue()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// importSteamFriendsLocked is importFacebookFriendsLocked for Steam, with
// the SteamID64 in decimal; s.mu is held.
func (s *Server) importSteamFriendsLocked(userID, username, steamID string, reset bool) error {
	return s.importFriendsLocked(userID, username, kindSteam, s.friends.steam[steamID], "steam", reset,
		"Error importing Steam friends.")
}

// importFriendsLocked makes userID mutual friends with every account whose
// provider identity of kind is in providerIDs, accepting pending
// invitations either way and tagging the edges with the provider in their
// metadata, and tells each new friend that username joined the game. reset
// first removes every edge to or from userID except blocks. s.mu is held.
func (s *Server) importFriendsLocked(userID, username string, kind idKind, providerIDs []string, provider string, reset bool, failMsg string) error {
	if len(providerIDs) == 0 && !reset {
		return nil
	}
	var found []*user
	seen := map[*user]bool{}
	for _, pid := range providerIDs {
		if u := s.st.byID[kind][pid]; u != nil && !seen[u] && u.id != userID {
			// A provider does not list the user among its own friends;
			// nakamatest skips it rather than befriending the user with
			// itself.
			seen[u] = true
			found = append(found, u)
		}
	}
	if len(found) > 0 && s.st.users[userID] == nil {
		return newError(Internal, failMsg) // the new rows would break a foreign key
	}
	now := s.clock.now()
	if reset {
		s.resetFriends(userID)
	}
	meta := `{"provider": "` + provider + `"}`
	for _, u := range sortedUsers(found) {
		if s.importFriend(userID, u.id, meta, now) {
			s.notifySocial(u.id, userID, notifyFriendJoinGame, "Your friend has just joined the game", usernameContent(username), now)
		}
	}
	return nil
}

// resetFriends removes every edge from or to me that is not a block. The
// edge counts follow, but, as on the server, no update time moves.
func (s *Server) resetFriends(me string) {
	f := &s.friends
	n := 0
	for dst, e := range f.edges[me] {
		if e.state != friendBlocked {
			f.remove(me, dst)
			n++
		}
	}
	s.countEdge(me, -n, time.Time{}, false)
	for src := range f.edges {
		if e := f.edge(src, me); e != nil && e.state != friendBlocked {
			f.remove(src, me)
			s.countEdge(src, -1, time.Time{}, false)
		}
	}
}

// importFriend makes me and id friends and reports whether it did. As in
// Nakama 3.40, a block by me does not stop it: id's edge to me is still
// created (and both counts move), while a block by id does.
func (s *Server) importFriend(me, id, meta string, now time.Time) bool {
	f := &s.friends
	accepted := 0
	for _, e := range []*friendEdge{f.edge(id, me), f.edge(me, id)} {
		if e != nil && (e.state == friendInviteSent || e.state == friendInviteReceived) {
			e.state, e.updateTime = friendMutual, now
			e.metadata = friendJSONBConcat(e.metadata, meta)
			accepted++
		}
	}
	if accepted == 2 {
		return true
	}
	if e := f.edge(id, me); e != nil && e.state == friendBlocked {
		return false
	}
	return s.insertFriendPair(me, id, friendEdge{state: friendMutual, metadata: meta},
		friendEdge{state: friendMutual, metadata: meta}, now)
}

// SetFacebookFriends sets the friends Facebook reports for the Facebook
// user facebookID (the ID of a FacebookIdentity): the Facebook ids of the
// friends who play the game. ImportFacebookFriends with a token registered
// for that user by AddFacebookToken befriends the accounts linked to these
// ids. A user with no list set has no friends; a later call replaces the
// list.
func (s *Server) SetFacebookFriends(facebookID string, friendFacebookIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.friends.facebook[facebookID] = slices.Clone(friendFacebookIDs)
}

// SetSteamFriends sets the friends Steam reports for the SteamID64
// steamID: ImportSteamFriends with a ticket registered for it by
// AddSteamToken befriends the accounts linked to these Steam ids. As with
// SetFacebookFriends, a later call replaces the list.
func (s *Server) SetSteamFriends(steamID uint64, friendSteamIDs ...uint64) {
	ids := make([]string, len(friendSteamIDs))
	for i, id := range friendSteamIDs {
		ids[i] = strconv.FormatUint(id, 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.friends.steam[strconv.FormatUint(steamID, 10)] = ids
}

// Friends returns the user's friend list as ListFriends shows it to the
// user (every state, in listing order), and whether the user exists.
func (s *Server) Friends(userID string) ([]*api.Friend, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userID)
	if u == nil {
		return nil, false
	}
	rows := s.friendRows(u.id, -1)
	out := make([]*api.Friend, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.apiFriend())
	}
	return out, true
}

// directFriendPair finds both users for the direct friend API; s.mu is
// held.
func (s *Server) directFriendPair(userID, otherID, self string) (*user, *user, error) {
	u, err := s.mustUser(userID)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.mustUser(otherID)
	if err != nil {
		return nil, nil, err
	}
	if u == o {
		return nil, nil, newError(InvalidArgument, self)
	}
	return u, o, nil
}

// AddFriend does for one user what AddFriends does: it sends userID's
// invitation to friendID, or accepts the one friendID sent, storing
// metadata (a JSON object, or "" for none) on userID's edge, and notifies
// friendID. Calling it both ways makes two users friends. Like AddFriends
// it silently does nothing across a block or for an existing invitation or
// friendship.
func (s *Server) AddFriend(userID, friendID, metadata string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, o, err := s.directFriendPair(userID, friendID, "Cannot add self as friend.")
	if err != nil {
		return err
	}
	return s.addFriendsLocked(u.id, u.username, []string{o.id}, metadata, s.clock.now())
}

// BlockFriend blocks blockedID for userID, as BlockFriends does.
func (s *Server) BlockFriend(userID, blockedID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, o, err := s.directFriendPair(userID, blockedID, "Cannot block self.")
	if err != nil {
		return err
	}
	return s.blockFriendsLocked(u.id, []string{o.id}, s.clock.now())
}

// DeleteFriend removes a friend, invitation or block from userID's list, as
// DeleteFriends does.
func (s *Server) DeleteFriend(userID, friendID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, o, err := s.directFriendPair(userID, friendID, "Cannot delete self.")
	if err != nil {
		return err
	}
	s.deleteFriendsLocked(u.id, u.username, []string{o.id}, s.clock.now())
	return nil
}

// friendJSONB returns JSON text as PostgreSQL stores and returns a JSONB
// value (see pgJSONB), which is how the server returns friend and group
// metadata. It reports false for what a JSONB column refuses, by the rules
// of parseFriendJSONB.
func friendJSONB(s string) (string, bool) {
	v, ok := parseFriendJSONB(s)
	if !ok {
		return "", false
	}
	out, err := jsonbOf(v)
	return out, err == nil
}

func parseFriendJSONB(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data
	}
	if !utf8.ValidString(s) || badJSONEscape(s) || friendJSONBRefuses(v) {
		return nil, false
	}
	return v, true
}

// badJSONEscape reports a \u escape PostgreSQL refuses in JSONB text:
// \u0000, or a surrogate that is not half of a pair (which Go's decoder
// would quietly turn into U+FFFD).
func badJSONEscape(s string) bool {
	hex4 := func(i int) rune {
		if i+4 > len(s) {
			return -1
		}
		n, err := strconv.ParseUint(s[i:i+4], 16, 32)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++
		if i >= len(s) || s[i] != 'u' {
			continue
		}
		r := hex4(i + 1)
		i += 4
		switch {
		case r == 0 || (r >= 0xdc00 && r < 0xe000):
			return true
		case r >= 0xd800 && r < 0xdc00:
			if i+2 >= len(s) || s[i+1] != '\\' || s[i+2] != 'u' {
				return true
			}
			if lo := hex4(i + 3); lo < 0xdc00 || lo >= 0xe000 {
				return true
			}
			i += 6
		}
	}
	return false
}

// friendJSONBRefuses reports what else a JSONB column refuses in valid
// JSON: a NUL in a string, and a number whose exponent is beyond numeric's
// ±1000.
func friendJSONBRefuses(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.IndexByte(v, 0) >= 0
	case json.Number:
		_, exp, ok := strings.Cut(strings.ToLower(string(v)), "e")
		if !ok {
			return false
		}
		e, err := strconv.Atoi(exp)
		return err != nil || e > 1000 || e < -1000
	case []any:
		return slices.ContainsFunc(v, friendJSONBRefuses)
	case map[string]any:
		for k, e := range v {
			if strings.IndexByte(k, 0) >= 0 || friendJSONBRefuses(e) {
				return true
			}
		}
	}
	return false
}

// friendJSONBConcat is PostgreSQL's jsonb || operator on two stored values:
// objects merge (the right side wins), anything else concatenates as
// arrays, a non-array becoming a one-element array.
func friendJSONBConcat(a, b string) string {
	va, _ := parseFriendJSONB(a)
	vb, _ := parseFriendJSONB(b)
	var out any
	ma, aObj := va.(map[string]any)
	mb, bObj := vb.(map[string]any)
	if aObj && bObj {
		m := make(map[string]any, len(ma)+len(mb))
		for k, v := range ma {
			m[k] = v
		}
		for k, v := range mb {
			m[k] = v
		}
		out = m
	} else {
		asArray := func(v any) []any {
			if arr, ok := v.([]any); ok {
				return arr
			}
			return []any{v}
		}
		out = append(slices.Clone(asArray(va)), asArray(vb)...)
	}
	text, _ := jsonbOf(out) // stored values: nothing in them is refused
	return text
}
