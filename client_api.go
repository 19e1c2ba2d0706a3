package nakama

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
)

// Client has one method for every operation of the Nakama API, named as the
// server names it. Every method takes a context first, which bounds the call
// with its retries and refreshes; authenticated methods take the *Session
// next. Required values are positional; optional ones come in an options
// value, where nil means the defaults. Results are nakama-common's api types,
// with cursors, so every list can be paged.
//
// Errors the server reports are *Error (compare with errors.Is against
// ErrNotFound and the other sentinels, or errors.As); every error is wrapped
// in an *OpError naming the operation. Path parameters that would change
// the route (empty, "." or "..") fail before sending, with an error that
// matches ErrInvalidArgument. Failed calls are retried per RetryConfig.
//
// DefaultClient implements Client over any ClientAdapter.
type Client interface {
	// Healthcheck checks that the server is up.
	//
	// Route: GET /healthcheck.
	Healthcheck(ctx context.Context) error

	// AuthenticateDevice signs in with a device id (10 to 128 bytes), creating the account unless opts.NoCreate.
	//
	// Route: POST /v2/account/authenticate/device.
	AuthenticateDevice(ctx context.Context, id string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateCustom signs in with a custom id from the application's own identity system (6 to 128 bytes).
	//
	// Route: POST /v2/account/authenticate/custom.
	AuthenticateCustom(ctx context.Context, id string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateEmail signs in with an email address and a password (at least 8 bytes).
	//
	// Route: POST /v2/account/authenticate/email.
	AuthenticateEmail(ctx context.Context, email, password string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateApple signs in with a Sign in with Apple identity token.
	//
	// Route: POST /v2/account/authenticate/apple.
	AuthenticateApple(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateFacebook signs in with a Facebook access token; opts.Sync imports Facebook friends.
	//
	// Route: POST /v2/account/authenticate/facebook.
	AuthenticateFacebook(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateFacebookInstantGame signs in with a Facebook Instant Games signed player info.
	//
	// Route: POST /v2/account/authenticate/facebookinstantgame.
	AuthenticateFacebookInstantGame(ctx context.Context, signedPlayerInfo string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateGameCenter signs in with an Apple Game Center identity proof.
	//
	// Route: POST /v2/account/authenticate/gamecenter.
	AuthenticateGameCenter(ctx context.Context, id GameCenter, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateGoogle signs in with a Google ID token.
	//
	// Route: POST /v2/account/authenticate/google.
	AuthenticateGoogle(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error)

	// AuthenticateSteam signs in with a Steam session ticket; opts.Sync imports Steam friends.
	//
	// Route: POST /v2/account/authenticate/steam.
	AuthenticateSteam(ctx context.Context, token string, opts *AuthenticateOptions) (*Session, error)

	// SessionRefresh exchanges the session's refresh token for new tokens, updating s in place, and merges vars into the session variables. Concurrent refreshes of one session share one request.
	//
	// Route: POST /v2/account/session/refresh.
	SessionRefresh(ctx context.Context, s *Session, vars map[string]string) error

	// SessionLogout revokes the session's token and refresh token.
	//
	// Route: POST /v2/session/logout.
	SessionLogout(ctx context.Context, s *Session) error

	// LinkDevice adds a Device identity to the session user's account.
	//
	// Route: POST /v2/account/link/device.
	LinkDevice(ctx context.Context, s *Session, id string) error

	// LinkCustom adds a Custom identity to the session user's account.
	//
	// Route: POST /v2/account/link/custom.
	LinkCustom(ctx context.Context, s *Session, id string) error

	// LinkEmail adds an Email identity to the session user's account.
	//
	// Route: POST /v2/account/link/email.
	LinkEmail(ctx context.Context, s *Session, email, password string) error

	// LinkApple adds an Apple identity to the session user's account.
	//
	// Route: POST /v2/account/link/apple.
	LinkApple(ctx context.Context, s *Session, token string) error

	// LinkFacebook adds a Facebook identity to the session user's account.
	//
	// Route: POST /v2/account/link/facebook.
	LinkFacebook(ctx context.Context, s *Session, token string, opts *LinkOptions) error

	// LinkFacebookInstantGame adds a FacebookInstantGame identity to the session user's account.
	//
	// Route: POST /v2/account/link/facebookinstantgame.
	LinkFacebookInstantGame(ctx context.Context, s *Session, signedPlayerInfo string) error

	// LinkGameCenter adds a GameCenter identity to the session user's account.
	//
	// Route: POST /v2/account/link/gamecenter.
	LinkGameCenter(ctx context.Context, s *Session, id GameCenter) error

	// LinkGoogle adds a Google identity to the session user's account.
	//
	// Route: POST /v2/account/link/google.
	LinkGoogle(ctx context.Context, s *Session, token string) error

	// LinkSteam adds a Steam identity to the session user's account.
	//
	// Route: POST /v2/account/link/steam.
	LinkSteam(ctx context.Context, s *Session, token string, opts *LinkOptions) error

	// UnlinkDevice removes a Device identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/device.
	UnlinkDevice(ctx context.Context, s *Session, id string) error

	// UnlinkCustom removes a Custom identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/custom.
	UnlinkCustom(ctx context.Context, s *Session, id string) error

	// UnlinkEmail removes an Email identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/email.
	UnlinkEmail(ctx context.Context, s *Session, email, password string) error

	// UnlinkApple removes an Apple identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/apple.
	UnlinkApple(ctx context.Context, s *Session, token string) error

	// UnlinkFacebook removes a Facebook identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/facebook.
	UnlinkFacebook(ctx context.Context, s *Session, token string) error

	// UnlinkFacebookInstantGame removes a FacebookInstantGame identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/facebookinstantgame.
	UnlinkFacebookInstantGame(ctx context.Context, s *Session, signedPlayerInfo string) error

	// UnlinkGameCenter removes a GameCenter identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/gamecenter.
	UnlinkGameCenter(ctx context.Context, s *Session, id GameCenter) error

	// UnlinkGoogle removes a Google identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/google.
	UnlinkGoogle(ctx context.Context, s *Session, token string) error

	// UnlinkSteam removes a Steam identity from the session user's account; the last identity cannot be removed.
	//
	// Route: POST /v2/account/unlink/steam.
	UnlinkSteam(ctx context.Context, s *Session, token string) error

	// GetAccount returns the session user's account: user, wallet, email, devices and custom id.
	//
	// Route: GET /v2/account.
	GetAccount(ctx context.Context, s *Session) (*api.Account, error)

	// UpdateAccount changes the fields of the session user's account that opts sets.
	//
	// Route: PUT /v2/account.
	UpdateAccount(ctx context.Context, s *Session, opts *UpdateAccountOptions) error

	// DeleteAccount deletes the session user's account.
	//
	// Route: DELETE /v2/account.
	DeleteAccount(ctx context.Context, s *Session) error

	// GetUsers returns the users with the given ids, usernames or Facebook ids; users that do not exist are left out.
	//
	// Route: GET /v2/user.
	GetUsers(ctx context.Context, s *Session, ids, usernames, facebookIDs []string) (*api.Users, error)

	// AddFriends adds friends by id or username: it sends an invitation, or accepts one received.
	//
	// Route: POST /v2/friend.
	AddFriends(ctx context.Context, s *Session, ids, usernames []string, opts *AddFriendsOptions) error

	// DeleteFriends removes friends, invitations or blocks, by id or username.
	//
	// Route: DELETE /v2/friend.
	DeleteFriends(ctx context.Context, s *Session, ids, usernames []string) error

	// BlockFriends blocks users by id or username.
	//
	// Route: POST /v2/friend/block.
	BlockFriends(ctx context.Context, s *Session, ids, usernames []string) error

	// ListFriends lists the session user's friends, invitations and blocked users.
	//
	// Route: GET /v2/friend.
	ListFriends(ctx context.Context, s *Session, opts *ListFriendsOptions) (*api.FriendList, error)

	// ListFriendsOfFriends lists friends of the session user's friends.
	//
	// Route: GET /v2/friend/friends.
	ListFriendsOfFriends(ctx context.Context, s *Session, opts *ListOptions) (*api.FriendsOfFriendsList, error)

	// ImportFacebookFriends imports the Facebook friends who play the game.
	//
	// Route: POST /v2/friend/facebook.
	ImportFacebookFriends(ctx context.Context, s *Session, token string, opts *ImportFriendsOptions) error

	// ImportSteamFriends imports the Steam friends who play the game.
	//
	// Route: POST /v2/friend/steam.
	ImportSteamFriends(ctx context.Context, s *Session, token string, opts *ImportFriendsOptions) error

	// CreateGroup creates a group with the session user as its superadmin.
	//
	// Route: POST /v2/group.
	CreateGroup(ctx context.Context, s *Session, name string, opts *CreateGroupOptions) (*api.Group, error)

	// UpdateGroup changes the fields of a group that opts sets; admins only.
	//
	// Route: PUT /v2/group/{group_id}.
	UpdateGroup(ctx context.Context, s *Session, groupID string, opts *UpdateGroupOptions) error

	// DeleteGroup deletes a group; superadmins only.
	//
	// Route: DELETE /v2/group/{group_id}.
	DeleteGroup(ctx context.Context, s *Session, groupID string) error

	// JoinGroup joins an open group, or asks to join a closed one.
	//
	// Route: POST /v2/group/{group_id}/join.
	JoinGroup(ctx context.Context, s *Session, groupID string) error

	// LeaveGroup leaves a group; the last superadmin cannot leave.
	//
	// Route: POST /v2/group/{group_id}/leave.
	LeaveGroup(ctx context.Context, s *Session, groupID string) error

	// AddGroupUsers adds users to a group, or accepts their join requests; admins only.
	//
	// Route: POST /v2/group/{group_id}/add.
	AddGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error

	// BanGroupUsers removes users from a group and stops them from joining again.
	//
	// Route: POST /v2/group/{group_id}/ban.
	BanGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error

	// KickGroupUsers removes users, or declines their join requests.
	//
	// Route: POST /v2/group/{group_id}/kick.
	KickGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error

	// PromoteGroupUsers raises members one rank.
	//
	// Route: POST /v2/group/{group_id}/promote.
	PromoteGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error

	// DemoteGroupUsers lowers members one rank.
	//
	// Route: POST /v2/group/{group_id}/demote.
	DemoteGroupUsers(ctx context.Context, s *Session, groupID string, userIDs []string) error

	// ListGroups lists groups, filtered by name, language, size or openness.
	//
	// Route: GET /v2/group.
	ListGroups(ctx context.Context, s *Session, opts *ListGroupsOptions) (*api.GroupList, error)

	// ListGroupUsers lists a group's members with their states.
	//
	// Route: GET /v2/group/{group_id}/user.
	ListGroupUsers(ctx context.Context, s *Session, groupID string, opts *ListGroupUsersOptions) (*api.GroupUserList, error)

	// ListUserGroups lists the groups a user belongs to, with the user's state in each.
	//
	// Route: GET /v2/user/{user_id}/group.
	ListUserGroups(ctx context.Context, s *Session, userID string, opts *ListUserGroupsOptions) (*api.UserGroupList, error)

	// WriteLeaderboardRecord submits a score, combined with the owner's record by the leaderboard's operator.
	//
	// Route: POST /v2/leaderboard/{leaderboard_id}.
	WriteLeaderboardRecord(ctx context.Context, s *Session, leaderboardID string, score int64, opts *WriteRecordOptions) (*api.LeaderboardRecord, error)

	// DeleteLeaderboardRecord deletes the session user's record, where the leaderboard allows it.
	//
	// Route: DELETE /v2/leaderboard/{leaderboard_id}.
	DeleteLeaderboardRecord(ctx context.Context, s *Session, leaderboardID string) error

	// ListLeaderboardRecords lists a leaderboard's records by rank, with the given owners' records.
	//
	// Route: GET /v2/leaderboard/{leaderboard_id}.
	ListLeaderboardRecords(ctx context.Context, s *Session, leaderboardID string, opts *ListRecordsOptions) (*api.LeaderboardRecordList, error)

	// ListLeaderboardRecordsAroundOwner lists the records around an owner's.
	//
	// Route: GET /v2/leaderboard/{leaderboard_id}/owner/{owner_id}.
	ListLeaderboardRecordsAroundOwner(ctx context.Context, s *Session, leaderboardID, ownerID string, opts *ListRecordsAroundOwnerOptions) (*api.LeaderboardRecordList, error)

	// ListTournaments lists tournaments by category and time.
	//
	// Route: GET /v2/tournament.
	ListTournaments(ctx context.Context, s *Session, opts *ListTournamentsOptions) (*api.TournamentList, error)

	// JoinTournament joins a tournament that requires joining before scores count.
	//
	// Route: POST /v2/tournament/{tournament_id}/join.
	JoinTournament(ctx context.Context, s *Session, tournamentID string) error

	// WriteTournamentRecord submits a score to a tournament.
	//
	// Route: PUT /v2/tournament/{tournament_id}, POST /v2/tournament/{tournament_id}.
	WriteTournamentRecord(ctx context.Context, s *Session, tournamentID string, score int64, opts *WriteRecordOptions) (*api.LeaderboardRecord, error)

	// DeleteTournamentRecord deletes the session user's tournament record.
	//
	// Route: DELETE /v2/tournament/{tournament_id}.
	DeleteTournamentRecord(ctx context.Context, s *Session, tournamentID string) error

	// ListTournamentRecords lists a tournament's records by rank.
	//
	// Route: GET /v2/tournament/{tournament_id}.
	ListTournamentRecords(ctx context.Context, s *Session, tournamentID string, opts *ListRecordsOptions) (*api.TournamentRecordList, error)

	// ListTournamentRecordsAroundOwner lists the tournament records around an owner's.
	//
	// Route: GET /v2/tournament/{tournament_id}/owner/{owner_id}.
	ListTournamentRecordsAroundOwner(ctx context.Context, s *Session, tournamentID, ownerID string, opts *ListRecordsAroundOwnerOptions) (*api.TournamentRecordList, error)

	// ListNotifications lists the session user's notifications, oldest first.
	//
	// Route: GET /v2/notification.
	ListNotifications(ctx context.Context, s *Session, opts *ListNotificationsOptions) (*api.NotificationList, error)

	// DeleteNotifications deletes notifications by id.
	//
	// Route: DELETE /v2/notification.
	DeleteNotifications(ctx context.Context, s *Session, ids ...string) error

	// ListChannelMessages lists a chat channel's message history.
	//
	// Route: GET /v2/channel/{channel_id}.
	ListChannelMessages(ctx context.Context, s *Session, channelID string, opts *ListChannelMessagesOptions) (*api.ChannelMessageList, error)

	// ListMatches lists running matches.
	//
	// Route: GET /v2/match.
	ListMatches(ctx context.Context, s *Session, opts *ListMatchesOptions) (*api.MatchList, error)

	// ListParties lists parties.
	//
	// Route: GET /v2/party.
	ListParties(ctx context.Context, s *Session, opts *ListPartiesOptions) (*api.PartyList, error)

	// GetMatchmakerStats returns the matchmaker's statistics.
	//
	// Route: GET /v2/matchmaker/stats.
	GetMatchmakerStats(ctx context.Context, s *Session) (*api.MatchmakerStats, error)

	// Event submits an analytics event to the server's event handlers.
	//
	// Route: POST /v2/event.
	Event(ctx context.Context, s *Session, name string, properties map[string]string) error

	// RpcFunc calls the server function id as the session user, with payload as its input (a JSON string, usually), and returns its output in Payload.
	//
	// Route: POST /v2/rpc/{id}, GET /v2/rpc/{id}.
	RpcFunc(ctx context.Context, s *Session, id, payload string) (*api.Rpc, error)

	// RpcFuncHTTPKey calls the server function id server-to-server, authenticated by the runtime http key instead of a session.
	//
	// Route: POST /v2/rpc/{id}.
	RpcFuncHTTPKey(ctx context.Context, httpKey, id, payload string) (*api.Rpc, error)

	// ValidatePurchaseApple validates an App Store receipt.
	//
	// Route: POST /v2/iap/purchase/apple.
	ValidatePurchaseApple(ctx context.Context, s *Session, receipt string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error)

	// ValidatePurchaseGoogle validates a Google Play purchase.
	//
	// Route: POST /v2/iap/purchase/google.
	ValidatePurchaseGoogle(ctx context.Context, s *Session, purchase string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error)

	// ValidatePurchaseHuawei validates a Huawei AppGallery purchase and its signature.
	//
	// Route: POST /v2/iap/purchase/huawei.
	ValidatePurchaseHuawei(ctx context.Context, s *Session, purchase, signature string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error)

	// ValidatePurchaseFacebookInstant validates a Facebook Instant Games purchase.
	//
	// Route: POST /v2/iap/purchase/facebookinstant.
	ValidatePurchaseFacebookInstant(ctx context.Context, s *Session, signedRequest string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error)

	// ValidatePurchaseSamsung validates a Samsung Galaxy Store purchase.
	//
	// Route: POST /v2/iap/purchase/samsung.
	ValidatePurchaseSamsung(ctx context.Context, s *Session, purchaseID string, opts *ValidatePurchaseOptions) (*api.ValidatePurchaseResponse, error)

	// ValidateSubscriptionApple validates an App Store subscription receipt.
	//
	// Route: POST /v2/iap/subscription/apple.
	ValidateSubscriptionApple(ctx context.Context, s *Session, receipt string, opts *ValidatePurchaseOptions) (*api.ValidateSubscriptionResponse, error)

	// ValidateSubscriptionGoogle validates a Google Play subscription.
	//
	// Route: POST /v2/iap/subscription/google.
	ValidateSubscriptionGoogle(ctx context.Context, s *Session, receipt string, opts *ValidatePurchaseOptions) (*api.ValidateSubscriptionResponse, error)

	// GetSubscription returns the session user's validated subscription to a product.
	//
	// Route: GET /v2/iap/subscription/{product_id}.
	GetSubscription(ctx context.Context, s *Session, productID string) (*api.ValidatedSubscription, error)

	// ListSubscriptions lists the session user's validated subscriptions.
	//
	// Route: POST /v2/iap/subscription.
	ListSubscriptions(ctx context.Context, s *Session, opts *ListOptions) (*api.SubscriptionList, error)

	// ReadStorageObjects reads storage objects; objects that do not exist or cannot be read are left out.
	//
	// Route: POST /v2/storage.
	ReadStorageObjects(ctx context.Context, s *Session, ids ...StorageObjectID) (*api.StorageObjects, error)

	// WriteStorageObjects writes storage objects atomically, each conditional on its Version if set.
	//
	// Route: PUT /v2/storage.
	WriteStorageObjects(ctx context.Context, s *Session, objects ...StorageObjectWrite) (*api.StorageObjectAcks, error)

	// DeleteStorageObjects deletes the session user's storage objects, each conditional on its Version if set.
	//
	// Route: PUT /v2/storage/delete.
	DeleteStorageObjects(ctx context.Context, s *Session, ids ...StorageObjectID) error

	// ListStorageObjects lists a collection's objects readable by the session user, of one owner if opts.UserID is set.
	//
	// Route: GET /v2/storage/{collection}, GET /v2/storage/{collection}/{user_id}.
	ListStorageObjects(ctx context.Context, s *Session, collection string, opts *ListStorageObjectsOptions) (*api.StorageObjectList, error)
}
