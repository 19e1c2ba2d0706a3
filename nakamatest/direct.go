package nakamatest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// The direct API sets up and inspects the server's state without going
// through the protocol, as miniredis's does. Its values are copies: changing
// a returned message does not change the server.

// NewUser describes an account for CreateUser. Zero fields take the
// server's defaults; identities are left unlinked.
type NewUser struct {
	// Username must be unique; "" generates one, as authentication does.
	Username string
	// DisplayName, AvatarURL, Location and Timezone are free text.
	DisplayName string
	AvatarURL   string
	Location    string
	Timezone    string
	// LangTag defaults to "en".
	LangTag string
	// Metadata and Wallet are JSON objects; they default to "{}".
	Metadata string
	Wallet   string

	// DeviceIDs, CustomID, Email and the provider ids below are the
	// identities the account is created with. Each must be free, and device
	// ids must pass the device id rules. Email is stored in lower case, as
	// the server stores emails it is given.
	DeviceIDs []string
	CustomID  string
	Email     string
	// Password, if set, allows email and username/password login.
	Password string
	// AppleID, FacebookID, FacebookInstantGameID, GoogleID, GameCenterID
	// and SteamID are the providers' user ids.
	AppleID               string
	FacebookID            string
	FacebookInstantGameID string
	GoogleID              string
	GameCenterID          string
	SteamID               string
}

// CreateUser stores a new account and returns it. It fails with an *Error
// when a value breaks the rules the API would apply: username syntax,
// device id syntax, uniqueness of the username and of every identity, and
// metadata and wallet that are not JSON.
func (s *Server) CreateUser(nu NewUser) (*api.Account, error) {
	username, err := s.usernameFor(nu.Username)
	if err != nil {
		return nil, err
	}
	for _, j := range []string{nu.Metadata, nu.Wallet} {
		if j != "" && !json.Valid([]byte(j)) {
			return nil, newError(InvalidArgument, "Metadata and wallet must be JSON.")
		}
	}
	u := s.newUserRecord(username)
	u.displayName, u.avatarURL, u.location, u.timezone = nu.DisplayName, nu.AvatarURL, nu.Location, nu.Timezone
	if nu.LangTag != "" {
		u.langTag = nu.LangTag
	}
	if nu.Metadata != "" {
		u.metadata = nu.Metadata
	}
	if nu.Wallet != "" {
		u.wallet = nu.Wallet
	}
	if nu.Password != "" {
		u.password = s.rand.hashPassword(nu.Password)
	}
	u.ids = [numKinds]string{
		kindCustom:              nu.CustomID,
		kindEmail:               strings.ToLower(nu.Email),
		kindApple:               nu.AppleID,
		kindFacebook:            nu.FacebookID,
		kindFacebookInstantGame: nu.FacebookInstantGameID,
		kindGoogle:              nu.GoogleID,
		kindGameCenter:          nu.GameCenterID,
		kindSteam:               nu.SteamID,
	}
	inUse := [numKinds]string{
		kindCustom:              "Custom ID is already in use.",
		kindEmail:               "Email is already in use.",
		kindApple:               "Apple ID is already in use.",
		kindFacebook:            "Facebook ID is already in use.",
		kindFacebookInstantGame: "Facebook Instant Game ID is already in use.",
		kindGoogle:              "Google ID is already in use.",
		kindGameCenter:          "GameCenter ID is already in use.",
		kindSteam:               "Steam ID is already in use.",
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.byUsername[username] != nil {
		return nil, newError(AlreadyExists, msgUsernameInUse)
	}
	for k, v := range u.ids {
		if v != "" && s.st.byID[k][v] != nil {
			return nil, newError(AlreadyExists, inUse[k])
		}
	}
	seen := map[string]bool{}
	for _, d := range nu.DeviceIDs {
		if err := checkDeviceID(d); err != nil {
			return nil, err
		}
		if s.st.byDevice[d] != nil || seen[d] {
			return nil, newError(AlreadyExists, "Device ID already in use.")
		}
		seen[d] = true
	}
	u.devices = append([]string(nil), nu.DeviceIDs...)
	s.st.insertUser(u)
	return u.apiAccount(), nil
}

// Account returns the account with the given id, including its disable
// time (which GetAccount hides from the user), and whether it exists.
func (s *Server) Account(userID string) (*api.Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userID)
	if u == nil {
		return nil, false
	}
	return u.apiAccount(), true
}

// User returns the user with the given id and whether it exists.
func (s *Server) User(userID string) (*api.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userID)
	if u == nil {
		return nil, false
	}
	return u.apiUser(), true
}

// UserByUsername returns the user with the given username (case matters)
// and whether it exists.
func (s *Server) UserByUsername(username string) (*api.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.byUsername[username]
	if u == nil || u.id == systemUserID {
		return nil, false
	}
	return u.apiUser(), true
}

// Users returns every user in creation order, without the system user.
func (s *Server) Users() []*api.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*user, 0, len(s.st.users))
	for _, u := range s.st.users {
		if u.id != systemUserID {
			all = append(all, u)
		}
	}
	out := make([]*api.User, 0, len(all))
	for _, u := range sortedUsers(all) {
		out = append(out, u.apiUser())
	}
	return out
}

// lookupUser finds a user by id in any UUID form; s.mu is held. The system
// user is not an account the direct API manages.
func (s *Server) lookupUser(userID string) *user {
	id, ok := parseUUID(userID)
	if !ok || id == systemUserID {
		return nil
	}
	return s.st.users[id]
}

func (s *Server) mustUser(userID string) (*user, error) {
	u := s.lookupUser(userID)
	if u == nil {
		return nil, newError(NotFound, msgUserNotFound)
	}
	return u, nil
}

// DisableUser bans the user as the console does: the account can no longer
// authenticate or refresh (PermissionDenied "User account banned."), every
// token issued before now stops working, and each of the user's sockets
// gets a "banned" notification (code -8, not stored) as its last message
// before it is closed with the reason "server-side session disconnect".
// As on the server, those sockets' presences are gone when it returns; it
// does not wait for the connections to end, so a function the user's own
// socket calls may ban the user.
func (s *Server) DisableUser(userID string) error {
	s.mu.Lock()
	defer s.rtUnlock()
	u, err := s.mustUser(userID)
	if err != nil {
		return err
	}
	now := s.clock.now()
	u.disableTime = now
	s.st.ban(u.id, now.Unix())
	s.rtBanLocked(u.id)
	return nil
}

// EnableUser lifts a ban. Tokens invalidated by it stay invalid.
func (s *Server) EnableUser(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.mustUser(userID)
	if err != nil {
		return err
	}
	u.disableTime = time.Time{}
	return nil
}

// DeleteUser deletes the account as DeleteAccount does, revoking its
// tokens.
func (s *Server) DeleteUser(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.mustUser(userID)
	if err != nil {
		return err
	}
	s.st.deleteUser(u)
	s.st.revokeAll(u.id, s.clock.now().Unix())
	return nil
}

// NewSession returns a session for the user as an authenticate call would
// (created is false), without needing any of the user's credentials.
func (s *Server) NewSession(userID string, vars map[string]string) (*api.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.mustUser(userID)
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, vars, false), nil
}

// RevokeSessions invalidates every session and refresh token the user
// holds, as SessionLogout with no tokens does. Tokens issued within the
// same second survive, as on the server.
func (s *Server) RevokeSessions(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.mustUser(userID)
	if err != nil {
		return err
	}
	s.st.revokeAll(u.id, s.clock.now().Unix())
	return nil
}
