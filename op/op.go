// Package op is the table of Nakama API operations: for each one its name in
// the server's gRPC service, its REST route, where each request field
// travels, the credential it carries, whether a retry is safe, and the
// messages it exchanges.
//
// It is what a ClientAdapter author needs besides the nakama package: a
// nakama.Call names its row (Call.Operation), and the adapter builds the
// request from the row's fields. Everything in this module that needs to
// know how an operation travels reads it from here: the REST and gRPC
// adapters, DefaultClient's retries (Idempotent), nakamatest's routers and
// hooks, and the coverage tests that check the table against the server's
// published description.
//
// # Writing an adapter
//
// An adapter's Send gets a nakama.Call: the row, the session token (empty
// when the call carries none), the request message and a fresh response
// message to fill in. From the row:
//   - over REST, Method and Path give the route (PathFields name the request
//     fields in the path, by proto name), Body says what goes in the body,
//     every other populated field goes in the query;
//   - over gRPC, GRPCMethod names the method, and Request and Response are
//     the messages exchanged as they are;
//   - Auth says which credential travels: the server key as basic auth
//     (user the key, empty password), the session token as a bearer token,
//     or for the RPC rows either the token or, without one, the http_key
//     field of the request.
//
// DefaultClient has already checked the path fields (none empty, "." or
// ".."), refreshed the session and decided nothing about retries yet: Send
// makes one exchange. What Send returns (a *nakama.Error for the server's
// answers, other errors for failed exchanges) and how its errors say they
// are worth a retry (methods SafeToRetry and Temporary) is the contract of
// nakama.ClientAdapter; Idempotent is the row's part in that decision.
//
// The rows are shared values: read them, never modify them.
package op

import (
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Auth says which credential an operation carries.
type Auth int

const (
	// None: the operation needs no credential (Healthcheck).
	None Auth = iota
	// Basic: HTTP basic auth with the server key as user and an empty password.
	Basic
	// Bearer: "Authorization: Bearer <session token>".
	Bearer
	// BearerOrHTTPKey: a session token, or the runtime http_key as a query
	// parameter for server-to-server calls (the RPC routes).
	BearerOrHTTPKey
)

// String returns the name of the credential kind.
func (a Auth) String() string {
	switch a {
	case None:
		return "none"
	case Basic:
		return "basic"
	case Bearer:
		return "bearer"
	case BearerOrHTTPKey:
		return "bearer-or-http-key"
	}
	return "unknown"
}

// Operation describes one Nakama API operation.
type Operation struct {
	// Name is the operation's name in the server's gRPC service
	// (/nakama.api.Nakama/<Name>).
	Name string
	// VariantOf names the operation this row is a second route of. The client
	// has one method for both; the server serves both.
	VariantOf string
	// Method is the HTTP method of the REST route.
	Method string
	// Path is the REST route. Segments in braces name request fields by their
	// proto names: /v2/group/{group_id}/join.
	Path string
	// Body says what the REST body carries: "" nothing, "*" the whole request
	// message less the path fields, or the proto name of the one field that is
	// the body. Request fields in neither the path nor the body go in the query.
	Body string
	// Auth is the credential the operation carries.
	Auth Auth
	// Idempotent is true when sending the call twice has the same effect as
	// sending it once, so a retry after an uncertain failure is safe:
	// DefaultClient resends a call after a failure that may have reached
	// the server (a lost answer, a 503) only when it is. The Authenticate
	// rows are, for reading an account; DefaultClient treats a request that
	// may create the account (create unset or true) as not idempotent.
	Idempotent bool
	// Request and Response are prototypes of the messages exchanged; use
	// NewRequest and NewResponse for fresh values.
	Request, Response proto.Message
}

// NewRequest returns a new, empty request message of the operation's type.
func (o *Operation) NewRequest() proto.Message { return o.Request.ProtoReflect().New().Interface() }

// NewResponse returns a new, empty response message of the operation's type.
func (o *Operation) NewResponse() proto.Message {
	return o.Response.ProtoReflect().New().Interface()
}

// PathFields returns the proto names of the request fields bound in the path,
// in order.
func (o *Operation) PathFields() []string {
	var names []string
	for _, seg := range strings.Split(o.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			names = append(names, seg[1:len(seg)-1])
		}
	}
	return names
}

// GRPCService is the full name of the server's gRPC service.
const GRPCService = "nakama.api.Nakama"

// GRPCMethod returns the full gRPC method name that serves the row:
// /nakama.api.Nakama/<ClientName>. A second route (ListStorageObjects2,
// RpcFunc2, WriteTournamentRecord2) is a REST route only; over gRPC it is
// its first route's method.
func (o *Operation) GRPCMethod() string { return "/" + GRPCService + "/" + o.ClientName() }

// ClientName returns the name of the Client method that serves the row: the
// operation's own name, or for a second route the name of its first.
func (o *Operation) ClientName() string {
	if o.VariantOf != "" {
		return o.VariantOf
	}
	return o.Name
}

var byName = func() map[string]*Operation {
	m := make(map[string]*Operation, len(All))
	for i := range All {
		if _, dup := m[All[i].Name]; dup {
			panic("op: duplicate operation " + All[i].Name)
		}
		m[All[i].Name] = &All[i]
	}
	return m
}()

// ByName returns the operation with the given name, or nil.
func ByName(name string) *Operation { return byName[name] }

// Get returns the operation with the given name and panics when there is
// none: the names passed to it are compile-time constants of this module.
func Get(name string) *Operation {
	o := byName[name]
	if o == nil {
		panic("op: unknown operation " + name)
	}
	return o
}

// All lists every operation of Nakama 3.40's API, sorted by name. It is the
// swagger description's 87 operations plus ValidatePurchaseSamsung, which the
// server serves but the description omits.
var All = []Operation{
	{Name: "AddFriends", Method: "POST", Path: "/v2/friend", Body: "", Auth: Bearer, Idempotent: false, Request: &api.AddFriendsRequest{}, Response: &emptypb.Empty{}},
	{Name: "AddGroupUsers", Method: "POST", Path: "/v2/group/{group_id}/add", Body: "", Auth: Bearer, Idempotent: false, Request: &api.AddGroupUsersRequest{}, Response: &emptypb.Empty{}},
	{Name: "AuthenticateApple", Method: "POST", Path: "/v2/account/authenticate/apple", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateAppleRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateCustom", Method: "POST", Path: "/v2/account/authenticate/custom", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateCustomRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateDevice", Method: "POST", Path: "/v2/account/authenticate/device", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateDeviceRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateEmail", Method: "POST", Path: "/v2/account/authenticate/email", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateEmailRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateFacebook", Method: "POST", Path: "/v2/account/authenticate/facebook", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateFacebookRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateFacebookInstantGame", Method: "POST", Path: "/v2/account/authenticate/facebookinstantgame", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateFacebookInstantGameRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateGameCenter", Method: "POST", Path: "/v2/account/authenticate/gamecenter", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateGameCenterRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateGoogle", Method: "POST", Path: "/v2/account/authenticate/google", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateGoogleRequest{}, Response: &api.Session{}},
	{Name: "AuthenticateSteam", Method: "POST", Path: "/v2/account/authenticate/steam", Body: "account", Auth: Basic, Idempotent: true, Request: &api.AuthenticateSteamRequest{}, Response: &api.Session{}},
	{Name: "BanGroupUsers", Method: "POST", Path: "/v2/group/{group_id}/ban", Body: "", Auth: Bearer, Idempotent: false, Request: &api.BanGroupUsersRequest{}, Response: &emptypb.Empty{}},
	{Name: "BlockFriends", Method: "POST", Path: "/v2/friend/block", Body: "", Auth: Bearer, Idempotent: false, Request: &api.BlockFriendsRequest{}, Response: &emptypb.Empty{}},
	{Name: "CreateGroup", Method: "POST", Path: "/v2/group", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.CreateGroupRequest{}, Response: &api.Group{}},
	{Name: "DeleteAccount", Method: "DELETE", Path: "/v2/account", Body: "", Auth: Bearer, Idempotent: true, Request: &emptypb.Empty{}, Response: &emptypb.Empty{}},
	{Name: "DeleteFriends", Method: "DELETE", Path: "/v2/friend", Body: "", Auth: Bearer, Idempotent: true, Request: &api.DeleteFriendsRequest{}, Response: &emptypb.Empty{}},
	{Name: "DeleteGroup", Method: "DELETE", Path: "/v2/group/{group_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.DeleteGroupRequest{}, Response: &emptypb.Empty{}},
	{Name: "DeleteLeaderboardRecord", Method: "DELETE", Path: "/v2/leaderboard/{leaderboard_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.DeleteLeaderboardRecordRequest{}, Response: &emptypb.Empty{}},
	{Name: "DeleteNotifications", Method: "DELETE", Path: "/v2/notification", Body: "", Auth: Bearer, Idempotent: true, Request: &api.DeleteNotificationsRequest{}, Response: &emptypb.Empty{}},
	{Name: "DeleteStorageObjects", Method: "PUT", Path: "/v2/storage/delete", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.DeleteStorageObjectsRequest{}, Response: &emptypb.Empty{}},
	{Name: "DeleteTournamentRecord", Method: "DELETE", Path: "/v2/tournament/{tournament_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.DeleteTournamentRecordRequest{}, Response: &emptypb.Empty{}},
	{Name: "DemoteGroupUsers", Method: "POST", Path: "/v2/group/{group_id}/demote", Body: "", Auth: Bearer, Idempotent: false, Request: &api.DemoteGroupUsersRequest{}, Response: &emptypb.Empty{}},
	{Name: "Event", Method: "POST", Path: "/v2/event", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.Event{}, Response: &emptypb.Empty{}},
	{Name: "GetAccount", Method: "GET", Path: "/v2/account", Body: "", Auth: Bearer, Idempotent: true, Request: &emptypb.Empty{}, Response: &api.Account{}},
	{Name: "GetMatchmakerStats", Method: "GET", Path: "/v2/matchmaker/stats", Body: "", Auth: Bearer, Idempotent: true, Request: &emptypb.Empty{}, Response: &api.MatchmakerStats{}},
	{Name: "GetSubscription", Method: "GET", Path: "/v2/iap/subscription/{product_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.GetSubscriptionRequest{}, Response: &api.ValidatedSubscription{}},
	{Name: "GetUsers", Method: "GET", Path: "/v2/user", Body: "", Auth: Bearer, Idempotent: true, Request: &api.GetUsersRequest{}, Response: &api.Users{}},
	{Name: "Healthcheck", Method: "GET", Path: "/healthcheck", Body: "", Auth: None, Idempotent: true, Request: &emptypb.Empty{}, Response: &emptypb.Empty{}},
	{Name: "ImportFacebookFriends", Method: "POST", Path: "/v2/friend/facebook", Body: "account", Auth: Bearer, Idempotent: false, Request: &api.ImportFacebookFriendsRequest{}, Response: &emptypb.Empty{}},
	{Name: "ImportSteamFriends", Method: "POST", Path: "/v2/friend/steam", Body: "account", Auth: Bearer, Idempotent: false, Request: &api.ImportSteamFriendsRequest{}, Response: &emptypb.Empty{}},
	{Name: "JoinGroup", Method: "POST", Path: "/v2/group/{group_id}/join", Body: "", Auth: Bearer, Idempotent: false, Request: &api.JoinGroupRequest{}, Response: &emptypb.Empty{}},
	{Name: "JoinTournament", Method: "POST", Path: "/v2/tournament/{tournament_id}/join", Body: "", Auth: Bearer, Idempotent: false, Request: &api.JoinTournamentRequest{}, Response: &emptypb.Empty{}},
	{Name: "KickGroupUsers", Method: "POST", Path: "/v2/group/{group_id}/kick", Body: "", Auth: Bearer, Idempotent: false, Request: &api.KickGroupUsersRequest{}, Response: &emptypb.Empty{}},
	{Name: "LeaveGroup", Method: "POST", Path: "/v2/group/{group_id}/leave", Body: "", Auth: Bearer, Idempotent: false, Request: &api.LeaveGroupRequest{}, Response: &emptypb.Empty{}},
	{Name: "LinkApple", Method: "POST", Path: "/v2/account/link/apple", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountApple{}, Response: &emptypb.Empty{}},
	{Name: "LinkCustom", Method: "POST", Path: "/v2/account/link/custom", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountCustom{}, Response: &emptypb.Empty{}},
	{Name: "LinkDevice", Method: "POST", Path: "/v2/account/link/device", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountDevice{}, Response: &emptypb.Empty{}},
	{Name: "LinkEmail", Method: "POST", Path: "/v2/account/link/email", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountEmail{}, Response: &emptypb.Empty{}},
	{Name: "LinkFacebook", Method: "POST", Path: "/v2/account/link/facebook", Body: "account", Auth: Bearer, Idempotent: false, Request: &api.LinkFacebookRequest{}, Response: &emptypb.Empty{}},
	{Name: "LinkFacebookInstantGame", Method: "POST", Path: "/v2/account/link/facebookinstantgame", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountFacebookInstantGame{}, Response: &emptypb.Empty{}},
	{Name: "LinkGameCenter", Method: "POST", Path: "/v2/account/link/gamecenter", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountGameCenter{}, Response: &emptypb.Empty{}},
	{Name: "LinkGoogle", Method: "POST", Path: "/v2/account/link/google", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountGoogle{}, Response: &emptypb.Empty{}},
	{Name: "LinkSteam", Method: "POST", Path: "/v2/account/link/steam", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.LinkSteamRequest{}, Response: &emptypb.Empty{}},
	{Name: "ListChannelMessages", Method: "GET", Path: "/v2/channel/{channel_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListChannelMessagesRequest{}, Response: &api.ChannelMessageList{}},
	{Name: "ListFriends", Method: "GET", Path: "/v2/friend", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListFriendsRequest{}, Response: &api.FriendList{}},
	{Name: "ListFriendsOfFriends", Method: "GET", Path: "/v2/friend/friends", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListFriendsOfFriendsRequest{}, Response: &api.FriendsOfFriendsList{}},
	{Name: "ListGroupUsers", Method: "GET", Path: "/v2/group/{group_id}/user", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListGroupUsersRequest{}, Response: &api.GroupUserList{}},
	{Name: "ListGroups", Method: "GET", Path: "/v2/group", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListGroupsRequest{}, Response: &api.GroupList{}},
	{Name: "ListLeaderboardRecords", Method: "GET", Path: "/v2/leaderboard/{leaderboard_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListLeaderboardRecordsRequest{}, Response: &api.LeaderboardRecordList{}},
	{Name: "ListLeaderboardRecordsAroundOwner", Method: "GET", Path: "/v2/leaderboard/{leaderboard_id}/owner/{owner_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListLeaderboardRecordsAroundOwnerRequest{}, Response: &api.LeaderboardRecordList{}},
	{Name: "ListMatches", Method: "GET", Path: "/v2/match", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListMatchesRequest{}, Response: &api.MatchList{}},
	{Name: "ListNotifications", Method: "GET", Path: "/v2/notification", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListNotificationsRequest{}, Response: &api.NotificationList{}},
	{Name: "ListParties", Method: "GET", Path: "/v2/party", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListPartiesRequest{}, Response: &api.PartyList{}},
	{Name: "ListStorageObjects", Method: "GET", Path: "/v2/storage/{collection}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListStorageObjectsRequest{}, Response: &api.StorageObjectList{}},
	{Name: "ListStorageObjects2", VariantOf: "ListStorageObjects", Method: "GET", Path: "/v2/storage/{collection}/{user_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListStorageObjectsRequest{}, Response: &api.StorageObjectList{}},
	{Name: "ListSubscriptions", Method: "POST", Path: "/v2/iap/subscription", Body: "*", Auth: Bearer, Idempotent: true, Request: &api.ListSubscriptionsRequest{}, Response: &api.SubscriptionList{}},
	{Name: "ListTournamentRecords", Method: "GET", Path: "/v2/tournament/{tournament_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListTournamentRecordsRequest{}, Response: &api.TournamentRecordList{}},
	{Name: "ListTournamentRecordsAroundOwner", Method: "GET", Path: "/v2/tournament/{tournament_id}/owner/{owner_id}", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListTournamentRecordsAroundOwnerRequest{}, Response: &api.TournamentRecordList{}},
	{Name: "ListTournaments", Method: "GET", Path: "/v2/tournament", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListTournamentsRequest{}, Response: &api.TournamentList{}},
	{Name: "ListUserGroups", Method: "GET", Path: "/v2/user/{user_id}/group", Body: "", Auth: Bearer, Idempotent: true, Request: &api.ListUserGroupsRequest{}, Response: &api.UserGroupList{}},
	{Name: "PromoteGroupUsers", Method: "POST", Path: "/v2/group/{group_id}/promote", Body: "", Auth: Bearer, Idempotent: false, Request: &api.PromoteGroupUsersRequest{}, Response: &emptypb.Empty{}},
	{Name: "ReadStorageObjects", Method: "POST", Path: "/v2/storage", Body: "*", Auth: Bearer, Idempotent: true, Request: &api.ReadStorageObjectsRequest{}, Response: &api.StorageObjects{}},
	{Name: "RpcFunc", Method: "POST", Path: "/v2/rpc/{id}", Body: "payload", Auth: BearerOrHTTPKey, Idempotent: false, Request: &api.Rpc{}, Response: &api.Rpc{}},
	{Name: "RpcFunc2", VariantOf: "RpcFunc", Method: "GET", Path: "/v2/rpc/{id}", Body: "", Auth: BearerOrHTTPKey, Idempotent: true, Request: &api.Rpc{}, Response: &api.Rpc{}},
	{Name: "SessionLogout", Method: "POST", Path: "/v2/session/logout", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.SessionLogoutRequest{}, Response: &emptypb.Empty{}},
	{Name: "SessionRefresh", Method: "POST", Path: "/v2/account/session/refresh", Body: "*", Auth: Basic, Idempotent: false, Request: &api.SessionRefreshRequest{}, Response: &api.Session{}},
	{Name: "UnlinkApple", Method: "POST", Path: "/v2/account/unlink/apple", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountApple{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkCustom", Method: "POST", Path: "/v2/account/unlink/custom", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountCustom{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkDevice", Method: "POST", Path: "/v2/account/unlink/device", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountDevice{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkEmail", Method: "POST", Path: "/v2/account/unlink/email", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountEmail{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkFacebook", Method: "POST", Path: "/v2/account/unlink/facebook", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountFacebook{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkFacebookInstantGame", Method: "POST", Path: "/v2/account/unlink/facebookinstantgame", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountFacebookInstantGame{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkGameCenter", Method: "POST", Path: "/v2/account/unlink/gamecenter", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountGameCenter{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkGoogle", Method: "POST", Path: "/v2/account/unlink/google", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountGoogle{}, Response: &emptypb.Empty{}},
	{Name: "UnlinkSteam", Method: "POST", Path: "/v2/account/unlink/steam", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.AccountSteam{}, Response: &emptypb.Empty{}},
	{Name: "UpdateAccount", Method: "PUT", Path: "/v2/account", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.UpdateAccountRequest{}, Response: &emptypb.Empty{}},
	{Name: "UpdateGroup", Method: "PUT", Path: "/v2/group/{group_id}", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.UpdateGroupRequest{}, Response: &emptypb.Empty{}},
	{Name: "ValidatePurchaseApple", Method: "POST", Path: "/v2/iap/purchase/apple", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidatePurchaseAppleRequest{}, Response: &api.ValidatePurchaseResponse{}},
	{Name: "ValidatePurchaseFacebookInstant", Method: "POST", Path: "/v2/iap/purchase/facebookinstant", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidatePurchaseFacebookInstantRequest{}, Response: &api.ValidatePurchaseResponse{}},
	{Name: "ValidatePurchaseGoogle", Method: "POST", Path: "/v2/iap/purchase/google", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidatePurchaseGoogleRequest{}, Response: &api.ValidatePurchaseResponse{}},
	{Name: "ValidatePurchaseHuawei", Method: "POST", Path: "/v2/iap/purchase/huawei", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidatePurchaseHuaweiRequest{}, Response: &api.ValidatePurchaseResponse{}},
	{Name: "ValidatePurchaseSamsung", Method: "POST", Path: "/v2/iap/purchase/samsung", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidatePurchaseSamsungRequest{}, Response: &api.ValidatePurchaseResponse{}},
	{Name: "ValidateSubscriptionApple", Method: "POST", Path: "/v2/iap/subscription/apple", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidateSubscriptionAppleRequest{}, Response: &api.ValidateSubscriptionResponse{}},
	{Name: "ValidateSubscriptionGoogle", Method: "POST", Path: "/v2/iap/subscription/google", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.ValidateSubscriptionGoogleRequest{}, Response: &api.ValidateSubscriptionResponse{}},
	{Name: "WriteLeaderboardRecord", Method: "POST", Path: "/v2/leaderboard/{leaderboard_id}", Body: "record", Auth: Bearer, Idempotent: false, Request: &api.WriteLeaderboardRecordRequest{}, Response: &api.LeaderboardRecord{}},
	{Name: "WriteStorageObjects", Method: "PUT", Path: "/v2/storage", Body: "*", Auth: Bearer, Idempotent: false, Request: &api.WriteStorageObjectsRequest{}, Response: &api.StorageObjectAcks{}},
	{Name: "WriteTournamentRecord", Method: "PUT", Path: "/v2/tournament/{tournament_id}", Body: "record", Auth: Bearer, Idempotent: false, Request: &api.WriteTournamentRecordRequest{}, Response: &api.LeaderboardRecord{}},
	{Name: "WriteTournamentRecord2", VariantOf: "WriteTournamentRecord", Method: "POST", Path: "/v2/tournament/{tournament_id}", Body: "record", Auth: Bearer, Idempotent: false, Request: &api.WriteTournamentRecordRequest{}, Response: &api.LeaderboardRecord{}},
}
