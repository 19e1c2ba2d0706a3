//go:build !js

// Not under js/wasm: these tests send REST through net/http to servers in the test process, which the browser's fetch adapter cannot reach.

package nakama_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The wire tests call every Client method against an httptest server mounted
// under a path prefix, in the style of go-github's endpoint tests, and check
// exactly what travels: method, escaped path, query, JSON body, credential and
// User-Agent, and that the answer comes back decoded.

const (
	wirePrefix    = "/prefix"
	wireServerKey = "wire-server-key"
	wireHTTPKey   = "wire http/key+s3cret=="
	wireUserID    = "6c4fbc4e-6f1c-4a55-9d2e-1b2f0f6a7c01"
	wireUsername  = "ada"
	wireGroupID   = "night owls/2" // a space and a slash: both must be escaped
	wireGroupPath = "night%20owls%2F2"
)

var wireTokenSeq atomic.Int64

// wireJWT makes a token shaped like the server's: an HS256 JWT with the
// claims tid, uid, usn, vrs, exp and iat, expiring after lifetime.
func wireJWT(uid, username string, vars map[string]string, lifetime time.Duration) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	now := time.Now().Unix()
	claims := map[string]any{
		"tid": fmt.Sprintf("0f8e3c52-7d1a-4b6e-9c3f-%012d", wireTokenSeq.Add(1)),
		"uid": uid,
		"usn": username,
		"exp": now + int64(lifetime/time.Second),
		"iat": now,
	}
	if vars != nil {
		claims["vrs"] = vars
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	unsigned := header + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte("wire-test-signing-key"))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

// The tokens of the session the cases use, and of the server's answers. They
// expire hours from now, far outside the refresh window, so no call refreshes.
var (
	wireToken        = wireJWT(wireUserID, wireUsername, map[string]string{"platform": "ios"}, 2*time.Hour)
	wireRefreshToken = wireJWT(wireUserID, wireUsername, map[string]string{"platform": "ios"}, 7*24*time.Hour)
	wireNewToken     = wireJWT(wireUserID, wireUsername, map[string]string{"lang": "fr"}, 2*time.Hour)
	wireNewRefresh   = wireJWT(wireUserID, wireUsername, map[string]string{"lang": "fr"}, 7*24*time.Hour)
)

// wireSession returns a fresh session holding wireToken.
func wireSession(t *testing.T) *nakama.Session {
	t.Helper()
	s, err := nakama.RestoreSession(wireToken, wireRefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wireReply is an answer as the server sends it, and the message it must
// decode to (nil when the method returns only an error).
type wireReply struct {
	json string
	want proto.Message
}

// wireTime is the time every answer's timestamps carry.
var wireTime = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

const wireTS = `"2025-03-14T15:09:26Z"`

func wireTimestamp() *timestamppb.Timestamp { return timestamppb.New(wireTime) }

// A user as the server sends it, with a field this client does not know.
const wireUserJSON = `{"id":"` + wireUserID + `","username":"ada","display_name":"Ada","avatar_url":"https://cdn.example.com/ada.png",
	"lang_tag":"en","location":"London","timezone":"Europe/London","metadata":"{\"level\":7}","steam_id":"76561198000000000",
	"online":true,"edge_count":2,"create_time":` + wireTS + `,"update_time":` + wireTS + `,"x_added_in_3_41":{"a":[1,2]}}`

func wireUser() *api.User {
	return &api.User{Id: wireUserID, Username: "ada", DisplayName: "Ada", AvatarUrl: "https://cdn.example.com/ada.png",
		LangTag: "en", Location: "London", Timezone: "Europe/London", Metadata: `{"level":7}`, SteamId: "76561198000000000",
		Online: true, EdgeCount: 2, CreateTime: wireTimestamp(), UpdateTime: wireTimestamp()}
}

const wireGroupJSON = `{"id":"9a3c5e7f-1b2d-4c6e-8f0a-2b4d6f8a0c1e","creator_id":"` + wireUserID + `","name":"Night Owls",
	"description":"We play late.","lang_tag":"en","metadata":"{}","avatar_url":"https://cdn.example.com/owl.png","open":true,
	"edge_count":1,"max_count":50,"create_time":` + wireTS + `,"update_time":` + wireTS + `,"x_unknown":"ignored"}`

func wireGroup() *api.Group {
	return &api.Group{Id: "9a3c5e7f-1b2d-4c6e-8f0a-2b4d6f8a0c1e", CreatorId: wireUserID, Name: "Night Owls",
		Description: "We play late.", LangTag: "en", Metadata: "{}", AvatarUrl: "https://cdn.example.com/owl.png",
		Open: wrapperspb.Bool(true), EdgeCount: 1, MaxCount: 50, CreateTime: wireTimestamp(), UpdateTime: wireTimestamp()}
}

// A record with int64 fields as strings, one of them past 2^53.
const wireRecordJSON = `{"leaderboard_id":"weekly board","owner_id":"` + wireUserID + `","username":"ada",
	"score":"9007199254740993","subscore":"7","num_score":3,"metadata":"{\"map\":\"dunes\"}","create_time":` + wireTS + `,
	"update_time":` + wireTS + `,"expiry_time":` + wireTS + `,"rank":"1","max_num_score":1000000,"x_unknown":true}`

func wireRecord() *api.LeaderboardRecord {
	return &api.LeaderboardRecord{LeaderboardId: "weekly board", OwnerId: wireUserID, Username: wrapperspb.String("ada"),
		Score: 9007199254740993, Subscore: 7, NumScore: 3, Metadata: `{"map":"dunes"}`, CreateTime: wireTimestamp(),
		UpdateTime: wireTimestamp(), ExpiryTime: wireTimestamp(), Rank: 1, MaxNumScore: 1000000}
}

const wirePurchaseJSON = `{"user_id":"` + wireUserID + `","product_id":"gems_100","transaction_id":"1000000123456789","store":0,
	"purchase_time":` + wireTS + `,"create_time":` + wireTS + `,"update_time":` + wireTS + `,"provider_response":"{\"status\":0}",
	"environment":2,"seen_before":true,"x_unknown":1}`

func wirePurchase() *api.ValidatedPurchase {
	return &api.ValidatedPurchase{UserId: wireUserID, ProductId: "gems_100", TransactionId: "1000000123456789",
		Store: api.StoreProvider_APPLE_APP_STORE, PurchaseTime: wireTimestamp(), CreateTime: wireTimestamp(), UpdateTime: wireTimestamp(),
		ProviderResponse: `{"status":0}`, Environment: api.StoreEnvironment_PRODUCTION, SeenBefore: true}
}

const wireSubscriptionJSON = `{"user_id":"` + wireUserID + `","product_id":"com.example.monthly","original_transaction_id":"2000000123",
	"store":1,"purchase_time":` + wireTS + `,"create_time":` + wireTS + `,"update_time":` + wireTS + `,"environment":1,
	"expiry_time":` + wireTS + `,"provider_response":"{}","active":true,"x_unknown":"x"}`

func wireSubscription() *api.ValidatedSubscription {
	return &api.ValidatedSubscription{UserId: wireUserID, ProductId: "com.example.monthly", OriginalTransactionId: "2000000123",
		Store: api.StoreProvider_GOOGLE_PLAY_STORE, PurchaseTime: wireTimestamp(), CreateTime: wireTimestamp(), UpdateTime: wireTimestamp(),
		Environment: api.StoreEnvironment_SANDBOX, ExpiryTime: wireTimestamp(), ProviderResponse: "{}", Active: true}
}

const wireObjectJSON = `{"collection":"saves","key":"slot1","user_id":"` + wireUserID + `","value":"{\"hp\":10}",
	"version":"2d4f6a8c0e","permission_read":2,"permission_write":1,"create_time":` + wireTS + `,"update_time":` + wireTS + `,"x":0}`

func wireObject() *api.StorageObject {
	return &api.StorageObject{Collection: "saves", Key: "slot1", UserId: wireUserID, Value: `{"hp":10}`, Version: "2d4f6a8c0e",
		PermissionRead: 2, PermissionWrite: 1, CreateTime: wireTimestamp(), UpdateTime: wireTimestamp()}
}

// The answers, one per response type.
var (
	// wireReplyEmpty answers the operations that return nothing.
	wireReplyEmpty   = wireReply{json: `{"x_unknown":"ignored"}`}
	wireReplySession = wireReply{
		json: `{"created":true,"token":"` + wireNewToken + `","refresh_token":"` + wireNewRefresh + `","x_unknown":"ignored"}`,
		want: &api.Session{Created: true, Token: wireNewToken, RefreshToken: wireNewRefresh},
	}
	wireReplyRefresh = wireReply{
		json: `{"token":"` + wireNewToken + `","refresh_token":"` + wireNewRefresh + `","x_unknown":"ignored"}`,
		want: &api.Session{Token: wireNewToken, RefreshToken: wireNewRefresh},
	}
	wireReplyAccount = wireReply{
		json: `{"user":` + wireUserJSON + `,"wallet":"{\"coins\":100}","email":"ada@example.com",
			"devices":[{"id":"device-0001-abcdef","vars":{"model":"iPhone15,2"}}],"custom_id":"custom-id-42",
			"verify_time":` + wireTS + `,"x_unknown":[{"deep":{"er":null}}]}`,
		want: &api.Account{User: wireUser(), Wallet: `{"coins":100}`, Email: "ada@example.com",
			Devices:  []*api.AccountDevice{{Id: "device-0001-abcdef", Vars: map[string]string{"model": "iPhone15,2"}}},
			CustomId: "custom-id-42", VerifyTime: wireTimestamp()},
	}
	wireReplyUsers = wireReply{
		json: `{"users":[` + wireUserJSON + `,{"id":"u-2","username":"bob","facebook_id":"fb1"}],"x_unknown":1}`,
		want: &api.Users{Users: []*api.User{wireUser(), {Id: "u-2", Username: "bob", FacebookId: "fb1"}}},
	}
	wireReplyFriends = wireReply{
		json: `{"friends":[{"user":` + wireUserJSON + `,"state":0,"update_time":` + wireTS + `,"metadata":"{\"source\":\"lobby\"}"},
			{"user":{"id":"u-2","username":"bob"},"state":2}],"cursor":"next-page","x_unknown":1}`,
		want: &api.FriendList{Friends: []*api.Friend{
			{User: wireUser(), State: wrapperspb.Int32(0), UpdateTime: wireTimestamp(), Metadata: `{"source":"lobby"}`},
			{User: &api.User{Id: "u-2", Username: "bob"}, State: wrapperspb.Int32(2)}}, Cursor: "next-page"},
	}
	wireReplyFriendsOfFriends = wireReply{
		json: `{"friends_of_friends":[{"referrer":"u-2","user":` + wireUserJSON + `,"x":1}],"cursor":"fof-2"}`,
		want: &api.FriendsOfFriendsList{FriendsOfFriends: []*api.FriendsOfFriendsList_FriendOfFriend{
			{Referrer: "u-2", User: wireUser()}}, Cursor: "fof-2"},
	}
	wireReplyGroup     = wireReply{json: wireGroupJSON, want: wireGroup()}
	wireReplyGroupList = wireReply{
		json: `{"groups":[` + wireGroupJSON + `],"cursor":"g-2","x":1}`,
		want: &api.GroupList{Groups: []*api.Group{wireGroup()}, Cursor: "g-2"},
	}
	wireReplyGroupUsers = wireReply{
		json: `{"group_users":[{"user":` + wireUserJSON + `,"state":0},{"user":{"id":"u-3"},"state":3}],"cursor":"gu-2","x":1}`,
		want: &api.GroupUserList{GroupUsers: []*api.GroupUserList_GroupUser{
			{User: wireUser(), State: wrapperspb.Int32(0)}, {User: &api.User{Id: "u-3"}, State: wrapperspb.Int32(3)}}, Cursor: "gu-2"},
	}
	wireReplyUserGroups = wireReply{
		json: `{"user_groups":[{"group":` + wireGroupJSON + `,"state":1}],"cursor":"ug-2","x":1}`,
		want: &api.UserGroupList{UserGroups: []*api.UserGroupList_UserGroup{{Group: wireGroup(), State: wrapperspb.Int32(1)}}, Cursor: "ug-2"},
	}
	wireReplyRecord  = wireReply{json: wireRecordJSON, want: wireRecord()}
	wireReplyRecords = wireReply{
		json: `{"records":[` + wireRecordJSON + `],"owner_records":[` + wireRecordJSON + `],"next_cursor":"n","prev_cursor":"p",
			"rank_count":"9007199254740993","x":1}`,
		want: &api.LeaderboardRecordList{Records: []*api.LeaderboardRecord{wireRecord()}, OwnerRecords: []*api.LeaderboardRecord{wireRecord()},
			NextCursor: "n", PrevCursor: "p", RankCount: 9007199254740993},
	}
	wireReplyTournaments = wireReply{
		json: `{"tournaments":[{"id":"weekend cup","title":"Weekend Cup","description":"Fastest lap.","category":2,"sort_order":1,
			"size":10,"max_size":100,"max_num_score":3,"can_enter":true,"end_active":1767229200,"next_reset":1767312000,"metadata":"{}",
			"create_time":` + wireTS + `,"start_time":` + wireTS + `,"end_time":` + wireTS + `,"duration":3600,"start_active":1767225600,
			"prev_reset":1767139200,"operator":3,"authoritative":true,"join_required":true,"x":1}],"cursor":"t-2"}`,
		want: &api.TournamentList{Tournaments: []*api.Tournament{{Id: "weekend cup", Title: "Weekend Cup", Description: "Fastest lap.",
			Category: 2, SortOrder: 1, Size: 10, MaxSize: 100, MaxNumScore: 3, CanEnter: true, EndActive: 1767229200, NextReset: 1767312000,
			Metadata: "{}", CreateTime: wireTimestamp(), StartTime: wireTimestamp(), EndTime: wireTimestamp(), Duration: 3600,
			StartActive: 1767225600, PrevReset: 1767139200, Operator: api.Operator_INCREMENT, Authoritative: true, JoinRequired: true}},
			Cursor: "t-2"},
	}
	wireReplyTournamentRecords = wireReply{
		json: `{"records":[` + wireRecordJSON + `],"next_cursor":"n","prev_cursor":"p","rank_count":"42","x":1}`,
		want: &api.TournamentRecordList{Records: []*api.LeaderboardRecord{wireRecord()}, NextCursor: "n", PrevCursor: "p", RankCount: 42},
	}
	wireReplyNotifications = wireReply{
		json: `{"notifications":[{"id":"n-1","subject":"You won!","content":"{\"coins\":10}","code":101,"sender_id":"u-2",
			"create_time":` + wireTS + `,"persistent":true,"x":1}],"cacheable_cursor":"cc-2"}`,
		want: &api.NotificationList{Notifications: []*api.Notification{{Id: "n-1", Subject: "You won!", Content: `{"coins":10}`,
			Code: 101, SenderId: "u-2", CreateTime: wireTimestamp(), Persistent: true}}, CacheableCursor: "cc-2"},
	}
	wireReplyMessages = wireReply{
		json: `{"messages":[{"channel_id":"2...lobby","message_id":"m-1","code":0,"sender_id":"u-2","username":"bob",
			"content":"{\"text\":\"hi\"}","create_time":` + wireTS + `,"update_time":` + wireTS + `,"persistent":true,
			"room_name":"lobby","x":1}],"next_cursor":"n","prev_cursor":"p","cacheable_cursor":"c"}`,
		want: &api.ChannelMessageList{Messages: []*api.ChannelMessage{{ChannelId: "2...lobby", MessageId: "m-1", Code: wrapperspb.Int32(0),
			SenderId: "u-2", Username: "bob", Content: `{"text":"hi"}`, CreateTime: wireTimestamp(), UpdateTime: wireTimestamp(),
			Persistent: wrapperspb.Bool(true), RoomName: "lobby"}}, NextCursor: "n", PrevCursor: "p", CacheableCursor: "c"},
	}
	wireReplyMatches = wireReply{
		json: `{"matches":[{"match_id":"0c2e4a6b-8d0f-4b2d-9e4f-6a8c0e2b4d6f.nakama1","authoritative":true,"label":"{\"mode\":\"ranked\"}",
			"size":2,"tick_rate":10,"handler_name":"arena","x":1}]}`,
		want: &api.MatchList{Matches: []*api.Match{{MatchId: "0c2e4a6b-8d0f-4b2d-9e4f-6a8c0e2b4d6f.nakama1", Authoritative: true,
			Label: wrapperspb.String(`{"mode":"ranked"}`), Size: 2, TickRate: 10, HandlerName: "arena"}}},
	}
	wireReplyParties = wireReply{
		json: `{"parties":[{"party_id":"4b6d8f0a-2c4e-4a6c-8e0a-2c4e6a8c0e2a.nakama1","open":true,"hidden":false,"max_size":4,
			"label":"casual","x":1}],"cursor":"pc-2"}`,
		want: &api.PartyList{Parties: []*api.Party{{PartyId: "4b6d8f0a-2c4e-4a6c-8e0a-2c4e6a8c0e2a.nakama1", Open: true, MaxSize: 4,
			Label: "casual"}}, Cursor: "pc-2"},
	}
	wireReplyMatchmakerStats = wireReply{
		json: `{"ticket_count":12,"oldest_ticket_create_time":` + wireTS + `,"completions":[{"create_time":` + wireTS + `,
			"complete_time":` + wireTS + `}],"x":1}`,
		want: &api.MatchmakerStats{TicketCount: 12, OldestTicketCreateTime: wireTimestamp(),
			Completions: []*api.MatchmakerCompletionStats{{CreateTime: wireTimestamp(), CompleteTime: wireTimestamp()}}},
	}
	wireReplyRpc = wireReply{
		json: `{"id":"reward/claim","payload":"{\"coins\":10}","x_unknown":1}`,
		want: &api.Rpc{Id: "reward/claim", Payload: `{"coins":10}`},
	}
	wireReplyPurchases = wireReply{
		json: `{"validated_purchases":[` + wirePurchaseJSON + `],"x":1}`,
		want: &api.ValidatePurchaseResponse{ValidatedPurchases: []*api.ValidatedPurchase{wirePurchase()}},
	}
	wireReplySubscriptionResponse = wireReply{
		json: `{"validated_subscription":` + wireSubscriptionJSON + `,"x":1}`,
		want: &api.ValidateSubscriptionResponse{ValidatedSubscription: wireSubscription()},
	}
	wireReplySubscription     = wireReply{json: wireSubscriptionJSON, want: wireSubscription()}
	wireReplySubscriptionList = wireReply{
		json: `{"validated_subscriptions":[` + wireSubscriptionJSON + `],"cursor":"s-2","prev_cursor":"s-0","x":1}`,
		want: &api.SubscriptionList{ValidatedSubscriptions: []*api.ValidatedSubscription{wireSubscription()}, Cursor: "s-2", PrevCursor: "s-0"},
	}
	wireReplyObjects = wireReply{
		json: `{"objects":[` + wireObjectJSON + `],"x":1}`,
		want: &api.StorageObjects{Objects: []*api.StorageObject{wireObject()}},
	}
	wireReplyAcks = wireReply{
		json: `{"acks":[{"collection":"saves","key":"slot1","version":"3e5a7c9e1a","user_id":"` + wireUserID + `",
			"create_time":` + wireTS + `,"update_time":` + wireTS + `,"x":1}]}`,
		want: &api.StorageObjectAcks{Acks: []*api.StorageObjectAck{{Collection: "saves", Key: "slot1", Version: "3e5a7c9e1a",
			UserId: wireUserID, CreateTime: wireTimestamp(), UpdateTime: wireTimestamp()}}},
	}
	wireReplyObjectList = wireReply{
		json: `{"objects":[` + wireObjectJSON + `],"cursor":"o-2","x":1}`,
		want: &api.StorageObjectList{Objects: []*api.StorageObject{wireObject()}, Cursor: "o-2"},
	}
)

// wireAuth is the credential a request must carry.
type wireAuth int

const (
	wireNoAuth  wireAuth = iota // no Authorization header (Healthcheck)
	wireBasic                   // the server key as basic auth user, empty password
	wireBearer                  // Bearer wireToken
	wireKeyAuth                 // no Authorization; http_key in the query
)

// wireCase is one call of a Client method and what must travel.
type wireCase struct {
	name   string // the Client method; a suffix after "/" names a variant
	call   func(ctx context.Context, c nakama.Client, s *nakama.Session) (any, error)
	method string
	path   string // escaped, below the prefix
	query  url.Values
	body   string // JSON; "" for no body
	auth   wireAuth
	reply  wireReply
}

var wireGameCenter = nakama.GameCenter{PlayerID: "G:1234567890", BundleID: "com.example.game", Timestamp: 1700000000,
	Salt: "c2FsdA==", Signature: "c2lnbmF0dXJl", PublicKeyURL: "https://static.gc.apple.com/public-key/gc-prod-10.cer"}

const wireGameCenterJSON = `"player_id":"G:1234567890","bundle_id":"com.example.game","timestamp_seconds":"1700000000",
	"salt":"c2FsdA==","signature":"c2lnbmF0dXJl","public_key_url":"https://static.gc.apple.com/public-key/gc-prod-10.cer"`

func wireCases() []wireCase {
	type (
		ctx = context.Context
		cl  = nakama.Client
		ses = *nakama.Session
	)
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	return []wireCase{
		{name: "Healthcheck", method: "GET", path: "/healthcheck", auth: wireNoAuth, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.Healthcheck(ctx) }},

		// Authentication: basic auth with the server key, the account in the body.
		{name: "AuthenticateDevice", method: "POST", path: "/v2/account/authenticate/device", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true", "username", "ada"), body: `{"id":"device-0001-abcdef","vars":{"platform":"ios"}}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateDevice(ctx, "device-0001-abcdef", &nakama.AuthenticateOptions{Username: "ada", Vars: map[string]string{"platform": "ios"}})
			}},
		{name: "AuthenticateDevice/nil options", method: "POST", path: "/v2/account/authenticate/device", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true"), body: `{"id":"device-0001-abcdef"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.AuthenticateDevice(ctx, "device-0001-abcdef", nil) }},
		{name: "AuthenticateCustom", method: "POST", path: "/v2/account/authenticate/custom", auth: wireBasic, reply: wireReplySession,
			query: q("create", "false"), body: `{"id":"custom-id-42"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateCustom(ctx, "custom-id-42", &nakama.AuthenticateOptions{NoCreate: true})
			}},
		{name: "AuthenticateEmail", method: "POST", path: "/v2/account/authenticate/email", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true", "username", "ada"), body: `{"email":"ada@example.com","password":"correct horse battery"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateEmail(ctx, "ada@example.com", "correct horse battery", &nakama.AuthenticateOptions{Username: "ada"})
			}},
		{name: "AuthenticateApple", method: "POST", path: "/v2/account/authenticate/apple", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true"), body: `{"token":"eyJraWQiOiJXNldjT0tCIn0.apple.token"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateApple(ctx, "eyJraWQiOiJXNldjT0tCIn0.apple.token", nil)
			}},
		{name: "AuthenticateFacebook", method: "POST", path: "/v2/account/authenticate/facebook", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true", "username", "ada", "sync", "true"), body: `{"token":"EAAGm0PX4ZCpsBA","vars":{"k":"v"}}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateFacebook(ctx, "EAAGm0PX4ZCpsBA", &nakama.AuthenticateOptions{Username: "ada", Sync: true, Vars: map[string]string{"k": "v"}})
			}},
		{name: "AuthenticateFacebookInstantGame", method: "POST", path: "/v2/account/authenticate/facebookinstantgame", auth: wireBasic,
			reply: wireReplySession, query: q("create", "true"), body: `{"signed_player_info":"sig.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiJ9"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateFacebookInstantGame(ctx, "sig.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiJ9", nil)
			}},
		{name: "AuthenticateGameCenter", method: "POST", path: "/v2/account/authenticate/gamecenter", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true"), body: `{` + wireGameCenterJSON + `,"vars":{"k":"v"}}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateGameCenter(ctx, wireGameCenter, &nakama.AuthenticateOptions{Vars: map[string]string{"k": "v"}})
			}},
		{name: "AuthenticateGoogle", method: "POST", path: "/v2/account/authenticate/google", auth: wireBasic, reply: wireReplySession,
			query: q("create", "true"), body: `{"token":"google.id.token"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.AuthenticateGoogle(ctx, "google.id.token", nil) }},
		{name: "AuthenticateSteam", method: "POST", path: "/v2/account/authenticate/steam", auth: wireBasic, reply: wireReplySession,
			query: q("create", "false", "sync", "true"), body: `{"token":"14000000abcdef"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.AuthenticateSteam(ctx, "14000000abcdef", &nakama.AuthenticateOptions{Sync: true, NoCreate: true})
			}},
		{name: "SessionRefresh", method: "POST", path: "/v2/account/session/refresh", auth: wireBasic, reply: wireReplyRefresh,
			body: `{"token":"` + wireRefreshToken + `","vars":{"lang":"fr"}}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return s, c.SessionRefresh(ctx, s, map[string]string{"lang": "fr"})
			}},
		{name: "SessionLogout", method: "POST", path: "/v2/session/logout", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"` + wireToken + `","refresh_token":"` + wireRefreshToken + `"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.SessionLogout(ctx, s) }},

		// Linking and unlinking: the identity is the body.
		{name: "LinkDevice", method: "POST", path: "/v2/account/link/device", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"id":"device-0002-abcdef"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LinkDevice(ctx, s, "device-0002-abcdef") }},
		{name: "LinkCustom", method: "POST", path: "/v2/account/link/custom", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"id":"custom-id-43"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LinkCustom(ctx, s, "custom-id-43") }},
		{name: "LinkEmail", method: "POST", path: "/v2/account/link/email", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"email":"ada@example.com","password":"correct horse battery"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.LinkEmail(ctx, s, "ada@example.com", "correct horse battery")
			}},
		{name: "LinkApple", method: "POST", path: "/v2/account/link/apple", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"apple.id.token"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LinkApple(ctx, s, "apple.id.token") }},
		{name: "LinkFacebook", method: "POST", path: "/v2/account/link/facebook", auth: wireBearer, reply: wireReplyEmpty,
			query: q("sync", "true"), body: `{"token":"EAAGm0PX4ZCpsBA"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.LinkFacebook(ctx, s, "EAAGm0PX4ZCpsBA", &nakama.LinkOptions{Sync: true})
			}},
		{name: "LinkFacebookInstantGame", method: "POST", path: "/v2/account/link/facebookinstantgame", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"signed_player_info":"sig.payload"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LinkFacebookInstantGame(ctx, s, "sig.payload") }},
		{name: "LinkGameCenter", method: "POST", path: "/v2/account/link/gamecenter", auth: wireBearer, reply: wireReplyEmpty,
			body: `{` + wireGameCenterJSON + `}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LinkGameCenter(ctx, s, wireGameCenter) }},
		{name: "LinkGoogle", method: "POST", path: "/v2/account/link/google", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"google.id.token"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LinkGoogle(ctx, s, "google.id.token") }},
		{name: "LinkSteam", method: "POST", path: "/v2/account/link/steam", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"account":{"token":"14000000abcdef"},"sync":true}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.LinkSteam(ctx, s, "14000000abcdef", &nakama.LinkOptions{Sync: true})
			}},
		{name: "UnlinkDevice", method: "POST", path: "/v2/account/unlink/device", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"id":"device-0002-abcdef"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkDevice(ctx, s, "device-0002-abcdef") }},
		{name: "UnlinkCustom", method: "POST", path: "/v2/account/unlink/custom", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"id":"custom-id-43"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkCustom(ctx, s, "custom-id-43") }},
		{name: "UnlinkEmail", method: "POST", path: "/v2/account/unlink/email", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"email":"ada@example.com","password":"correct horse battery"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.UnlinkEmail(ctx, s, "ada@example.com", "correct horse battery")
			}},
		{name: "UnlinkApple", method: "POST", path: "/v2/account/unlink/apple", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"apple.id.token"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkApple(ctx, s, "apple.id.token") }},
		{name: "UnlinkFacebook", method: "POST", path: "/v2/account/unlink/facebook", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"EAAGm0PX4ZCpsBA"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkFacebook(ctx, s, "EAAGm0PX4ZCpsBA") }},
		{name: "UnlinkFacebookInstantGame", method: "POST", path: "/v2/account/unlink/facebookinstantgame", auth: wireBearer,
			reply: wireReplyEmpty, body: `{"signed_player_info":"sig.payload"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.UnlinkFacebookInstantGame(ctx, s, "sig.payload")
			}},
		{name: "UnlinkGameCenter", method: "POST", path: "/v2/account/unlink/gamecenter", auth: wireBearer, reply: wireReplyEmpty,
			body: `{` + wireGameCenterJSON + `}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkGameCenter(ctx, s, wireGameCenter) }},
		{name: "UnlinkGoogle", method: "POST", path: "/v2/account/unlink/google", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"google.id.token"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkGoogle(ctx, s, "google.id.token") }},
		{name: "UnlinkSteam", method: "POST", path: "/v2/account/unlink/steam", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"14000000abcdef"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.UnlinkSteam(ctx, s, "14000000abcdef") }},

		// The account and users.
		{name: "GetAccount", method: "GET", path: "/v2/account", auth: wireBearer, reply: wireReplyAccount,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.GetAccount(ctx, s) }},
		{name: "UpdateAccount", method: "PUT", path: "/v2/account", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"display_name":"Ada L.","avatar_url":"https://cdn.example.com/ada2.png","timezone":""}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.UpdateAccount(ctx, s, &nakama.UpdateAccountOptions{DisplayName: nakama.Ptr("Ada L."),
					AvatarURL: nakama.Ptr("https://cdn.example.com/ada2.png"), Timezone: nakama.Ptr("")})
			}},
		{name: "DeleteAccount", method: "DELETE", path: "/v2/account", auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.DeleteAccount(ctx, s) }},
		{name: "GetUsers", method: "GET", path: "/v2/user", auth: wireBearer, reply: wireReplyUsers,
			query: q("ids", wireUserID, "ids", "u-2", "usernames", "bob", "facebook_ids", "fb1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.GetUsers(ctx, s, []string{wireUserID, "u-2"}, []string{"bob"}, []string{"fb1"})
			}},

		// Friends.
		{name: "AddFriends", method: "POST", path: "/v2/friend", auth: wireBearer, reply: wireReplyEmpty,
			query: q("ids", "u-2", "usernames", "bob", "usernames", "carol & dave", "metadata", `{"source":"lobby"}`),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.AddFriends(ctx, s, []string{"u-2"}, []string{"bob", "carol & dave"}, &nakama.AddFriendsOptions{Metadata: `{"source":"lobby"}`})
			}},
		{name: "DeleteFriends", method: "DELETE", path: "/v2/friend", auth: wireBearer, reply: wireReplyEmpty,
			query: q("ids", "u-2", "ids", "u-3", "usernames", "bob"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.DeleteFriends(ctx, s, []string{"u-2", "u-3"}, []string{"bob"})
			}},
		{name: "BlockFriends", method: "POST", path: "/v2/friend/block", auth: wireBearer, reply: wireReplyEmpty,
			query: q("usernames", "mallory"),
			call:  func(ctx ctx, c cl, s ses) (any, error) { return nil, c.BlockFriends(ctx, s, nil, []string{"mallory"}) }},
		{name: "ListFriends", method: "GET", path: "/v2/friend", auth: wireBearer, reply: wireReplyFriends,
			query: q("limit", "20", "state", "0", "cursor", "c-1"), // state 0 (FRIEND) is set, so it travels
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListFriends(ctx, s, &nakama.ListFriendsOptions{ListOptions: nakama.ListOptions{Limit: 20, Cursor: "c-1"},
					State: nakama.Ptr(api.Friend_FRIEND)})
			}},
		{name: "ListFriends/nil options", method: "GET", path: "/v2/friend", auth: wireBearer, reply: wireReplyFriends,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.ListFriends(ctx, s, nil) }},
		{name: "ListFriendsOfFriends", method: "GET", path: "/v2/friend/friends", auth: wireBearer, reply: wireReplyFriendsOfFriends,
			query: q("limit", "10", "cursor", "fof-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListFriendsOfFriends(ctx, s, &nakama.ListOptions{Limit: 10, Cursor: "fof-1"})
			}},
		{name: "ImportFacebookFriends", method: "POST", path: "/v2/friend/facebook", auth: wireBearer, reply: wireReplyEmpty,
			query: q("reset", "true"), body: `{"token":"EAAGm0PX4ZCpsBA"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.ImportFacebookFriends(ctx, s, "EAAGm0PX4ZCpsBA", &nakama.ImportFriendsOptions{Reset: true})
			}},
		{name: "ImportSteamFriends", method: "POST", path: "/v2/friend/steam", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"token":"14000000abcdef"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.ImportSteamFriends(ctx, s, "14000000abcdef", nil)
			}},

		// Groups, with an id that needs escaping.
		{name: "CreateGroup", method: "POST", path: "/v2/group", auth: wireBearer, reply: wireReplyGroup,
			body: `{"name":"Night Owls","description":"We play late.","lang_tag":"en","avatar_url":"https://cdn.example.com/owl.png",
				"open":true,"max_count":50}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.CreateGroup(ctx, s, "Night Owls", &nakama.CreateGroupOptions{Description: "We play late.", LangTag: "en",
					AvatarURL: "https://cdn.example.com/owl.png", Open: true, MaxCount: 50})
			}},
		{name: "UpdateGroup", method: "PUT", path: "/v2/group/" + wireGroupPath, auth: wireBearer, reply: wireReplyEmpty,
			body: `{"name":"Early Birds","open":false}`, // the group id travels in the path only
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.UpdateGroup(ctx, s, wireGroupID, &nakama.UpdateGroupOptions{Name: nakama.Ptr("Early Birds"), Open: nakama.Ptr(false)})
			}},
		{name: "DeleteGroup", method: "DELETE", path: "/v2/group/" + wireGroupPath, auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.DeleteGroup(ctx, s, wireGroupID) }},
		{name: "JoinGroup", method: "POST", path: "/v2/group/" + wireGroupPath + "/join", auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.JoinGroup(ctx, s, wireGroupID) }},
		{name: "LeaveGroup", method: "POST", path: "/v2/group/" + wireGroupPath + "/leave", auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.LeaveGroup(ctx, s, wireGroupID) }},
		{name: "AddGroupUsers", method: "POST", path: "/v2/group/" + wireGroupPath + "/add", auth: wireBearer, reply: wireReplyEmpty,
			query: q("user_ids", "u-2", "user_ids", "u-3"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.AddGroupUsers(ctx, s, wireGroupID, []string{"u-2", "u-3"})
			}},
		{name: "BanGroupUsers", method: "POST", path: "/v2/group/" + wireGroupPath + "/ban", auth: wireBearer, reply: wireReplyEmpty,
			query: q("user_ids", "u-4"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.BanGroupUsers(ctx, s, wireGroupID, []string{"u-4"})
			}},
		{name: "KickGroupUsers", method: "POST", path: "/v2/group/" + wireGroupPath + "/kick", auth: wireBearer, reply: wireReplyEmpty,
			query: q("user_ids", "u-4"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.KickGroupUsers(ctx, s, wireGroupID, []string{"u-4"})
			}},
		{name: "PromoteGroupUsers", method: "POST", path: "/v2/group/" + wireGroupPath + "/promote", auth: wireBearer, reply: wireReplyEmpty,
			query: q("user_ids", "u-2"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.PromoteGroupUsers(ctx, s, wireGroupID, []string{"u-2"})
			}},
		{name: "DemoteGroupUsers", method: "POST", path: "/v2/group/" + wireGroupPath + "/demote", auth: wireBearer, reply: wireReplyEmpty,
			query: q("user_ids", "u-2"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.DemoteGroupUsers(ctx, s, wireGroupID, []string{"u-2"})
			}},
		{name: "ListGroups", method: "GET", path: "/v2/group", auth: wireBearer, reply: wireReplyGroupList,
			query: q("name", "Night%", "cursor", "g-1", "limit", "5", "lang_tag", "en", "members", "10", "open", "true"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListGroups(ctx, s, &nakama.ListGroupsOptions{ListOptions: nakama.ListOptions{Limit: 5, Cursor: "g-1"},
					Name: "Night%", LangTag: "en", Members: 10, Open: nakama.Ptr(true)})
			}},
		{name: "ListGroupUsers", method: "GET", path: "/v2/group/" + wireGroupPath + "/user", auth: wireBearer, reply: wireReplyGroupUsers,
			query: q("limit", "100", "state", "3", "cursor", "gu-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListGroupUsers(ctx, s, wireGroupID, &nakama.ListGroupUsersOptions{ListOptions: nakama.ListOptions{Limit: 100, Cursor: "gu-1"},
					State: nakama.Ptr(api.GroupUserList_GroupUser_JOIN_REQUEST)})
			}},
		{name: "ListUserGroups", method: "GET", path: "/v2/user/" + wireUserID + "/group", auth: wireBearer, reply: wireReplyUserGroups,
			query: q("state", "0"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListUserGroups(ctx, s, wireUserID, &nakama.ListUserGroupsOptions{State: nakama.Ptr(api.UserGroupList_UserGroup_SUPERADMIN)})
			}},

		// Leaderboards and tournaments: ids with spaces and slashes, int64 as strings.
		{name: "WriteLeaderboardRecord", method: "POST", path: "/v2/leaderboard/weekly%20board", auth: wireBearer, reply: wireReplyRecord,
			body: `{"score":"9007199254740993","subscore":"7","metadata":"{\"map\":\"dunes\"}","operator":"INCREMENT"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.WriteLeaderboardRecord(ctx, s, "weekly board", 9007199254740993,
					&nakama.WriteRecordOptions{Subscore: 7, Metadata: `{"map":"dunes"}`, Operator: api.Operator_INCREMENT})
			}},
		{name: "WriteLeaderboardRecord/nil options", method: "POST", path: "/v2/leaderboard/weekly%20board", auth: wireBearer,
			reply: wireReplyRecord, body: `{"score":"100"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.WriteLeaderboardRecord(ctx, s, "weekly board", 100, nil)
			}},
		{name: "DeleteLeaderboardRecord", method: "DELETE", path: "/v2/leaderboard/weekly%20board", auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.DeleteLeaderboardRecord(ctx, s, "weekly board") }},
		{name: "ListLeaderboardRecords", method: "GET", path: "/v2/leaderboard/weekly%20board", auth: wireBearer, reply: wireReplyRecords,
			query: q("owner_ids", wireUserID, "owner_ids", "u-2", "limit", "3", "cursor", "n-1", "expiry", "1767225600"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListLeaderboardRecords(ctx, s, "weekly board", &nakama.ListRecordsOptions{
					ListOptions: nakama.ListOptions{Limit: 3, Cursor: "n-1"}, OwnerIDs: []string{wireUserID, "u-2"}, Expiry: 1767225600})
			}},
		{name: "ListLeaderboardRecordsAroundOwner", method: "GET", path: "/v2/leaderboard/weekly%20board/owner/owner%2F1",
			auth: wireBearer, reply: wireReplyRecords, query: q("limit", "4", "cursor", "a-1", "expiry", "1767225600"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListLeaderboardRecordsAroundOwner(ctx, s, "weekly board", "owner/1", &nakama.ListRecordsAroundOwnerOptions{
					ListOptions: nakama.ListOptions{Limit: 4, Cursor: "a-1"}, Expiry: 1767225600})
			}},
		{name: "ListTournaments", method: "GET", path: "/v2/tournament", auth: wireBearer, reply: wireReplyTournaments,
			query: q("category_start", "0", "category_end", "10", "start_time", "1767225600", "end_time", "1767830400", "limit", "10", "cursor", "t-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListTournaments(ctx, s, &nakama.ListTournamentsOptions{ListOptions: nakama.ListOptions{Limit: 10, Cursor: "t-1"},
					CategoryStart: nakama.Ptr[uint32](0), CategoryEnd: nakama.Ptr[uint32](10),
					StartTime: nakama.Ptr[uint32](1767225600), EndTime: nakama.Ptr[uint32](1767830400)})
			}},
		{name: "JoinTournament", method: "POST", path: "/v2/tournament/weekend%20cup/join", auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.JoinTournament(ctx, s, "weekend cup") }},
		{name: "WriteTournamentRecord", method: "PUT", path: "/v2/tournament/weekend%20cup", auth: wireBearer, reply: wireReplyRecord,
			body: `{"score":"-42","subscore":"9007199254740993","operator":"DECREMENT"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.WriteTournamentRecord(ctx, s, "weekend cup", -42, &nakama.WriteRecordOptions{Subscore: 9007199254740993, Operator: api.Operator_DECREMENT})
			}},
		{name: "DeleteTournamentRecord", method: "DELETE", path: "/v2/tournament/weekend%20cup", auth: wireBearer, reply: wireReplyEmpty,
			call: func(ctx ctx, c cl, s ses) (any, error) { return nil, c.DeleteTournamentRecord(ctx, s, "weekend cup") }},
		{name: "ListTournamentRecords", method: "GET", path: "/v2/tournament/weekend%20cup", auth: wireBearer, reply: wireReplyTournamentRecords,
			query: q("owner_ids", wireUserID, "limit", "50"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListTournamentRecords(ctx, s, "weekend cup", &nakama.ListRecordsOptions{ListOptions: nakama.ListOptions{Limit: 50},
					OwnerIDs: []string{wireUserID}})
			}},
		{name: "ListTournamentRecordsAroundOwner", method: "GET", path: "/v2/tournament/weekend%20cup/owner/" + wireUserID,
			auth: wireBearer, reply: wireReplyTournamentRecords, query: q("limit", "2", "cursor", "x-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListTournamentRecordsAroundOwner(ctx, s, "weekend cup", wireUserID,
					&nakama.ListRecordsAroundOwnerOptions{ListOptions: nakama.ListOptions{Limit: 2, Cursor: "x-1"}})
			}},

		// Notifications, chat, matches, parties, events.
		{name: "ListNotifications", method: "GET", path: "/v2/notification", auth: wireBearer, reply: wireReplyNotifications,
			query: q("limit", "50", "cacheable_cursor", "cc-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListNotifications(ctx, s, &nakama.ListNotificationsOptions{Limit: 50, CacheableCursor: "cc-1"})
			}},
		{name: "DeleteNotifications", method: "DELETE", path: "/v2/notification", auth: wireBearer, reply: wireReplyEmpty,
			query: q("ids", "n-1", "ids", "n-2"),
			call:  func(ctx ctx, c cl, s ses) (any, error) { return nil, c.DeleteNotifications(ctx, s, "n-1", "n-2") }},
		{name: "ListChannelMessages", method: "GET", path: "/v2/channel/2...lobby", auth: wireBearer, reply: wireReplyMessages,
			query: q("limit", "25", "forward", "false", "cursor", "m-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListChannelMessages(ctx, s, "2...lobby", &nakama.ListChannelMessagesOptions{
					ListOptions: nakama.ListOptions{Limit: 25, Cursor: "m-1"}, Backward: true})
			}},
		{name: "ListMatches", method: "GET", path: "/v2/match", auth: wireBearer, reply: wireReplyMatches,
			query: q("limit", "10", "authoritative", "true", "label", "ranked", "min_size", "0", "max_size", "4", "query", "+label.mode:ranked"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListMatches(ctx, s, &nakama.ListMatchesOptions{Limit: 10, Authoritative: nakama.Ptr(true), Label: "ranked",
					MinSize: nakama.Ptr[int32](0), MaxSize: nakama.Ptr[int32](4), Query: "+label.mode:ranked"})
			}},
		{name: "ListParties", method: "GET", path: "/v2/party", auth: wireBearer, reply: wireReplyParties,
			query: q("limit", "5", "open", "true", "query", "*", "cursor", "pc-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListParties(ctx, s, &nakama.ListPartiesOptions{ListOptions: nakama.ListOptions{Limit: 5, Cursor: "pc-1"},
					Open: nakama.Ptr(true), Query: "*"})
			}},
		{name: "GetMatchmakerStats", method: "GET", path: "/v2/matchmaker/stats", auth: wireBearer, reply: wireReplyMatchmakerStats,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.GetMatchmakerStats(ctx, s) }},
		{name: "Event", method: "POST", path: "/v2/event", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"name":"level_complete","properties":{"level":"3","time":"81.5"}}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.Event(ctx, s, "level_complete", map[string]string{"level": "3", "time": "81.5"})
			}},

		// RPC: the payload is a JSON string in the body.
		{name: "RpcFunc", method: "POST", path: "/v2/rpc/reward%2Fclaim", auth: wireBearer, reply: wireReplyRpc,
			body: `"{\"day\":3}"`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.RpcFunc(ctx, s, "reward/claim", `{"day":3}`) }},
		{name: "RpcFuncHTTPKey", method: "POST", path: "/v2/rpc/reward%2Fclaim", auth: wireKeyAuth, reply: wireReplyRpc,
			query: q("http_key", wireHTTPKey), body: `"{\"day\":3}"`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.RpcFuncHTTPKey(ctx, wireHTTPKey, "reward/claim", `{"day":3}`)
			}},

		// Purchases and subscriptions.
		{name: "ValidatePurchaseApple", method: "POST", path: "/v2/iap/purchase/apple", auth: wireBearer, reply: wireReplyPurchases,
			body: `{"receipt":"MIIT0wYJKoZIhvcNAQcCoIITxDCC","persist":false}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ValidatePurchaseApple(ctx, s, "MIIT0wYJKoZIhvcNAQcCoIITxDCC", &nakama.ValidatePurchaseOptions{DontPersist: true})
			}},
		{name: "ValidatePurchaseGoogle", method: "POST", path: "/v2/iap/purchase/google", auth: wireBearer, reply: wireReplyPurchases,
			body: `{"purchase":"{\"orderId\":\"GPA.1234\"}"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ValidatePurchaseGoogle(ctx, s, `{"orderId":"GPA.1234"}`, nil)
			}},
		{name: "ValidatePurchaseHuawei", method: "POST", path: "/v2/iap/purchase/huawei", auth: wireBearer, reply: wireReplyPurchases,
			body: `{"purchase":"{\"orderId\":\"H1\"}","signature":"c2lnbmF0dXJl"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ValidatePurchaseHuawei(ctx, s, `{"orderId":"H1"}`, "c2lnbmF0dXJl", nil)
			}},
		{name: "ValidatePurchaseFacebookInstant", method: "POST", path: "/v2/iap/purchase/facebookinstant", auth: wireBearer,
			reply: wireReplyPurchases, body: `{"signed_request":"sig.eyJwYXltZW50SUQiOiIxIn0","persist":false}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ValidatePurchaseFacebookInstant(ctx, s, "sig.eyJwYXltZW50SUQiOiIxIn0", &nakama.ValidatePurchaseOptions{DontPersist: true})
			}},
		{name: "ValidatePurchaseSamsung", method: "POST", path: "/v2/iap/purchase/samsung", auth: wireBearer, reply: wireReplyPurchases,
			body: `{"purchase_id":"a1b2c3d4e5f6"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.ValidatePurchaseSamsung(ctx, s, "a1b2c3d4e5f6", nil) }},
		{name: "ValidateSubscriptionApple", method: "POST", path: "/v2/iap/subscription/apple", auth: wireBearer,
			reply: wireReplySubscriptionResponse, body: `{"receipt":"MIIT0wYJKoZIhvcNAQcCoIITxDCC"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ValidateSubscriptionApple(ctx, s, "MIIT0wYJKoZIhvcNAQcCoIITxDCC", nil)
			}},
		{name: "ValidateSubscriptionGoogle", method: "POST", path: "/v2/iap/subscription/google", auth: wireBearer,
			reply: wireReplySubscriptionResponse, body: `{"receipt":"{\"orderId\":\"GPA.5678\"}","persist":false}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ValidateSubscriptionGoogle(ctx, s, `{"orderId":"GPA.5678"}`, &nakama.ValidatePurchaseOptions{DontPersist: true})
			}},
		{name: "GetSubscription", method: "GET", path: "/v2/iap/subscription/com.example.monthly", auth: wireBearer, reply: wireReplySubscription,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.GetSubscription(ctx, s, "com.example.monthly") }},
		{name: "ListSubscriptions", method: "POST", path: "/v2/iap/subscription", auth: wireBearer, reply: wireReplySubscriptionList,
			body: `{"limit":10,"cursor":"s-1"}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListSubscriptions(ctx, s, &nakama.ListOptions{Limit: 10, Cursor: "s-1"})
			}},

		// Storage.
		{name: "ReadStorageObjects", method: "POST", path: "/v2/storage", auth: wireBearer, reply: wireReplyObjects,
			body: `{"object_ids":[{"collection":"saves","key":"slot1","user_id":"` + wireUserID + `"},{"collection":"config","key":"global"}]}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ReadStorageObjects(ctx, s, nakama.StorageObjectID{Collection: "saves", Key: "slot1", UserID: wireUserID},
					nakama.StorageObjectID{Collection: "config", Key: "global"})
			}},
		{name: "WriteStorageObjects", method: "PUT", path: "/v2/storage", auth: wireBearer, reply: wireReplyAcks,
			body: `{"objects":[{"collection":"saves","key":"slot1","value":"{\"hp\":10}","version":"*","permission_read":2,"permission_write":0},
				{"collection":"saves","key":"slot2","value":"{}"}]}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.WriteStorageObjects(ctx, s,
					nakama.StorageObjectWrite{Collection: "saves", Key: "slot1", Value: `{"hp":10}`, Version: "*",
						PermissionRead: nakama.Ptr[int32](2), PermissionWrite: nakama.Ptr[int32](0)},
					nakama.StorageObjectWrite{Collection: "saves", Key: "slot2", Value: `{}`})
			}},
		{name: "DeleteStorageObjects", method: "PUT", path: "/v2/storage/delete", auth: wireBearer, reply: wireReplyEmpty,
			body: `{"object_ids":[{"collection":"saves","key":"slot1","version":"2d4f6a8c0e"},{"collection":"saves","key":"slot2"}]}`,
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return nil, c.DeleteStorageObjects(ctx, s, nakama.StorageObjectID{Collection: "saves", Key: "slot1", Version: "2d4f6a8c0e"},
					nakama.StorageObjectID{Collection: "saves", Key: "slot2"})
			}},
		{name: "ListStorageObjects", method: "GET", path: "/v2/storage/saves", auth: wireBearer, reply: wireReplyObjectList,
			query: q("user_id", wireUserID, "limit", "10", "cursor", "o-1"),
			call: func(ctx ctx, c cl, s ses) (any, error) {
				return c.ListStorageObjects(ctx, s, "saves", &nakama.ListStorageObjectsOptions{
					ListOptions: nakama.ListOptions{Limit: 10, Cursor: "o-1"}, UserID: wireUserID})
			}},
		{name: "ListStorageObjects/nil options", method: "GET", path: "/v2/storage/my%20saves", auth: wireBearer, reply: wireReplyObjectList,
			call: func(ctx ctx, c cl, s ses) (any, error) { return c.ListStorageObjects(ctx, s, "my saves", nil) }},
	}
}

// wireRequest is what the test server saw of one request.
type wireRequest struct {
	method, path, rawQuery string // path and query as sent, escaped
	query                  url.Values
	header                 http.Header
	body                   []byte
}

// wireServer is an httptest server whose API is mounted under wirePrefix. It
// answers every request under the prefix with reply and records it; anything
// else gets a 404.
type wireServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []wireRequest
}

func wireNewServer(t *testing.T, status int, reply string) *wireServer {
	t.Helper()
	ws := &wireServer{}
	mux := http.NewServeMux()
	mux.HandleFunc(wirePrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		path, _, _ := strings.Cut(r.RequestURI, "?")
		ws.mu.Lock()
		ws.seen = append(ws.seen, wireRequest{method: r.Method, path: path, rawQuery: r.URL.RawQuery,
			query: r.URL.Query(), header: r.Header.Clone(), body: body})
		ws.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ws.mu.Lock()
		ws.seen = append(ws.seen, wireRequest{method: r.Method, path: r.RequestURI})
		ws.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"code":5,"message":"Not Found: the request missed the path prefix"}`)
	})
	ws.Server = httptest.NewServer(mux)
	t.Cleanup(ws.Close)
	return ws
}

func (ws *wireServer) requests() []wireRequest {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]wireRequest(nil), ws.seen...)
}

// wireClient returns a client for ws, under its prefix, without retries.
func wireClient(t *testing.T, ws *wireServer) *nakama.DefaultClient {
	t.Helper()
	c, err := nakama.NewClient(ws.URL+wirePrefix, wireServerKey, &nakama.ClientOptions{DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wireJSONEqual compares two JSON texts as values, numbers exactly.
func wireJSONEqual(a, b []byte) (bool, error) {
	parse := func(b []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		if d.More() {
			return nil, fmt.Errorf("trailing data after JSON value")
		}
		return v, nil
	}
	va, err := parse(a)
	if err != nil {
		return false, fmt.Errorf("%q: %w", a, err)
	}
	vb, err := parse(b)
	if err != nil {
		return false, fmt.Errorf("%q: %w", b, err)
	}
	return reflect.DeepEqual(va, vb), nil
}

func wireCheckRequest(t *testing.T, c wireCase, r wireRequest) {
	t.Helper()
	if r.method != c.method {
		t.Errorf("method %s, want %s", r.method, c.method)
	}
	if want := wirePrefix + c.path; r.path != want {
		t.Errorf("path %s, want %s", r.path, want)
	}
	want := c.query
	if want == nil {
		want = url.Values{}
	}
	if !reflect.DeepEqual(r.query, want) {
		t.Errorf("query %v (%q), want %v", r.query, r.rawQuery, want)
	}
	if c.body == "" {
		if len(r.body) != 0 {
			t.Errorf("body %q, want none", r.body)
		}
	} else {
		if eq, err := wireJSONEqual(r.body, []byte(c.body)); err != nil {
			t.Errorf("body: %v", err)
		} else if !eq {
			t.Errorf("body %s\nwant %s", r.body, c.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
	}
	authz := r.header.Values("Authorization")
	switch c.auth {
	case wireNoAuth, wireKeyAuth:
		if len(authz) != 0 {
			t.Errorf("Authorization %q, want none", authz)
		}
	case wireBasic:
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(wireServerKey+":"))
		if len(authz) != 1 || authz[0] != want {
			t.Errorf("Authorization %q, want %q (the server key, empty password)", authz, want)
		}
	case wireBearer:
		if len(authz) != 1 || authz[0] != "Bearer "+wireToken {
			t.Errorf("Authorization %q, want Bearer and the session token", authz)
		}
	}
	if c.auth != wireKeyAuth && r.query.Has("http_key") {
		t.Errorf("http_key in the query of a %s call", c.name)
	}
	if ua := r.header.Get("User-Agent"); ua != "gonakama/"+nakama.Version {
		t.Errorf("User-Agent %q, want gonakama/%s", ua, nakama.Version)
	}
}

func wireCheckResult(t *testing.T, c wireCase, got any) {
	t.Helper()
	switch want := c.reply.want.(type) {
	case nil:
		if got != nil {
			t.Errorf("returned %v, want nothing", got)
		}
	case *api.Session:
		s, ok := got.(*nakama.Session)
		if !ok || s == nil {
			t.Fatalf("returned %T, want a *nakama.Session", got)
		}
		if s.Token() != want.Token || s.RefreshToken() != want.RefreshToken {
			t.Error("the session does not hold the tokens the server sent")
		}
		if s.Created() != want.Created && !strings.HasPrefix(c.name, "SessionRefresh") {
			t.Errorf("Created() = %v, want %v", s.Created(), want.Created)
		}
		if s.UserID() != wireUserID || s.Username() != wireUsername {
			t.Errorf("session user %q (%q), want %q (%q)", s.UserID(), s.Username(), wireUserID, wireUsername)
		}
		if v := s.Vars(); v["lang"] != "fr" {
			t.Errorf("session vars %v, want those of the new token", v)
		}
		if s.Expired() || s.ExpiresWithin(time.Hour) {
			t.Errorf("session expires at %v, want about two hours from now", s.ExpiresAt())
		}
	default:
		m, ok := got.(proto.Message)
		if !ok {
			t.Fatalf("returned %T, want %T", got, want)
		}
		if !proto.Equal(m, want) {
			t.Errorf("decoded answer\n%s\nwant\n%s", protojson.Format(m), protojson.Format(want))
		}
	}
}

// TestWire calls every Client method and checks the request and the decoded
// answer.
func TestWire(t *testing.T) {
	for _, c := range wireCases() {
		t.Run(c.name, func(t *testing.T) {
			ws := wireNewServer(t, http.StatusOK, c.reply.json)
			client := wireClient(t, ws)
			got, err := c.call(t.Context(), client, wireSession(t))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			reqs := ws.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests reached the server, want 1: %+v", len(reqs), reqs)
			}
			wireCheckRequest(t, c, reqs[0])
			wireCheckResult(t, c, got)
		})
	}
}

// TestWireCoversClient fails when a Client method has no wire case, so a new
// method cannot arrive untested.
func TestWireCoversClient(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range wireCases() {
		name, _, _ := strings.Cut(c.name, "/")
		covered[name] = true
	}
	ct := reflect.TypeFor[nakama.Client]()
	n := 0
	for m := range ct.Methods() {
		n++
		if !covered[m.Name] {
			t.Errorf("Client.%s has no wire case", m.Name)
		}
		delete(covered, m.Name)
	}
	for name := range covered {
		t.Errorf("wire case %s names no Client method", name)
	}
	t.Logf("%d Client methods covered", n)
}

// TestWireServerError checks that an error answer reaches the caller of
// every method as the server's *Error, wrapped with the method's operation.
func TestWireServerError(t *testing.T) {
	for _, c := range wireCases() {
		if strings.Contains(c.name, "/") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ws := wireNewServer(t, http.StatusNotFound, `{"code":5,"message":"Not found.","details":[]}`)
			_, err := c.call(t.Context(), wireClient(t, ws), wireSession(t))
			var e *nakama.Error
			if !errors.As(err, &e) || e.Code != nakama.NotFound || e.Message != "Not found." || e.HTTPStatus != http.StatusNotFound {
				t.Fatalf("error %v, want the server's NotFound", err)
			}
			var oe *nakama.OpError
			if !errors.As(err, &oe) || oe.Op != c.name && !(c.name == "RpcFuncHTTPKey" && oe.Op == "RpcFunc") {
				t.Errorf("error %v does not name the operation", err)
			}
		})
	}
}
