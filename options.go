package nakama

import (
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Ptr returns a pointer to v, for the option fields where the zero value is
// meaningful and nil means "leave it to the server".
func Ptr[T any](v T) *T { return &v }

// ListOptions pages through a list. The zero value asks for the server's
// default page size from the start.
type ListOptions struct {
	// Limit is the page size; 0 leaves it to the server (usually 10 or 100,
	// at most 100 or 1000 depending on the list).
	Limit int
	// Cursor continues from where a previous page's Cursor left off.
	Cursor string
}

// AuthenticateOptions are the optional parameters of the Authenticate
// methods. The zero value creates the account when it does not exist.
//
// An Authenticate call that may create the account is resent only when the
// failure proves nothing reached the server (SafeToRetry), never after a
// failure that may have followed the server's work (a lost answer, a 503):
// the resent call would find the account made and answer Created() false.
// With NoCreate the call only reads, and is retried like other idempotent
// calls.
type AuthenticateOptions struct {
	// Username is the username for a new account; empty lets the server
	// generate one. It is ignored for an existing account.
	Username string
	// NoCreate fails with NotFound when no account has the identity, instead
	// of creating one.
	NoCreate bool
	// Vars are session variables, carried in the token and readable by
	// server code.
	Vars map[string]string
	// Sync imports the user's friends from the provider (Facebook and Steam
	// only).
	Sync bool
}

// LinkOptions are the optional parameters of LinkFacebook and LinkSteam.
type LinkOptions struct {
	// Sync imports the user's friends from the provider.
	Sync bool
}

// GameCenter is the identity proof Apple's Game Center gives a player, as
// the server verifies it.
type GameCenter struct {
	PlayerID     string
	BundleID     string
	Timestamp    int64 // seconds since the epoch, as Game Center gives it
	Salt         string
	Signature    string
	PublicKeyURL string
}

// UpdateAccountOptions lists the account fields to change; nil fields stay
// as they are. An empty string clears a field (the username cannot be
// cleared).
type UpdateAccountOptions struct {
	Username    *string
	DisplayName *string
	AvatarURL   *string
	LangTag     *string
	Location    *string
	Timezone    *string
}

// AddFriendsOptions are the optional parameters of AddFriends.
type AddFriendsOptions struct {
	// Metadata is JSON stored with the friendship.
	Metadata string
}

// ListFriendsOptions are the optional parameters of ListFriends.
type ListFriendsOptions struct {
	ListOptions
	// State keeps only friends in that state (api.Friend_FRIEND,
	// api.Friend_INVITE_SENT, api.Friend_INVITE_RECEIVED, api.Friend_BLOCKED);
	// nil lists all.
	State *api.Friend_State
}

// ImportFriendsOptions are the optional parameters of ImportFacebookFriends
// and ImportSteamFriends.
type ImportFriendsOptions struct {
	// Reset removes the user's friends before importing.
	Reset bool
}

// CreateGroupOptions are the optional parameters of CreateGroup.
type CreateGroupOptions struct {
	Description string
	LangTag     string
	AvatarURL   string
	// Open lets users join without an invitation or an accepted request.
	Open bool
	// MaxCount is the maximum number of members; 0 leaves the server's
	// default (100).
	MaxCount int
}

// UpdateGroupOptions lists the group fields to change; nil fields stay as
// they are.
type UpdateGroupOptions struct {
	Name        *string
	Description *string
	LangTag     *string
	AvatarURL   *string
	Open        *bool
}

// ListGroupsOptions are the optional parameters of ListGroups.
type ListGroupsOptions struct {
	ListOptions
	// Name filters by name; a trailing % matches a prefix.
	Name    string
	LangTag string
	// Members keeps groups with at most this many members; 0: no filter.
	Members int
	// Open keeps only open (true) or closed (false) groups; nil: both.
	Open *bool
}

// ListGroupUsersOptions are the optional parameters of ListGroupUsers.
type ListGroupUsersOptions struct {
	ListOptions
	// State keeps only members in that state (api.GroupUserList_GroupUser_SUPERADMIN,
	// _ADMIN, _MEMBER, _JOIN_REQUEST); nil lists all.
	State *api.GroupUserList_GroupUser_State
}

// ListUserGroupsOptions are the optional parameters of ListUserGroups.
type ListUserGroupsOptions struct {
	ListOptions
	// State keeps only groups where the user is in that state; nil lists all.
	State *api.UserGroupList_UserGroup_State
}

// WriteRecordOptions are the optional parameters of WriteLeaderboardRecord
// and WriteTournamentRecord.
type WriteRecordOptions struct {
	Subscore int64
	// Metadata is JSON stored with the record.
	Metadata string
	// Operator overrides the leaderboard's operator for this write, where the
	// server allows it; the zero value keeps the leaderboard's.
	Operator api.Operator
}

// ListRecordsOptions are the optional parameters of ListLeaderboardRecords
// and ListTournamentRecords.
type ListRecordsOptions struct {
	ListOptions
	// OwnerIDs also returns these owners' records, in OwnerRecords.
	OwnerIDs []string
	// Expiry lists the records of the reset period that expires at this time
	// (seconds since the epoch); 0 means the current period.
	Expiry int64
}

// ListRecordsAroundOwnerOptions are the optional parameters of
// ListLeaderboardRecordsAroundOwner and ListTournamentRecordsAroundOwner.
type ListRecordsAroundOwnerOptions struct {
	ListOptions
	// Expiry: see ListRecordsOptions.
	Expiry int64
}

// ListTournamentsOptions are the optional parameters of ListTournaments.
// Nil fields leave the server's defaults (categories 0 to 127, tournaments
// that are active or upcoming).
type ListTournamentsOptions struct {
	ListOptions
	CategoryStart *uint32
	CategoryEnd   *uint32
	// StartTime and EndTime bound the tournaments' times, in seconds since
	// the epoch.
	StartTime *uint32
	EndTime   *uint32
}

// StorageObjectID names a storage object. UserID is the owner, for a read:
// empty means the system user (objects written by server code with no
// owner), so name the session's user to read its own objects. A delete
// always acts on the session's user's objects; Version, for a delete, makes
// it conditional on the object's current version.
type StorageObjectID struct {
	Collection string
	Key        string
	UserID     string
	Version    string
}

// StorageObjectWrite is one object to write.
type StorageObjectWrite struct {
	Collection string
	Key        string
	// Value is a JSON object.
	Value string
	// Version makes the write conditional: "*" writes only if the object does
	// not exist; another value only if it is the object's current version.
	Version string
	// PermissionRead: 0 no read, 1 owner read, 2 public read. nil: 1.
	PermissionRead *int32
	// PermissionWrite: 0 no write, 1 owner write. nil: 1.
	PermissionWrite *int32
}

// ListStorageObjectsOptions are the optional parameters of ListStorageObjects.
type ListStorageObjectsOptions struct {
	ListOptions
	// UserID lists that user's objects (only the public ones, unless it is
	// the session's user); empty lists every user's public objects.
	UserID string
}

// ListNotificationsOptions are the optional parameters of ListNotifications.
type ListNotificationsOptions struct {
	// Limit is the page size; 0: the server's default.
	Limit int
	// CacheableCursor continues after the notifications already seen: pass
	// the previous list's CacheableCursor.
	CacheableCursor string
}

// ListChannelMessagesOptions are the optional parameters of
// ListChannelMessages.
type ListChannelMessagesOptions struct {
	ListOptions
	// Backward lists newest first; by default messages come oldest first.
	Backward bool
}

// ListMatchesOptions are the optional parameters of ListMatches.
type ListMatchesOptions struct {
	Limit         int
	Authoritative *bool
	Label         string
	MinSize       *int32
	MaxSize       *int32
	// Query is a search query on authoritative match labels.
	Query string
}

// ListPartiesOptions are the optional parameters of ListParties.
type ListPartiesOptions struct {
	ListOptions
	Open  *bool
	Query string
}

// ValidatePurchaseOptions are the optional parameters of the purchase and
// subscription validation methods.
type ValidatePurchaseOptions struct {
	// DontPersist skips storing the purchase, so replays are not detected.
	DontPersist bool
}

func (o *ValidatePurchaseOptions) persist() *wrapperspb.BoolValue {
	if o != nil && o.DontPersist {
		return wrapperspb.Bool(false)
	}
	return nil
}

// small helpers that turn Go values into the wrapper types of requests.

func optString(p *string) *wrapperspb.StringValue {
	if p == nil {
		return nil
	}
	return wrapperspb.String(*p)
}

func optBool(p *bool) *wrapperspb.BoolValue {
	if p == nil {
		return nil
	}
	return wrapperspb.Bool(*p)
}

func optInt32(p *int32) *wrapperspb.Int32Value {
	if p == nil {
		return nil
	}
	return wrapperspb.Int32(*p)
}

func optUint32(p *uint32) *wrapperspb.UInt32Value {
	if p == nil {
		return nil
	}
	return wrapperspb.UInt32(*p)
}

func limit32(n int) *wrapperspb.Int32Value {
	if n == 0 {
		return nil
	}
	return wrapperspb.Int32(int32(n))
}

func limitU32(n int) *wrapperspb.UInt32Value {
	if n == 0 {
		return nil
	}
	return wrapperspb.UInt32(uint32(n))
}

func expiry64(n int64) *wrapperspb.Int64Value {
	if n == 0 {
		return nil
	}
	return wrapperspb.Int64(n)
}

func optState[E ~int32](p *E) *wrapperspb.Int32Value {
	if p == nil {
		return nil
	}
	return wrapperspb.Int32(int32(*p))
}

func (o *ImportFriendsOptions) reset() *wrapperspb.BoolValue {
	if o != nil && o.Reset {
		return wrapperspb.Bool(true)
	}
	return nil
}

func optNonEmpty(s string) *wrapperspb.StringValue {
	if s == "" {
		return nil
	}
	return wrapperspb.String(s)
}
