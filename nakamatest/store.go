package nakamatest

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// systemUserID is the id of the user the real server creates with its
// schema. It owns server-side objects, has an empty username and can never
// be deleted or authenticated as.
const systemUserID = "00000000-0000-0000-0000-000000000000"

// idKind names a single-valued login identity of a user. Devices are
// multi-valued and kept apart.
type idKind int

const (
	kindCustom idKind = iota
	kindEmail
	kindApple
	kindFacebook
	kindFacebookInstantGame
	kindGoogle
	kindGameCenter
	kindSteam
	numKinds
)

// user is one account. Empty strings stand for the real server's NULLs: an
// identity is linked exactly when its string is non-empty.
type user struct {
	seq         int64 // creation order, which listings follow
	id          string
	username    string
	displayName string
	avatarURL   string
	langTag     string
	location    string
	timezone    string
	metadata    string
	wallet      string
	ids         [numKinds]string
	password    []byte // salt followed by the derived key; nil: no password login
	devices     []string
	edgeCount   int
	createTime  time.Time
	updateTime  time.Time
	verifyTime  time.Time
	disableTime time.Time
	online      bool
}

func (u *user) disabled() bool { return !u.disableTime.IsZero() && u.disableTime.Unix() != 0 }

// hasIdentityBesides reports whether the user could still log in after
// losing identity k (or, with k = -1 and device set, after losing that one
// device). It is the real server's "not the last link" rule: every identity
// counts, email included, and any device counts.
func (u *user) hasIdentityBesides(k idKind, device string) bool {
	for i := range numKinds {
		if i != k && u.ids[i] != "" {
			return true
		}
	}
	for _, d := range u.devices {
		if d != device {
			return true
		}
	}
	return false
}

// apiUser returns the user as the API shows it, with timestamps truncated
// to seconds as the server's queries do.
func (u *user) apiUser() *api.User {
	return &api.User{
		Id:                    u.id,
		Username:              u.username,
		DisplayName:           u.displayName,
		AvatarUrl:             u.avatarURL,
		LangTag:               u.langTag,
		Location:              u.location,
		Timezone:              u.timezone,
		Metadata:              u.metadata,
		FacebookId:            u.ids[kindFacebook],
		GoogleId:              u.ids[kindGoogle],
		GamecenterId:          u.ids[kindGameCenter],
		SteamId:               u.ids[kindSteam],
		Online:                u.online,
		EdgeCount:             int32(u.edgeCount),
		CreateTime:            &timestamppb.Timestamp{Seconds: u.createTime.Unix()},
		UpdateTime:            &timestamppb.Timestamp{Seconds: u.updateTime.Unix()},
		FacebookInstantGameId: u.ids[kindFacebookInstantGame],
		AppleId:               u.ids[kindApple],
	}
}

// apiAccount returns the account with its disable time, which only the
// direct API shows; GetAccount clears it as the server does.
func (u *user) apiAccount() *api.Account {
	a := &api.Account{
		User:     u.apiUser(),
		Wallet:   u.wallet,
		Email:    u.ids[kindEmail],
		Devices:  make([]*api.AccountDevice, 0, len(u.devices)),
		CustomId: u.ids[kindCustom],
	}
	for _, d := range u.devices {
		a.Devices = append(a.Devices, &api.AccountDevice{Id: d})
	}
	if !u.verifyTime.IsZero() && u.verifyTime.Unix() != 0 {
		a.VerifyTime = &timestamppb.Timestamp{Seconds: u.verifyTime.Unix()}
	}
	if u.disabled() {
		a.DisableTime = &timestamppb.Timestamp{Seconds: u.disableTime.Unix()}
	}
	return a
}

// sessionBlock is the real server's session cache entry for one user. The
// cache is a deny list: a token is valid unless its id was revoked, or it
// was issued (expiry minus lifetime) before the user's last invalidation.
type sessionBlock struct {
	lastInvalidation int64            // unix seconds; 0: never
	sessionTokens    map[string]int64 // revoked session token ids
	refreshTokens    map[string]int64 // revoked refresh token ids
}

// store is all the server's state. One mutex, Server.mu, guards every field;
// handlers take it for the whole of their work, which keeps each call atomic
// the way the real server's transactions are.
type store struct {
	seq        int64
	users      map[string]*user
	byUsername map[string]*user
	byDevice   map[string]*user
	byID       [numKinds]map[string]*user
	sessions   map[string]*sessionBlock
	social     socialProviders

	// userDeleted holds functions other areas register to drop what a
	// deleted user owned. They run with Server.mu held.
	userDeleted []func(userID string)
}

func (st *store) init(now time.Time) {
	st.users = make(map[string]*user)
	st.byUsername = make(map[string]*user)
	st.byDevice = make(map[string]*user)
	for i := range st.byID {
		st.byID[i] = make(map[string]*user)
	}
	st.sessions = make(map[string]*sessionBlock)
	st.social.init()
	st.insertUser(&user{id: systemUserID, username: "", langTag: "en", metadata: "{}", wallet: "{}", createTime: now, updateTime: now})
}

// insertUser adds a fully formed user; the caller has checked uniqueness.
func (st *store) insertUser(u *user) {
	st.seq++
	u.seq = st.seq
	st.users[u.id] = u
	st.byUsername[u.username] = u
	for k, v := range u.ids {
		if v != "" {
			st.byID[k][v] = u
		}
	}
	for _, d := range u.devices {
		st.byDevice[d] = u
	}
}

func (st *store) deleteUser(u *user) {
	delete(st.users, u.id)
	delete(st.byUsername, u.username)
	for k, v := range u.ids {
		if v != "" {
			delete(st.byID[k], v)
		}
	}
	for _, d := range u.devices {
		delete(st.byDevice, d)
	}
	for _, fn := range st.userDeleted {
		fn(u.id)
	}
}

// setIdentity links (or with v == "" unlinks) identity k, keeping the index
// in step. The caller has checked that no other user holds v.
func (st *store) setIdentity(u *user, k idKind, v string) {
	if old := u.ids[k]; old != "" {
		delete(st.byID[k], old)
	}
	u.ids[k] = v
	if v != "" {
		st.byID[k][v] = u
	}
}

func (st *store) setUsername(u *user, name string) {
	delete(st.byUsername, u.username)
	u.username = name
	st.byUsername[name] = u
}

func (st *store) addDevice(u *user, id string) {
	u.devices = append(u.devices, id)
	st.byDevice[id] = u
}

func (st *store) removeDevice(u *user, id string) {
	u.devices = slices.DeleteFunc(u.devices, func(d string) bool { return d == id })
	delete(st.byDevice, id)
}

// sortedUsers returns users in creation order, the order listings use.
func sortedUsers(us []*user) []*user {
	slices.SortFunc(us, func(a, b *user) int { return int(a.seq - b.seq) })
	return us
}

func (st *store) sessionBlockFor(userID string) *sessionBlock {
	b := st.sessions[userID]
	if b == nil {
		b = &sessionBlock{sessionTokens: map[string]int64{}, refreshTokens: map[string]int64{}}
		st.sessions[userID] = b
	}
	return b
}

// validSession reports whether a verified session token is still honoured.
// The issue time is derived from the expiry, as the server does, so a token
// minted in the very second of an invalidation survives it.
func (st *store) validSession(userID string, exp int64, tokenID string, lifetime int64) bool {
	b := st.sessions[userID]
	if b == nil {
		return true
	}
	if b.lastInvalidation > 0 && exp-lifetime < b.lastInvalidation {
		return false
	}
	_, revoked := b.sessionTokens[tokenID]
	return !revoked
}

// validRefresh is validSession for refresh tokens.
func (st *store) validRefresh(userID string, exp int64, tokenID string, lifetime int64) bool {
	b := st.sessions[userID]
	if b == nil {
		return true
	}
	if b.lastInvalidation > 0 && exp-lifetime < b.lastInvalidation {
		return false
	}
	_, revoked := b.refreshTokens[tokenID]
	return !revoked
}

// revokeTokens denies the given token ids (either may be empty).
func (st *store) revokeTokens(userID string, sessionExp int64, sessionID string, refreshExp int64, refreshID string) {
	b := st.sessionBlockFor(userID)
	if sessionID != "" {
		b.sessionTokens[sessionID] = sessionExp + 1
	}
	if refreshID != "" {
		b.refreshTokens[refreshID] = refreshExp + 1
	}
}

// revokeAll invalidates every token the user holds, as logout without
// tokens, account deletion and single-session logins do.
func (st *store) revokeAll(userID string, now int64) {
	b := st.sessionBlockFor(userID)
	if now > b.lastInvalidation {
		b.lastInvalidation = now
		b.sessionTokens = map[string]int64{}
		b.refreshTokens = map[string]int64{}
	}
}

// ban invalidates every token issued before now but, unlike revokeAll,
// keeps individual revocations.
func (st *store) ban(userID string, now int64) {
	b := st.sessionBlockFor(userID)
	if now > b.lastInvalidation {
		b.lastInvalidation = now
	}
}

// randomness supplies ids, generated usernames and password salts: crypto
// randomness by default, a seeded generator after Seed so that a test's ids
// repeat from run to run.
type randomness struct {
	mu  sync.Mutex
	src io.Reader
}

func (r *randomness) read(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.src == nil {
		_, _ = rand.Read(b) // crypto/rand.Read never fails
		return
	}
	_, _ = io.ReadFull(r.src, b) // a ChaCha8 stream never fails
}

func (r *randomness) seed(n int64) {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(uint64(n) >> (8 * i))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.src = mrand.NewChaCha8(key)
}

// uuid returns a version 4 UUID in canonical form.
func (r *randomness) uuid() string {
	var b [16]byte
	r.read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// username returns a username the way the server makes one when none is
// given: ten ASCII letters.
func (r *randomness) username() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [10]byte
	r.read(b[:])
	for i := range b {
		// 256 is not a multiple of 52; the slight bias does not matter here.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// Seed makes the server's ids, generated usernames and token ids
// deterministic: after Seed(n), the same sequence of calls yields the same
// values. Without it they come from crypto/rand.
func (s *Server) Seed(n int64) { s.rand.seed(n) }

func formatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// parseUUID accepts the forms the server's UUID library accepts (canonical,
// 32 hex digits, either in braces, or with a "urn:uuid:" prefix) and returns
// the canonical lower-case form.
func parseUUID(s string) (string, bool) {
	switch len(s) {
	case 32, 36:
	case 34, 38:
		if s[0] != '{' || s[len(s)-1] != '}' {
			return "", false
		}
		s = s[1 : len(s)-1]
	case 41, 45:
		if s[:9] != "urn:uuid:" {
			return "", false
		}
		s = s[9:]
	default:
		return "", false
	}
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", false
		}
		s = s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return "", false
	}
	return formatUUID(b), true
}

// The server hashes passwords with bcrypt, which reads at most 72 bytes of
// a password and refuses to hash a longer one. nakamatest stores a salted
// PBKDF2 key instead (no plain text, no extra module) and keeps the 72-byte
// behaviour, which is the part a client can observe.
const (
	maxPasswordBytes = 72
	saltBytes        = 16
	pbkdf2Rounds     = 1000
)

func (r *randomness) hashPassword(password string) []byte {
	salt := make([]byte, saltBytes)
	r.read(salt)
	return append(salt, derivePassword(password, salt)...)
}

func derivePassword(password string, salt []byte) []byte {
	if len(password) > maxPasswordBytes {
		password = password[:maxPasswordBytes]
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Rounds, 32)
	if err != nil {
		// Only a key length beyond the hash's limit fails; 32 is fine.
		panic("nakamatest: pbkdf2: " + err.Error())
	}
	return key
}

func checkPassword(stored []byte, password string) bool {
	if len(stored) != saltBytes+32 {
		return false
	}
	return subtle.ConstantTimeCompare(derivePassword(password, stored[:saltBytes]), stored[saltBytes:]) == 1
}
