package nakamatest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The runtime.NakamaModule methods over social providers (with the tokens
// registered by AddGoogleToken and friends), group administration, and
// purchase validation as a server without store credentials answers it.

// AuthenticateApple finds or creates the user of an Apple token.
func (nk *moduleNK) AuthenticateApple(ctx context.Context, token, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateApple", "", &api.AuthenticateAppleRequest{
		Account: &api.AccountApple{Token: token}, Username: username, Create: wrapperspb.Bool(create)}))
}

// AuthenticateFacebook finds or creates the user of a Facebook token.
func (nk *moduleNK) AuthenticateFacebook(ctx context.Context, token string, importFriends bool, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateFacebook", "", &api.AuthenticateFacebookRequest{
		Account: &api.AccountFacebook{Token: token}, Username: username, Create: wrapperspb.Bool(create), Sync: wrapperspb.Bool(importFriends)}))
}

// AuthenticateFacebookInstantGame finds or creates the user of a signed
// player info.
func (nk *moduleNK) AuthenticateFacebookInstantGame(ctx context.Context, signedPlayerInfo string, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateFacebookInstantGame", "", &api.AuthenticateFacebookInstantGameRequest{
		Account: &api.AccountFacebookInstantGame{SignedPlayerInfo: signedPlayerInfo}, Username: username, Create: wrapperspb.Bool(create)}))
}

// AuthenticateGameCenter finds or creates the user of a Game Center
// identity.
func (nk *moduleNK) AuthenticateGameCenter(ctx context.Context, playerID, bundleID string, timestamp int64, salt, signature, publicKeyUrl, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateGameCenter", "", &api.AuthenticateGameCenterRequest{
		Account:  gameCenter(playerID, bundleID, timestamp, salt, signature, publicKeyUrl),
		Username: username, Create: wrapperspb.Bool(create)}))
}

func gameCenter(playerID, bundleID string, timestamp int64, salt, signature, publicKeyURL string) *api.AccountGameCenter {
	return &api.AccountGameCenter{PlayerId: playerID, BundleId: bundleID, TimestampSeconds: timestamp, Salt: salt,
		Signature: signature, PublicKeyUrl: publicKeyURL}
}

// AuthenticateGoogle finds or creates the user of a Google token.
func (nk *moduleNK) AuthenticateGoogle(ctx context.Context, token, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateGoogle", "", &api.AuthenticateGoogleRequest{
		Account: &api.AccountGoogle{Token: token}, Username: username, Create: wrapperspb.Bool(create)}))
}

// AuthenticateSteam finds or creates the user of a Steam token.
func (nk *moduleNK) AuthenticateSteam(ctx context.Context, token, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateSteam", "", &api.AuthenticateSteamRequest{
		Account: &api.AccountSteam{Token: token}, Username: username, Create: wrapperspb.Bool(create)}))
}

// link runs a link or unlink operation for the user.
func (nk *moduleNK) link(ctx context.Context, name, userID string, req proto.Message) error {
	_, err := opAs[*emptyMsg](ctx, nk, name, userID, req)
	return err
}

// LinkApple links an Apple identity to the user.
func (nk *moduleNK) LinkApple(ctx context.Context, userID, token string) error {
	return nk.link(ctx, "LinkApple", userID, &api.AccountApple{Token: token})
}

// LinkFacebook links a Facebook identity to the user.
func (nk *moduleNK) LinkFacebook(ctx context.Context, userID, username, token string, importFriends bool) error {
	return nk.link(ctx, "LinkFacebook", userID, &api.LinkFacebookRequest{Account: &api.AccountFacebook{Token: token}, Sync: wrapperspb.Bool(importFriends)})
}

// LinkFacebookInstantGame links a Facebook Instant Game identity.
func (nk *moduleNK) LinkFacebookInstantGame(ctx context.Context, userID, signedPlayerInfo string) error {
	return nk.link(ctx, "LinkFacebookInstantGame", userID, &api.AccountFacebookInstantGame{SignedPlayerInfo: signedPlayerInfo})
}

// LinkGameCenter links a Game Center identity.
func (nk *moduleNK) LinkGameCenter(ctx context.Context, userID, playerID, bundleID string, timestamp int64, salt, signature, publicKeyUrl string) error {
	return nk.link(ctx, "LinkGameCenter", userID, gameCenter(playerID, bundleID, timestamp, salt, signature, publicKeyUrl))
}

// LinkGoogle links a Google identity.
func (nk *moduleNK) LinkGoogle(ctx context.Context, userID, token string) error {
	return nk.link(ctx, "LinkGoogle", userID, &api.AccountGoogle{Token: token})
}

// LinkSteam links a Steam identity.
func (nk *moduleNK) LinkSteam(ctx context.Context, userID, username, token string, importFriends bool) error {
	return nk.link(ctx, "LinkSteam", userID, &api.LinkSteamRequest{Account: &api.AccountSteam{Token: token}, Sync: wrapperspb.Bool(importFriends)})
}

// UnlinkApple removes the user's Apple identity.
func (nk *moduleNK) UnlinkApple(ctx context.Context, userID, token string) error {
	return nk.link(ctx, "UnlinkApple", userID, &api.AccountApple{Token: token})
}

// UnlinkFacebook removes the user's Facebook identity.
func (nk *moduleNK) UnlinkFacebook(ctx context.Context, userID, token string) error {
	return nk.link(ctx, "UnlinkFacebook", userID, &api.AccountFacebook{Token: token})
}

// UnlinkFacebookInstantGame removes the user's Facebook Instant Game
// identity.
func (nk *moduleNK) UnlinkFacebookInstantGame(ctx context.Context, userID, signedPlayerInfo string) error {
	return nk.link(ctx, "UnlinkFacebookInstantGame", userID, &api.AccountFacebookInstantGame{SignedPlayerInfo: signedPlayerInfo})
}

// UnlinkGameCenter removes the user's Game Center identity.
func (nk *moduleNK) UnlinkGameCenter(ctx context.Context, userID, playerID, bundleID string, timestamp int64, salt, signature, publicKeyUrl string) error {
	return nk.link(ctx, "UnlinkGameCenter", userID, gameCenter(playerID, bundleID, timestamp, salt, signature, publicKeyUrl))
}

// UnlinkGoogle removes the user's Google identity.
func (nk *moduleNK) UnlinkGoogle(ctx context.Context, userID, token string) error {
	return nk.link(ctx, "UnlinkGoogle", userID, &api.AccountGoogle{Token: token})
}

// UnlinkSteam removes the user's Steam identity.
func (nk *moduleNK) UnlinkSteam(ctx context.Context, userID, token string) error {
	return nk.link(ctx, "UnlinkSteam", userID, &api.AccountSteam{Token: token})
}

// Random picks.

// UsersGetRandom returns up to count users in random order.
func (nk *moduleNK) UsersGetRandom(ctx context.Context, count int) ([]*api.User, error) {
	if count < 0 || count > 1000 {
		return nil, errors.New("count must be 0-1000")
	}
	us := nk.s.Users()
	rand.Shuffle(len(us), func(i, j int) { us[i], us[j] = us[j], us[i] })
	return us[:min(count, len(us))], nil
}

// GroupsGetRandom returns up to count groups in random order.
func (nk *moduleNK) GroupsGetRandom(ctx context.Context, count int) ([]*api.Group, error) {
	if count < 0 || count > 1000 {
		return nil, errors.New("count must be 0-1000")
	}
	gs := nk.s.Groups()
	rand.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
	return gs[:min(count, len(gs))], nil
}

// Groups.

// GroupUpdate changes the fields given (empty strings and a zero max count
// keep theirs) as userID ("" for the system, which may always).
func (nk *moduleNK) GroupUpdate(ctx context.Context, id, userID, name, creatorID, langTag, description, avatarUrl string, open bool, metadata map[string]any, maxCount int) error {
	req := &api.UpdateGroupRequest{GroupId: id, Name: optString(name), LangTag: optString(langTag),
		Description: optString(description), AvatarUrl: optString(avatarUrl), Open: wrapperspb.Bool(open)}
	caller := userID
	if caller == "" {
		g, ok := nk.s.Group(id)
		if !ok {
			return runtime.ErrGroupNotFound
		}
		caller = g.CreatorId
	}
	return nk.link(ctx, "UpdateGroup", caller, req)
}

func optString(v string) *wrapperspb.StringValue {
	if v == "" {
		return nil
	}
	return wrapperspb.String(v)
}

// groupUsers runs a group administration operation as callerID; with no
// caller (the system), which may always, it sets the members' states
// directly, computing each new state from the old with next.
func (nk *moduleNK) groupUsers(ctx context.Context, name, callerID, groupID string, userIDs []string, req proto.Message, next func(api.GroupUserList_GroupUser_State, bool) (api.GroupUserList_GroupUser_State, bool)) error {
	if callerID != "" {
		return nk.link(ctx, name, callerID, req)
	}
	members, ok := nk.s.GroupMembers(groupID)
	if !ok {
		return runtime.ErrGroupNotFound
	}
	for _, u := range userIDs {
		id, ok := parseUUID(u)
		if !ok {
			return errors.New("expects user ID to be a valid identifier")
		}
		state, member := api.GroupUserList_GroupUser_State(-1), false
		if i := slices.IndexFunc(members, func(m *api.GroupUserList_GroupUser) bool { return m.User.Id == id }); i >= 0 {
			state, member = api.GroupUserList_GroupUser_State(members[i].State.GetValue()), true
		}
		ns, keep := next(state, member)
		var err error
		switch {
		case !keep && member:
			err = nk.s.RemoveGroupMember(groupID, id)
		case keep && ns != state:
			err = nk.s.SetGroupMember(groupID, id, ns)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GroupUsersAdd adds users to a group (and accepts their join requests).
func (nk *moduleNK) GroupUsersAdd(ctx context.Context, callerID, groupID string, userIDs []string) error {
	return nk.groupUsers(ctx, "AddGroupUsers", callerID, groupID, userIDs, &api.AddGroupUsersRequest{GroupId: groupID, UserIds: userIDs},
		func(s api.GroupUserList_GroupUser_State, member bool) (api.GroupUserList_GroupUser_State, bool) {
			if !member || s == api.GroupUserList_GroupUser_JOIN_REQUEST {
				return api.GroupUserList_GroupUser_MEMBER, true
			}
			return s, true
		})
}

// GroupUsersKick removes users from a group.
func (nk *moduleNK) GroupUsersKick(ctx context.Context, callerID, groupID string, userIDs []string) error {
	return nk.groupUsers(ctx, "KickGroupUsers", callerID, groupID, userIDs, &api.KickGroupUsersRequest{GroupId: groupID, UserIds: userIDs},
		func(s api.GroupUserList_GroupUser_State, member bool) (api.GroupUserList_GroupUser_State, bool) {
			return s, !member
		})
}

// GroupUsersBan bans users from a group.
func (nk *moduleNK) GroupUsersBan(ctx context.Context, callerID, groupID string, userIDs []string) error {
	return nk.groupUsers(ctx, "BanGroupUsers", callerID, groupID, userIDs, &api.BanGroupUsersRequest{GroupId: groupID, UserIds: userIDs},
		func(api.GroupUserList_GroupUser_State, bool) (api.GroupUserList_GroupUser_State, bool) {
			return api.GroupUserList_GroupUser_State(groupBanned), true
		})
}

// GroupUsersPromote raises members one rank (a join request becomes a
// member).
func (nk *moduleNK) GroupUsersPromote(ctx context.Context, callerID, groupID string, userIDs []string) error {
	return nk.groupUsers(ctx, "PromoteGroupUsers", callerID, groupID, userIDs, &api.PromoteGroupUsersRequest{GroupId: groupID, UserIds: userIDs},
		func(s api.GroupUserList_GroupUser_State, member bool) (api.GroupUserList_GroupUser_State, bool) {
			if !member || s == api.GroupUserList_GroupUser_State(groupBanned) || s == api.GroupUserList_GroupUser_SUPERADMIN {
				return s, member
			}
			return s - 1, true
		})
}

// GroupUsersDemote lowers members one rank, down to member.
func (nk *moduleNK) GroupUsersDemote(ctx context.Context, callerID, groupID string, userIDs []string) error {
	return nk.groupUsers(ctx, "DemoteGroupUsers", callerID, groupID, userIDs, &api.DemoteGroupUsersRequest{GroupId: groupID, UserIds: userIDs},
		func(s api.GroupUserList_GroupUser_State, member bool) (api.GroupUserList_GroupUser_State, bool) {
			if !member || s >= api.GroupUserList_GroupUser_MEMBER {
				return s, member
			}
			return s + 1, true
		})
}

// GroupsList lists groups as ListGroups does.
func (nk *moduleNK) GroupsList(ctx context.Context, name, langTag string, members *int, open *bool, limit int, cursor string) ([]*api.Group, string, error) {
	req := &api.ListGroupsRequest{Name: name, LangTag: langTag, Limit: optLimit(limit), Cursor: cursor}
	if members != nil {
		req.Members = wrapperspb.Int32(int32(*members))
	}
	if open != nil {
		req.Open = wrapperspb.Bool(*open)
	}
	l, err := opAs[*api.GroupList](ctx, nk, "ListGroups", "", req)
	if err != nil {
		return nil, "", err
	}
	return l.Groups, l.Cursor, nil
}

// FriendsOfFriendsList lists the friends of the user's friends.
func (nk *moduleNK) FriendsOfFriendsList(ctx context.Context, userID string, limit int, cursor string) ([]*api.FriendsOfFriendsList_FriendOfFriend, string, error) {
	l, err := opAs[*api.FriendsOfFriendsList](ctx, nk, "ListFriendsOfFriends", userID, &api.ListFriendsOfFriendsRequest{
		Limit: optLimit(limit), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	return l.FriendsOfFriends, l.Cursor, nil
}

// TournamentRecordsHaystack lists the records around the owner's.
func (nk *moduleNK) TournamentRecordsHaystack(ctx context.Context, id, ownerID string, limit int, cursor string, expiry int64) (*api.TournamentRecordList, error) {
	req := &api.ListTournamentRecordsAroundOwnerRequest{TournamentId: id, OwnerId: ownerID, Cursor: cursor}
	if limit != 0 {
		req.Limit = wrapperspb.UInt32(uint32(limit))
	}
	if expiry != 0 {
		req.Expiry = wrapperspb.Int64(expiry)
	}
	l, err := opAs[*api.TournamentRecordList](ctx, nk, "ListTournamentRecordsAroundOwner", "", req)
	if errors.Is(err, runtime.ErrTournamentNotFound) {
		err = runtime.ErrLeaderboardNotFound // the server's core says so here
	}
	return l, err
}

// LeaderboardList lists leaderboards (not tournaments) by id; the cursor
// is the last id of the previous page.
func (nk *moduleNK) LeaderboardList(limit int, cursor string) (*api.LeaderboardList, error) {
	if limit < 1 || limit > 1000 {
		return nil, errors.New("limit must be 1-1000")
	}
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, b := range s.leaderboards.boards {
		if !b.isTournament() && id > cursor {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, strings.Compare)
	out := &api.LeaderboardList{}
	now := s.clock.now()
	for _, id := range ids[:min(limit, len(ids))] {
		out.Leaderboards = append(out.Leaderboards, apiLeaderboard(s.leaderboards.boards[id], now))
	}
	if len(ids) > limit {
		out.Cursor = ids[limit-1]
	}
	return out, nil
}

// Purchases, answered as a server without store credentials answers them.

func (nk *moduleNK) validate(ctx context.Context, name, userID string, req proto.Message) (*api.ValidatePurchaseResponse, error) {
	return opAs[*api.ValidatePurchaseResponse](ctx, nk, name, userID, req)
}

// PurchaseValidateApple validates an Apple receipt.
func (nk *moduleNK) PurchaseValidateApple(ctx context.Context, userID, receipt string, persist bool, passwordOverride ...string) (*api.ValidatePurchaseResponse, error) {
	return nk.validate(ctx, "ValidatePurchaseApple", userID, &api.ValidatePurchaseAppleRequest{Receipt: receipt, Persist: wrapperspb.Bool(persist)})
}

// PurchaseValidateGoogle validates a Google receipt.
func (nk *moduleNK) PurchaseValidateGoogle(ctx context.Context, userID, receipt string, persist bool, overrides ...struct {
	ClientEmail string
	PrivateKey  string
}) (*api.ValidatePurchaseResponse, error) {
	return nk.validate(ctx, "ValidatePurchaseGoogle", userID, &api.ValidatePurchaseGoogleRequest{Purchase: receipt, Persist: wrapperspb.Bool(persist)})
}

// PurchaseValidateHuawei validates a Huawei purchase.
func (nk *moduleNK) PurchaseValidateHuawei(ctx context.Context, userID, signature, inAppPurchaseData string, persist bool) (*api.ValidatePurchaseResponse, error) {
	return nk.validate(ctx, "ValidatePurchaseHuawei", userID, &api.ValidatePurchaseHuaweiRequest{Purchase: inAppPurchaseData, Signature: signature, Persist: wrapperspb.Bool(persist)})
}

// PurchaseValidateFacebookInstant validates a Facebook Instant purchase.
func (nk *moduleNK) PurchaseValidateFacebookInstant(ctx context.Context, userID, signedRequest string, persist bool) (*api.ValidatePurchaseResponse, error) {
	return nk.validate(ctx, "ValidatePurchaseFacebookInstant", userID, &api.ValidatePurchaseFacebookInstantRequest{SignedRequest: signedRequest, Persist: wrapperspb.Bool(persist)})
}

// PurchaseValidateSamsung validates a Samsung purchase.
func (nk *moduleNK) PurchaseValidateSamsung(ctx context.Context, userID, purchaseId string, persist bool) (*api.ValidatePurchaseResponse, error) {
	return nk.validate(ctx, "ValidatePurchaseSamsung", userID, &api.ValidatePurchaseSamsungRequest{PurchaseId: purchaseId, Persist: wrapperspb.Bool(persist)})
}

// SubscriptionValidateApple validates an Apple subscription receipt.
func (nk *moduleNK) SubscriptionValidateApple(ctx context.Context, userID, receipt string, persist bool, passwordOverride ...string) (*api.ValidateSubscriptionResponse, error) {
	return opAs[*api.ValidateSubscriptionResponse](ctx, nk, "ValidateSubscriptionApple", userID, &api.ValidateSubscriptionAppleRequest{Receipt: receipt, Persist: wrapperspb.Bool(persist)})
}

// SubscriptionValidateGoogle validates a Google subscription receipt.
func (nk *moduleNK) SubscriptionValidateGoogle(ctx context.Context, userID, receipt string, persist bool, overrides ...struct {
	ClientEmail string
	PrivateKey  string
}) (*api.ValidateSubscriptionResponse, error) {
	return opAs[*api.ValidateSubscriptionResponse](ctx, nk, "ValidateSubscriptionGoogle", userID, &api.ValidateSubscriptionGoogleRequest{Receipt: receipt, Persist: wrapperspb.Bool(persist)})
}

// SubscriptionsList lists the user's subscriptions.
func (nk *moduleNK) SubscriptionsList(ctx context.Context, userID string, limit int, cursor string) (*api.SubscriptionList, error) {
	return opAs[*api.SubscriptionList](ctx, nk, "ListSubscriptions", userID, &api.ListSubscriptionsRequest{Limit: optLimit(limit), Cursor: cursor})
}

// SubscriptionGetByProductId returns the user's subscription to a product.
func (nk *moduleNK) SubscriptionGetByProductId(ctx context.Context, userID, productID string) (*api.ValidatedSubscription, error) {
	return opAs[*api.ValidatedSubscription](ctx, nk, "GetSubscription", userID, &api.GetSubscriptionRequest{ProductId: productID})
}
