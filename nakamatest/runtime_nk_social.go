package nakamatest

import (
	"context"
	"errors"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The runtime.NakamaModule methods over leaderboards, tournaments, groups
// and friends.

func optLimit(limit int) *wrapperspb.Int32Value {
	if limit == 0 {
		return nil
	}
	return wrapperspb.Int32(int32(limit))
}

func optState(state *int) *wrapperspb.Int32Value {
	if state == nil {
		return nil
	}
	return wrapperspb.Int32(int32(*state))
}

// LeaderboardCreate creates a leaderboard.
func (nk *moduleNK) LeaderboardCreate(ctx context.Context, id string, authoritative bool, sortOrder, operator, resetSchedule string, metadata map[string]any, enableRanks bool) error {
	md, err := jsonString(metadata)
	if err != nil {
		return err
	}
	return nk.s.CreateLeaderboard(Leaderboard{ID: id, Authoritative: authoritative, SortOrder: sortOrder, Operator: operator,
		ResetSchedule: resetSchedule, Metadata: md, EnableRanks: enableRanks})
}

// LeaderboardDelete deletes a leaderboard.
func (nk *moduleNK) LeaderboardDelete(ctx context.Context, id string) error {
	return nk.s.DeleteLeaderboard(id)
}

// LeaderboardRecordWrite writes a record, as the server would for an
// authoritative leaderboard too.
func (nk *moduleNK) LeaderboardRecordWrite(ctx context.Context, id, ownerID, username string, score, subscore int64, metadata map[string]any, overrideOperator *int) (*api.LeaderboardRecord, error) {
	return recordWrite(nk.s.WriteLeaderboardRecord, id, ownerID, username, score, subscore, metadata, overrideOperator)
}

// recordWrite builds a RecordWrite from a runtime call's arguments and
// hands it to write.
func recordWrite(write func(string, RecordWrite) (*api.LeaderboardRecord, error), id, ownerID, username string, score, subscore int64, metadata map[string]any, operator *int) (*api.LeaderboardRecord, error) {
	md, err := jsonString(metadata)
	if err != nil {
		return nil, err
	}
	w := RecordWrite{OwnerID: ownerID, Username: username, Score: score, Subscore: subscore, Metadata: md}
	if operator != nil {
		w.Operator = api.Operator(*operator)
	}
	r, err := write(id, w)
	return r, asRuntimeErr(err)
}

// LeaderboardRecordDelete deletes the owner's record.
func (nk *moduleNK) LeaderboardRecordDelete(ctx context.Context, id, ownerID string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "DeleteLeaderboardRecord", ownerID, &api.DeleteLeaderboardRecordRequest{LeaderboardId: id})
	return err
}

// LeaderboardRecordsList lists records, and those of ownerIDs.
func (nk *moduleNK) LeaderboardRecordsList(ctx context.Context, id string, ownerIDs []string, limit int, cursor string, expiry int64) ([]*api.LeaderboardRecord, []*api.LeaderboardRecord, string, string, error) {
	req := &api.ListLeaderboardRecordsRequest{LeaderboardId: id, OwnerIds: ownerIDs, Cursor: cursor}
	if limit != 0 {
		req.Limit = wrapperspb.Int32(int32(limit))
	}
	if expiry != 0 {
		req.Expiry = wrapperspb.Int64(expiry)
	}
	l, err := opAs[*api.LeaderboardRecordList](ctx, nk, "ListLeaderboardRecords", "", req)
	if err != nil {
		return nil, nil, "", "", err
	}
	return l.Records, l.OwnerRecords, l.NextCursor, l.PrevCursor, nil
}

// LeaderboardRecordsHaystack lists the records around the owner's.
func (nk *moduleNK) LeaderboardRecordsHaystack(ctx context.Context, id, ownerID string, limit int, cursor string, expiry int64) (*api.LeaderboardRecordList, error) {
	req := &api.ListLeaderboardRecordsAroundOwnerRequest{LeaderboardId: id, OwnerId: ownerID, Cursor: cursor}
	if limit != 0 {
		req.Limit = wrapperspb.UInt32(uint32(limit))
	}
	if expiry != 0 {
		req.Expiry = wrapperspb.Int64(expiry)
	}
	return opAs[*api.LeaderboardRecordList](ctx, nk, "ListLeaderboardRecordsAroundOwner", "", req)
}

// LeaderboardsGetId returns the leaderboards (not tournaments) that exist.
func (nk *moduleNK) LeaderboardsGetId(ctx context.Context, ids []string) ([]*api.Leaderboard, error) {
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*api.Leaderboard
	for _, id := range ids {
		if b := s.leaderboards.boards[id]; b != nil && !b.isTournament() {
			out = append(out, apiLeaderboard(b, s.clock.now()))
		}
	}
	return out, nil
}

// TournamentCreate creates a tournament.
func (nk *moduleNK) TournamentCreate(ctx context.Context, id string, authoritative bool, sortOrder, operator, resetSchedule string, metadata map[string]any, title, description string, category, startTime, endTime, duration, maxSize, maxNumScore int, joinRequired, enableRanks bool) error {
	md, err := jsonString(metadata)
	if err != nil {
		return err
	}
	return nk.s.CreateTournament(Tournament{ID: id, Authoritative: authoritative, SortOrder: sortOrder, Operator: operator,
		ResetSchedule: resetSchedule, Metadata: md, EnableRanks: enableRanks, Title: title, Description: description,
		Category: category, StartTime: int64(startTime), EndTime: int64(endTime), Duration: duration, MaxSize: maxSize,
		MaxNumScore: maxNumScore, JoinRequired: joinRequired})
}

// TournamentDelete deletes a tournament.
func (nk *moduleNK) TournamentDelete(ctx context.Context, id string) error {
	return nk.s.DeleteTournament(id)
}

// TournamentAddAttempt gives the owner more attempts.
func (nk *moduleNK) TournamentAddAttempt(ctx context.Context, id, ownerID string, count int) error {
	return asRuntimeErr(nk.s.TournamentAddAttempt(id, ownerID, count))
}

// TournamentJoin joins the owner to the tournament.
func (nk *moduleNK) TournamentJoin(ctx context.Context, id, ownerID, username string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "JoinTournament", ownerID, &api.JoinTournamentRequest{TournamentId: id})
	return err
}

// TournamentsGetId returns the tournaments that exist.
func (nk *moduleNK) TournamentsGetId(ctx context.Context, tournamentIDs []string) ([]*api.Tournament, error) {
	var out []*api.Tournament
	for _, id := range tournamentIDs {
		if t, ok := nk.s.TournamentInfo(id); ok {
			t.JoinRequired = false // the server's read of one by id leaves it out
			out = append(out, t)
		}
	}
	return out, nil
}

// TournamentList lists tournaments as ListTournaments does.
func (nk *moduleNK) TournamentList(ctx context.Context, categoryStart, categoryEnd, startTime, endTime, limit int, cursor string) (*api.TournamentList, error) {
	return opAs[*api.TournamentList](ctx, nk, "ListTournaments", "", &api.ListTournamentsRequest{
		CategoryStart: wrapperspb.UInt32(uint32(categoryStart)), CategoryEnd: wrapperspb.UInt32(uint32(categoryEnd)),
		StartTime: wrapperspb.UInt32(uint32(startTime)), EndTime: wrapperspb.UInt32(uint32(endTime)),
		Limit: optLimit(limit), Cursor: cursor})
}

// TournamentRecordWrite writes the owner's record.
func (nk *moduleNK) TournamentRecordWrite(ctx context.Context, id, ownerID, username string, score, subscore int64, metadata map[string]any, operatorOverride *int) (*api.LeaderboardRecord, error) {
	return recordWrite(nk.s.WriteTournamentRecord, id, ownerID, username, score, subscore, metadata, operatorOverride)
}

// TournamentRecordDelete deletes the owner's record.
func (nk *moduleNK) TournamentRecordDelete(ctx context.Context, id, ownerID string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "DeleteTournamentRecord", ownerID, &api.DeleteTournamentRecordRequest{TournamentId: id})
	return err
}

// TournamentRecordsList lists a tournament's records.
func (nk *moduleNK) TournamentRecordsList(ctx context.Context, tournamentId string, ownerIDs []string, limit int, cursor string, overrideExpiry int64) ([]*api.LeaderboardRecord, []*api.LeaderboardRecord, string, string, error) {
	req := &api.ListTournamentRecordsRequest{TournamentId: tournamentId, OwnerIds: ownerIDs, Cursor: cursor, Limit: optLimit(limit)}
	if overrideExpiry != 0 {
		req.Expiry = wrapperspb.Int64(overrideExpiry)
	}
	l, err := opAs[*api.TournamentRecordList](ctx, nk, "ListTournamentRecords", "", req)
	if err != nil {
		return nil, nil, "", "", err
	}
	return l.Records, l.OwnerRecords, l.PrevCursor, l.NextCursor, nil
}

// Groups.

// GroupsGetId returns the groups that exist.
func (nk *moduleNK) GroupsGetId(ctx context.Context, groupIDs []string) ([]*api.Group, error) {
	var out []*api.Group
	for _, id := range groupIDs {
		if g, ok := nk.s.Group(id); ok {
			out = append(out, g)
		}
	}
	return out, nil
}

// GroupCreate creates a group with userID as its superadmin.
// userID is its superadmin; creatorID, the creator it records, is the nil
// user when empty, as on the server.
func (nk *moduleNK) GroupCreate(ctx context.Context, userID, name, creatorID, langTag, description, avatarUrl string, open bool, metadata map[string]any, maxCount int) (*api.Group, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, errors.New("expects user ID to be a valid identifier")
	}
	if name == "" {
		return nil, errors.New("expects group name not be empty")
	}
	creator := systemUserID
	if creatorID != "" {
		if creator, ok = parseUUID(creatorID); !ok {
			return nil, errors.New("expects creator ID to be a valid identifier")
		}
	}
	md, err := jsonString(metadata)
	if err != nil {
		return nil, err
	}
	if maxCount < 1 {
		return nil, errors.New("expects max_count to be >= 1")
	}
	if uid == systemUserID {
		return nil, runtime.ErrGroupCreatorInvalid
	}
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.mustUser(uid)
	if err != nil {
		return nil, err
	}
	g, err := s.createGroupLocked(u.id, creator, NewGroup{Name: name, Description: description, AvatarURL: avatarUrl,
		LangTag: langTag, Metadata: md, Open: open, MaxCount: maxCount}, s.groupNow())
	if errors.Is(err, errGroupNameInUse) {
		return nil, runtime.ErrGroupNameInUse
	}
	if err != nil {
		return nil, err
	}
	return g.apiGroup(), nil
}

// GroupDelete deletes a group.
func (nk *moduleNK) GroupDelete(ctx context.Context, id string) error { return nk.s.DeleteGroup(id) }

// GroupUserJoin joins the user to the group (or asks to, if it is closed).
func (nk *moduleNK) GroupUserJoin(ctx context.Context, groupID, userID, username string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "JoinGroup", userID, &api.JoinGroupRequest{GroupId: groupID})
	return err
}

// GroupUserLeave takes the user out of the group.
func (nk *moduleNK) GroupUserLeave(ctx context.Context, groupID, userID, username string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "LeaveGroup", userID, &api.LeaveGroupRequest{GroupId: groupID})
	return err
}

// GroupUsersList lists a group's members.
func (nk *moduleNK) GroupUsersList(ctx context.Context, id string, limit int, state *int, cursor string) ([]*api.GroupUserList_GroupUser, string, error) {
	l, err := opAs[*api.GroupUserList](ctx, nk, "ListGroupUsers", "", &api.ListGroupUsersRequest{GroupId: id,
		Limit: optLimit(limit), State: optState(state), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	return l.GroupUsers, l.Cursor, nil
}

// UserGroupsList lists the groups of a user.
func (nk *moduleNK) UserGroupsList(ctx context.Context, userID string, limit int, state *int, cursor string) ([]*api.UserGroupList_UserGroup, string, error) {
	l, err := opAs[*api.UserGroupList](ctx, nk, "ListUserGroups", "", &api.ListUserGroupsRequest{UserId: userID,
		Limit: optLimit(limit), State: optState(state), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	return l.UserGroups, l.Cursor, nil
}

// Friends.

// FriendsList lists a user's friends.
func (nk *moduleNK) FriendsList(ctx context.Context, userID string, limit int, state *int, cursor string) ([]*api.Friend, string, error) {
	l, err := opAs[*api.FriendList](ctx, nk, "ListFriends", userID, &api.ListFriendsRequest{Limit: optLimit(limit),
		State: optState(state), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	return l.Friends, l.Cursor, nil
}

// FriendsAdd adds friends (or accepts their invitations) for the user.
func (nk *moduleNK) FriendsAdd(ctx context.Context, userID string, username string, ids []string, usernames []string, metadata map[string]any) error {
	var md string
	if metadata != nil {
		var err error
		if md, err = jsonString(metadata); err != nil {
			return err
		}
	}
	_, err := opAs[*emptyMsg](ctx, nk, "AddFriends", userID, &api.AddFriendsRequest{Ids: ids, Usernames: usernames, Metadata: md})
	return err
}

// FriendsDelete removes friends of the user.
func (nk *moduleNK) FriendsDelete(ctx context.Context, userID string, username string, ids []string, usernames []string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "DeleteFriends", userID, &api.DeleteFriendsRequest{Ids: ids, Usernames: usernames})
	return err
}

// FriendsBlock blocks users for the user.
func (nk *moduleNK) FriendsBlock(ctx context.Context, userID string, username string, ids []string, usernames []string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "BlockFriends", userID, &api.BlockFriendsRequest{Ids: ids, Usernames: usernames})
	return err
}

// apiLeaderboard describes a leaderboard as the runtime returns it.
func apiLeaderboard(b *board, now time.Time) *api.Leaderboard {
	l := &api.Leaderboard{Id: b.id, SortOrder: uint32(b.sortOrder), Operator: api.Operator(b.operator + 1), Metadata: b.metadata,
		CreateTime: timestamppb.New(time.Unix(b.createTime, 0)), Authoritative: b.authoritative}
	if exp := b.resetExpiry(now); exp != 0 {
		l.NextReset = uint32(exp)
		if b.reset != nil {
			l.PrevReset = uint32(b.reset.last(now).Unix())
		}
	}
	return l
}
