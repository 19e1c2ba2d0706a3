package nakamatest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// moduleNK is the runtime.NakamaModule modules receive. Its methods act on
// the server's state the way the server's runtime functions do, mostly by
// running the API operation's handler as the given user (runtime calls
// never run hooks, as on the server). The methods it does not model are
// in runtime_gen.go and fail with ErrNotModelled. It is safe for
// concurrent use.
type moduleNK struct{ s *Server }

// moduleSatori and moduleFleetManager are what GetSatori and
// GetFleetManager return: every method fails with ErrNotModelled.
type (
	moduleSatori       struct{}
	moduleFleetManager struct{}
)

// opAs runs the named operation's handler for userID ("" for the system),
// and returns its answer as Resp.
func opAs[Resp proto.Message](ctx context.Context, nk *moduleNK, name, userID string, req proto.Message) (Resp, error) {
	var zero Resp
	rt := nk.s.byName[name]
	c := &call{op: rt.op}
	if userID != "" {
		id, ok := parseUUID(userID)
		if !ok {
			return zero, errors.New("expects user ID to be a valid identifier")
		}
		nk.s.mu.Lock()
		u := nk.s.st.users[id]
		if u != nil {
			c.userID, c.username = u.id, u.username
		}
		nk.s.mu.Unlock()
		if u == nil {
			return zero, errors.New("user ID not found")
		}
	}
	resp, err := rt.h(ctx, c, req)
	if err != nil {
		return zero, asRuntimeErr(err)
	}
	return resp.(Resp), nil
}

// runtimeErrs are the errors the server's runtime returns where its API
// answers with the message: the API maps the same core errors to them.
var runtimeErrs = map[string]error{
	"Leaderboard not found.": runtime.ErrLeaderboardNotFound,
	"Tournament not found.":  runtime.ErrTournamentNotFound,
	"Tournament cannot be joined as it has reached its max size.": runtime.ErrTournamentMaxSizeReached,
	"Tournament has reached max size.":                            runtime.ErrTournamentMaxSizeReached,
	"Tournament is not active and cannot accept new joins.":       runtime.ErrTournamentOutsideDuration,
	"Tournament is not active and cannot accept new scores.":      runtime.ErrTournamentOutsideDuration,
	"Tournament has ended.":                                       runtime.ErrTournamentOutsideDuration,
	"Tournament only allows authoritative score submissions.":     runtime.ErrTournamentAuthoritative,
	"Reached allowed max number of score attempts.":               runtime.ErrTournamentWriteMaxNumScoreReached,
	"Must join tournament before attempting to write value.":      runtime.ErrTournamentWriteJoinRequired,
	"Storage write rejected - version check failed.":              runtime.ErrStorageRejectedVersion,
	"Storage write rejected - permission denied.":                 runtime.ErrStorageRejectedPermission,
	"Group name is in use.":                                       runtime.ErrGroupNameInUse,
	"Group not found.":                                            runtime.ErrGroupNotFound,
	"Group is full.":                                              runtime.ErrGroupFull,
	"Cannot leave group when you are the last superadmin.":        runtime.ErrGroupLastSuperadmin,
}

// asRuntimeErr turns an error of the API's handlers or the direct API into
// the one the runtime's method returns on the server, so that a module
// sees (and passes on to its clients) the same error: a plain error, which
// reaches a client as Internal with its text.
func asRuntimeErr(err error) error {
	var e *Error
	if errors.As(err, &e) {
		if re := runtimeErrs[e.Message]; re != nil {
			return re
		}
	}
	return err
}

func jsonString(v map[string]any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cannot encode to JSON: %w", err)
	}
	return string(b), nil
}

// Authentication.

func (nk *moduleNK) sessionUser(s *api.Session, err error) (string, string, bool, error) {
	if err != nil {
		return "", "", false, err
	}
	claims, _ := parseToken(nk.s.opts.EncryptionKey, s.Token, nk.s.clock.now())
	return claims.UserID, claims.Username, s.Created, nil
}

// AuthenticateCustom finds or creates the user with a custom id.
func (nk *moduleNK) AuthenticateCustom(ctx context.Context, id, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateCustom", "", &api.AuthenticateCustomRequest{
		Account: &api.AccountCustom{Id: id}, Username: username, Create: wrapperspb.Bool(create)}))
}

// AuthenticateDevice finds or creates the user with a device id.
func (nk *moduleNK) AuthenticateDevice(ctx context.Context, id, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateDevice", "", &api.AuthenticateDeviceRequest{
		Account: &api.AccountDevice{Id: id}, Username: username, Create: wrapperspb.Bool(create)}))
}

// AuthenticateEmail finds or creates the user with an email and password.
func (nk *moduleNK) AuthenticateEmail(ctx context.Context, email, password, username string, create bool) (string, string, bool, error) {
	return nk.sessionUser(opAs[*api.Session](ctx, nk, "AuthenticateEmail", "", &api.AuthenticateEmailRequest{
		Account: &api.AccountEmail{Email: email, Password: password}, Username: username, Create: wrapperspb.Bool(create)}))
}

// AuthenticateTokenGenerate issues a session token for the user, valid
// until exp (unix seconds; 0 means the configured token lifetime).
func (nk *moduleNK) AuthenticateTokenGenerate(userID, username string, exp int64, vars map[string]string) (string, int64, error) {
	id, ok := parseUUID(userID)
	if userID == "" || !ok {
		return "", 0, errors.New("expects user id")
	}
	if username == "" {
		return "", 0, errors.New("expects username")
	}
	now := nk.s.clock.now().Unix()
	if exp == 0 {
		exp = now + nk.s.tokenLifetime()
	}
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[id]
	if u == nil {
		return "", 0, errors.New("user ID not found")
	}
	tokenID := s.rand.uuid()
	token := signToken(s.opts.EncryptionKey, sessionClaims{TokenID: tokenID, UserID: id, Username: username, Vars: vars,
		ExpiresAt: exp, IssuedAt: now})
	return token, exp, nil
}

// Accounts and users.

// AccountGetId returns the user's account.
func (nk *moduleNK) AccountGetId(ctx context.Context, userID string) (*api.Account, error) {
	id, ok := parseUUID(userID)
	if !ok {
		return nil, errors.New("invalid user id")
	}
	if _, ok := nk.s.User(id); !ok {
		return nil, errors.New("account not found")
	}
	return opAs[*api.Account](ctx, nk, "GetAccount", id, &emptypb.Empty{})
}

// AccountsGetId returns the accounts of the users that exist.
func (nk *moduleNK) AccountsGetId(ctx context.Context, userIDs, deviceIDs []string) ([]*api.Account, error) {
	var out []*api.Account
	for _, id := range userIDs {
		if a, ok := nk.s.Account(id); ok {
			out = append(out, a)
		} else if _, valid := parseUUID(id); !valid {
			return nil, errors.New("each user id must be a valid id string")
		}
	}
	return out, nil
}

// AccountUpdateId updates the fields that are not empty.
func (nk *moduleNK) AccountUpdateId(ctx context.Context, userID, username string, metadata map[string]any, displayName, timezone, location, langTag, avatarUrl string) error {
	req := &api.UpdateAccountRequest{}
	set := func(v string) *wrapperspb.StringValue {
		if v == "" {
			return nil
		}
		return wrapperspb.String(v)
	}
	req.Username, req.DisplayName, req.Timezone = set(username), set(displayName), set(timezone)
	req.Location, req.LangTag, req.AvatarUrl = set(location), set(langTag), set(avatarUrl)
	if _, err := opAs[*emptypb.Empty](ctx, nk, "UpdateAccount", userID, req); err != nil {
		return err
	}
	if metadata != nil {
		md, err := jsonbOf(metadata)
		if err != nil {
			return err
		}
		nk.s.mu.Lock()
		defer nk.s.mu.Unlock()
		if u := nk.s.lookupUser(userID); u != nil {
			u.metadata = md
		}
	}
	return nil
}

// AccountDeleteId deletes the user and everything it owns.
func (nk *moduleNK) AccountDeleteId(ctx context.Context, userID string, recorded bool) error {
	return nk.s.DeleteUser(userID)
}

// UsersGetId returns the users with these ids or Facebook ids.
func (nk *moduleNK) UsersGetId(ctx context.Context, userIDs []string, facebookIDs []string) ([]*api.User, error) {
	us, err := opAs[*api.Users](ctx, nk, "GetUsers", "", &api.GetUsersRequest{Ids: userIDs, FacebookIds: facebookIDs})
	if err != nil {
		return nil, err
	}
	return us.Users, nil
}

// UsersGetUsername returns the users with these usernames.
func (nk *moduleNK) UsersGetUsername(ctx context.Context, usernames []string) ([]*api.User, error) {
	us, err := opAs[*api.Users](ctx, nk, "GetUsers", "", &api.GetUsersRequest{Usernames: usernames})
	if err != nil {
		return nil, err
	}
	return us.Users, nil
}

// UsersBanId bans the users: their sessions end and they can no longer
// authenticate.
func (nk *moduleNK) UsersBanId(ctx context.Context, userIDs []string) error {
	for _, id := range userIDs {
		if err := nk.s.DisableUser(id); err != nil {
			return err
		}
	}
	return nil
}

// UsersUnbanId lifts the users' bans.
func (nk *moduleNK) UsersUnbanId(ctx context.Context, userIDs []string) error {
	for _, id := range userIDs {
		if err := nk.s.EnableUser(id); err != nil {
			return err
		}
	}
	return nil
}

// LinkCustom links a custom id to the user.
func (nk *moduleNK) LinkCustom(ctx context.Context, userID, customID string) error {
	_, err := opAs[*emptypb.Empty](ctx, nk, "LinkCustom", userID, &api.AccountCustom{Id: customID})
	return err
}

// LinkDevice links a device id to the user.
func (nk *moduleNK) LinkDevice(ctx context.Context, userID, deviceID string) error {
	_, err := opAs[*emptypb.Empty](ctx, nk, "LinkDevice", userID, &api.AccountDevice{Id: deviceID})
	return err
}

// LinkEmail links an email and password to the user.
func (nk *moduleNK) LinkEmail(ctx context.Context, userID, email, password string) error {
	_, err := opAs[*emptypb.Empty](ctx, nk, "LinkEmail", userID, &api.AccountEmail{Email: email, Password: password})
	return err
}

// UnlinkCustom removes the user's custom id.
func (nk *moduleNK) UnlinkCustom(ctx context.Context, userID, customID string) error {
	_, err := opAs[*emptypb.Empty](ctx, nk, "UnlinkCustom", userID, &api.AccountCustom{Id: customID})
	return err
}

// UnlinkDevice removes one of the user's device ids.
func (nk *moduleNK) UnlinkDevice(ctx context.Context, userID, deviceID string) error {
	_, err := opAs[*emptypb.Empty](ctx, nk, "UnlinkDevice", userID, &api.AccountDevice{Id: deviceID})
	return err
}

// UnlinkEmail removes the user's email.
func (nk *moduleNK) UnlinkEmail(ctx context.Context, userID, email string) error {
	_, err := opAs[*emptypb.Empty](ctx, nk, "UnlinkEmail", userID, &api.AccountEmail{Email: email})
	return err
}

// Cron.

// CronNext returns the first time after timestamp (unix seconds) the
// expression matches.
func (nk *moduleNK) CronNext(expression string, timestamp int64) (int64, error) {
	c, err := parseCron(expression)
	if err != nil {
		return 0, errors.New("expects a valid CRON expression")
	}
	return c.next(time.Unix(timestamp, 0).UTC()).Unix(), nil
}

// CronPrev returns the last time at or before timestamp the expression
// matched.
func (nk *moduleNK) CronPrev(expression string, timestamp int64) (int64, error) {
	c, err := parseCron(expression)
	if err != nil {
		return 0, errors.New("expects a valid CRON expression")
	}
	return c.last(time.Unix(timestamp, 0).UTC()).Unix(), nil
}

// Storage.

// StorageRead reads objects as the system: every object is readable.
func (nk *moduleNK) StorageRead(ctx context.Context, reads []*runtime.StorageRead) ([]*api.StorageObject, error) {
	var out []*api.StorageObject
	for _, r := range reads {
		if r == nil {
			return nil, errors.New("expects storage read to be set")
		}
		if o, ok := nk.s.StorageObject(r.Collection, r.Key, r.UserID); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// StorageWrite writes objects as the system, with the permissions given.
func (nk *moduleNK) StorageWrite(ctx context.Context, writes []*runtime.StorageWrite) ([]*api.StorageObjectAck, error) {
	out := make([]*api.StorageObjectAck, 0, len(writes))
	for _, w := range writes {
		if w == nil {
			return nil, errors.New("expects storage write to be set")
		}
		pr, pw := int32(w.PermissionRead), int32(w.PermissionWrite)
		ack, err := nk.s.WriteStorageObject(StorageWrite{Collection: w.Collection, Key: w.Key, UserID: w.UserID,
			Value: w.Value, Version: w.Version, PermissionRead: &pr, PermissionWrite: &pw})
		if err != nil {
			return nil, asRuntimeErr(err)
		}
		out = append(out, ack)
	}
	return out, nil
}

// StorageWriteRetry reads the objects, lets updateFn compute the writes,
// and writes them, retrying up to maxRetries times when a version check
// fails.
func (nk *moduleNK) StorageWriteRetry(ctx context.Context, reads []*runtime.StorageRead, updateFn func(objects []*api.StorageObject) ([]*runtime.StorageWrite, error), maxRetries int) ([]*api.StorageObjectAck, error) {
	if updateFn == nil {
		return nil, errors.New("expects update function")
	}
	for range max(maxRetries, 1) {
		objs, err := nk.StorageRead(ctx, reads)
		if err != nil {
			return nil, err
		}
		writes, err := updateFn(objs)
		if err != nil {
			return nil, err
		}
		acks, err := nk.StorageWrite(ctx, writes)
		if err == nil {
			return acks, nil
		}
		if !errors.Is(err, runtime.ErrStorageRejectedVersion) {
			return nil, err
		}
	}
	return nil, runtime.ErrStorageWriteExhaustedRetries
}

// StorageDelete deletes objects as the system.
func (nk *moduleNK) StorageDelete(ctx context.Context, deletes []*runtime.StorageDelete) error {
	for _, d := range deletes {
		if d == nil {
			return errors.New("expects storage delete to be set")
		}
		nk.s.DeleteStorageObject(d.Collection, d.Key, d.UserID)
	}
	return nil
}

// StorageList lists a collection as callerID sees it ("" for the system).
func (nk *moduleNK) StorageList(ctx context.Context, callerID, userID, collection string, limit int, cursor string) ([]*api.StorageObject, string, error) {
	l, err := opAs[*api.StorageObjectList](ctx, nk, "ListStorageObjects", callerID, &api.ListStorageObjectsRequest{
		UserId: userID, Collection: collection, Limit: wrapperspb.Int32(int32(limit)), Cursor: cursor})
	if err != nil {
		return nil, "", err
	}
	return l.Objects, l.Cursor, nil
}

// Wallets.

// WalletUpdate adds changeset to the user's wallet; a result below zero
// fails with *runtime.WalletNegativeError and changes nothing.
func (nk *moduleNK) WalletUpdate(ctx context.Context, userID string, changeset map[string]int64, metadata map[string]any, updateLedger bool) (map[string]int64, map[string]int64, error) {
	rs, err := nk.WalletsUpdate(ctx, []*runtime.WalletUpdate{{UserID: userID, Changeset: changeset, Metadata: metadata}}, updateLedger)
	if err != nil {
		return nil, nil, err
	}
	return rs[0].Updated, rs[0].Previous, nil
}

// WalletsUpdate applies several wallet updates at once: all or none.
func (nk *moduleNK) WalletsUpdate(ctx context.Context, updates []*runtime.WalletUpdate, updateLedger bool) ([]*runtime.WalletUpdateResult, error) {
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	type pending struct {
		u         *user
		wallet    map[string]int64
		metadata  string
		changeset map[string]int64
	}
	var work []pending
	wallets := map[string]map[string]int64{}
	var results []*runtime.WalletUpdateResult
	for _, up := range updates {
		if up == nil {
			return nil, errors.New("expects wallet update to be set")
		}
		u := s.lookupUser(up.UserID)
		if u == nil {
			return nil, errors.New("user not found")
		}
		w := wallets[u.id]
		if w == nil {
			w = map[string]int64{}
			if err := json.Unmarshal([]byte(u.wallet), &w); err != nil {
				return nil, fmt.Errorf("wallet of %s is not a map of numbers: %w", u.id, err)
			}
			wallets[u.id] = w
		}
		prev := make(map[string]int64, len(w))
		for k, v := range w {
			prev[k] = v
		}
		for k, d := range up.Changeset {
			n := w[k] + d
			if n < 0 {
				return nil, &runtime.WalletNegativeError{UserID: u.id, Path: k, Current: w[k], Amount: d}
			}
			w[k] = n
		}
		md, err := jsonString(up.Metadata)
		if err != nil {
			return nil, err
		}
		upd := make(map[string]int64, len(w))
		for k, v := range w {
			upd[k] = v
		}
		results = append(results, &runtime.WalletUpdateResult{UserID: u.id, Updated: upd, Previous: prev})
		work = append(work, pending{u: u, wallet: w, metadata: md, changeset: up.Changeset})
	}
	now := s.clock.now().UnixNano()
	for _, p := range work {
		// Stored as the server's JSONB column gives it back.
		p.u.wallet, _ = jsonbOf(p.wallet)
		if updateLedger {
			nk.s.modules.ledger = append(nk.s.modules.ledger, &walletLedgerItem{id: s.rand.uuid(), userID: p.u.id,
				create: now, update: now, changeset: p.changeset, metadata: p.metadata})
		}
	}
	return results, nil
}

// walletLedgerItem is one recorded wallet change; it implements
// runtime.WalletLedgerItem.
type walletLedgerItem struct {
	id, userID     string
	create, update int64 // unix nanoseconds
	changeset      map[string]int64
	metadata       string
}

func (w *walletLedgerItem) GetID() string                  { return w.id }
func (w *walletLedgerItem) GetUserID() string              { return w.userID }
func (w *walletLedgerItem) GetCreateTime() int64           { return w.create / int64(time.Second) }
func (w *walletLedgerItem) GetUpdateTime() int64           { return w.update / int64(time.Second) }
func (w *walletLedgerItem) GetChangeset() map[string]int64 { return w.changeset }
func (w *walletLedgerItem) GetMetadata() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(w.metadata), &m)
	return m
}

// MarshalJSON encodes the item as the server's own item type encodes, so
// a module that sends items to clients sends the same JSON.
func (w *walletLedgerItem) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID         string
		UserID     string
		Changeset  map[string]int64
		Metadata   map[string]any
		CreateTime int64
		UpdateTime int64
	}{w.id, w.userID, w.changeset, w.GetMetadata(), w.GetCreateTime(), w.GetUpdateTime()})
}

// WalletLedgerList lists the user's wallet changes, newest first; the
// cursor is not modelled (all items come in one page of up to limit). As
// on the server, the items leave the user id empty, and a limit of 0
// lists none.
func (nk *moduleNK) WalletLedgerList(ctx context.Context, userID string, limit int, cursor string) ([]runtime.WalletLedgerItem, string, error) {
	id, ok := parseUUID(userID)
	if !ok {
		return nil, "", errors.New("expects a valid user id")
	}
	if limit < 0 || limit > 100 {
		return nil, "", errors.New("expects limit to be 0-100")
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	out := []runtime.WalletLedgerItem{}
	for _, it := range slices.Backward(nk.s.modules.ledger) {
		if it.userID == id && len(out) < limit {
			// A copy: the module reads it while WalletLedgerUpdate may
			// change the original.
			c := *it
			c.userID = ""
			out = append(out, &c)
		}
	}
	return out, "", nil
}

// WalletLedgerUpdate merges metadata's keys into a ledger item's, as the
// server's "metadata || new" does, and returns what the server returns:
// the item's user id, changeset and times, without its id or metadata.
func (nk *moduleNK) WalletLedgerUpdate(ctx context.Context, itemID string, metadata map[string]any) (runtime.WalletLedgerItem, error) {
	if _, ok := parseUUID(itemID); !ok {
		return nil, errors.New("expects a valid item id")
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	for _, it := range nk.s.modules.ledger {
		if it.id == itemID {
			merged := it.GetMetadata()
			if merged == nil {
				merged = map[string]any{}
			}
			maps.Copy(merged, metadata)
			md, err := jsonString(merged)
			if err != nil {
				return nil, err
			}
			it.metadata = md
			it.update = nk.s.clock.now().UnixNano()
			return &walletLedgerItem{userID: it.userID, changeset: it.changeset, create: it.create, update: it.update}, nil
		}
	}
	return nil, sql.ErrNoRows // what the server's query answers
}

// Events, metrics, satori and fleet.

// Event hands an event to the modules' event functions, marked internal.
func (nk *moduleNK) Event(ctx context.Context, evt *api.Event) error {
	if evt == nil {
		return errors.New("expects event")
	}
	evt = proto.Clone(evt).(*api.Event)
	evt.External = false
	nk.s.moduleEvent(ctx, runtimeCaller{}, nk.s.modules.events, evt)
	return nil
}

// MetricsCounterAdd is accepted and dropped: nakamatest keeps no metrics.
func (nk *moduleNK) MetricsCounterAdd(name string, tags map[string]string, delta int64) {}

// MetricsGaugeSet is accepted and dropped.
func (nk *moduleNK) MetricsGaugeSet(name string, tags map[string]string, value float64) {}

// MetricsTimerRecord is accepted and dropped.
func (nk *moduleNK) MetricsTimerRecord(name string, tags map[string]string, value time.Duration) {}

// GetSatori returns a Satori client whose methods fail with ErrNotModelled.
func (nk *moduleNK) GetSatori() runtime.Satori { return &moduleSatori{} }

// GetFleetManager returns a fleet manager whose methods fail with
// ErrNotModelled.
func (nk *moduleNK) GetFleetManager() runtime.FleetManager { return &moduleFleetManager{} }

var _ = rtapi.Envelope{}
