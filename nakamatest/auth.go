package nakamatest

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func (s *Server) registerAuthenticate() {
	handle(s, "AuthenticateApple", s.authenticateApple)
	handle(s, "AuthenticateCustom", s.authenticateCustom)
	handle(s, "AuthenticateDevice", s.authenticateDevice)
	handle(s, "AuthenticateEmail", s.authenticateEmail)
	handle(s, "AuthenticateFacebook", s.authenticateFacebook)
	handle(s, "AuthenticateFacebookInstantGame", s.authenticateFacebookInstantGame)
	handle(s, "AuthenticateGameCenter", s.authenticateGameCenter)
	handle(s, "AuthenticateGoogle", s.authenticateGoogle)
	handle(s, "AuthenticateSteam", s.authenticateSteam)
}

func (s *Server) registerSession() {
	handle(s, "SessionRefresh", s.sessionRefresh)
	handle(s, "SessionLogout", s.sessionLogout)
}

// The server's validation patterns. The username pattern is the server's,
// quirks included: it rejects control characters (and the two characters
// "[]" in a row, an artefact of its bracket expression) but accepts spaces,
// although its error message says otherwise.
var (
	invalidUsername = regexp.MustCompilePOSIX("([[:cntrl:]]|[[\t\n\r\f\v]])+")
	invalidChars    = regexp.MustCompilePOSIX("([[:cntrl:]]|[[:space:]])+")
	emailFormat     = regexp.MustCompile(`^.+@.+\..+$`)
)

// Messages shared by several operations.
const (
	msgUsernameChars   = "Username invalid, no spaces or control characters allowed."
	msgUsernameLength  = "Username invalid, must be 1-128 bytes."
	msgUsernameInUse   = "Username is already in use."
	msgBanned          = "User account banned."
	msgUserNotFound    = "User account not found."
	msgCreateFailed    = "Error finding or creating user account."
	msgLastLink        = "Cannot unlink last account identifier. Check profile exists and is not last link."
	msgAppleNotConfig  = "Apple authentication is not configured."
	msgSteamNotConfig  = "Steam authentication is not configured."
	msgAppleAuth       = "Could not authenticate Apple profile."
	msgFacebookAuth    = "Could not authenticate Facebook profile."
	msgGoogleAuth      = "Could not authenticate Google profile."
	msgGameCenterAuth  = "Could not authenticate GameCenter profile."
	msgSteamAuth       = "Could not authenticate Steam profile."
	msgFBInstantAuth   = "Could not authenticate Facebook Instant Game profile."
	msgFBInstantSigned = "Error extracting the Facebook Instant Game player ID or validating the signature"
)

// usernameFor validates a requested username, or generates one when none
// is given, as every authenticate call does before touching accounts.
func (s *Server) usernameFor(username string) (string, error) {
	switch {
	case username == "":
		return s.rand.username(), nil
	case invalidUsername.MatchString(username):
		return "", newError(InvalidArgument, msgUsernameChars)
	case len(username) > 128:
		return "", newError(InvalidArgument, msgUsernameLength)
	}
	return username, nil
}

// createFlag reads the create field, which defaults to true.
func createFlag(v *wrapperspb.BoolValue) bool { return v == nil || v.Value }

// newUserRecord returns a user with the schema's defaults, not yet stored.
func (s *Server) newUserRecord(username string) *user {
	now := s.clock.now()
	return &user{
		id:         s.rand.uuid(),
		username:   username,
		langTag:    "en",
		metadata:   "{}",
		wallet:     "{}",
		createTime: now,
		updateTime: now,
	}
}

// findOrCreate is the core of every authenticate call; s.mu is held. found
// is the user already holding the identity, if any. Otherwise, when create
// allows, a new user with the username is stored after attach has set its
// identity (attach may refuse with an error, as a database constraint
// would).
func (s *Server) findOrCreate(found *user, username string, create bool, attach func(u *user) error) (*user, bool, error) {
	if found != nil {
		if found.disabled() {
			return nil, false, newError(PermissionDenied, msgBanned)
		}
		return found, false, nil
	}
	if !create {
		return nil, false, newError(NotFound, msgUserNotFound)
	}
	if s.st.byUsername[username] != nil {
		return nil, false, newError(AlreadyExists, msgUsernameInUse)
	}
	u := s.newUserRecord(username)
	if err := attach(u); err != nil {
		return nil, false, err
	}
	s.st.insertUser(u)
	return u, true, nil
}

// importEmail gives u a provider's email unless another account holds it,
// which the server skips silently.
func (s *Server) importEmail(u *user, email string) {
	if email == "" {
		return
	}
	if other := s.st.byID[kindEmail][email]; other != nil && other != u {
		return
	}
	s.st.setIdentity(u, kindEmail, email)
}

// fitsColumn reports whether v fits a VARCHAR(n) column, which counts
// characters; a longer value makes the server's database write fail.
func fitsColumn(v string, n int) bool { return utf8.RuneCountInString(v) <= n }

// issueSession mints a session and refresh token pair sharing one token id,
// as every authenticate call does; s.mu is held.
func (s *Server) issueSession(u *user, vars map[string]string, created bool) *api.Session {
	now := s.clock.now()
	if s.opts.SingleSession {
		s.st.revokeAll(u.id, now.Unix())
	}
	tokenID := s.rand.uuid()
	return &api.Session{
		Created:      created,
		Token:        s.signSession(tokenID, now.Unix(), u.id, u.username, vars),
		RefreshToken: s.signRefresh(tokenID, now.Unix(), u.id, u.username, vars),
	}
}

func (s *Server) signSession(tokenID string, issuedAt int64, userID, username string, vars map[string]string) string {
	exp := s.clock.now().Add(s.opts.TokenExpiry).Unix()
	return signToken(s.opts.EncryptionKey, sessionClaims{tokenID, userID, username, vars, exp, issuedAt})
}

func (s *Server) signRefresh(tokenID string, issuedAt int64, userID, username string, vars map[string]string) string {
	exp := s.clock.now().Add(s.opts.RefreshTokenExpiry).Unix()
	return signToken(s.opts.RefreshEncryptionKey, sessionClaims{tokenID, userID, username, vars, exp, issuedAt})
}

func (s *Server) authenticateDevice(_ context.Context, _ *call, req *api.AuthenticateDeviceRequest) (*api.Session, error) {
	if err := checkDeviceID(req.GetAccount().GetId()); err != nil {
		return nil, err
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	id := req.Account.Id
	s.mu.Lock()
	defer s.mu.Unlock()
	u, created, err := s.findOrCreate(s.st.byDevice[id], username, createFlag(req.Create), func(u *user) error {
		u.devices = []string{id}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

// checkDeviceID applies the device id rules that authenticate and link share.
func checkDeviceID(id string) error {
	switch {
	case id == "":
		return newError(InvalidArgument, "Device ID is required.")
	case invalidChars.MatchString(id):
		return newError(InvalidArgument, "Device ID invalid, no spaces or control characters allowed.")
	case len(id) < 10 || len(id) > 128:
		return newError(InvalidArgument, "Device ID invalid, must be 10-128 bytes.")
	}
	return nil
}

func (s *Server) authenticateCustom(_ context.Context, _ *call, req *api.AuthenticateCustomRequest) (*api.Session, error) {
	id := req.GetAccount().GetId()
	switch {
	case id == "":
		return nil, newError(InvalidArgument, "Custom ID is required.")
	case invalidChars.MatchString(id):
		return nil, newError(InvalidArgument, "Custom ID invalid, no spaces or control characters allowed.")
	case len(id) < 6 || len(id) > 128:
		return nil, newError(InvalidArgument, "Custom ID invalid, must be 6-128 bytes.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, created, err := s.findOrCreate(s.st.byID[kindCustom][id], username, createFlag(req.Create), func(u *user) error {
		u.ids[kindCustom] = id
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

func (s *Server) authenticateEmail(_ context.Context, _ *call, req *api.AuthenticateEmailRequest) (*api.Session, error) {
	acct := req.Account
	if acct == nil {
		return nil, newError(InvalidArgument, "Email address and password is required.")
	}
	// Without an email the call is a username and password login.
	byUsername := acct.Email == ""
	if !byUsername {
		if err := checkEmailAddress(acct.Email); err != nil {
			return nil, err
		}
	}
	if len(acct.Password) < 8 {
		return nil, newError(InvalidArgument, "Password must be at least 8 characters long.")
	}
	if byUsername && req.Username == "" {
		return nil, newError(InvalidArgument, "Username is required when email address is not supplied.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if byUsername {
		// Creation is never possible here, whatever create says.
		u := s.st.byUsername[username]
		switch {
		case u == nil || u.id == systemUserID:
			return nil, newError(NotFound, msgUserNotFound)
		case u.disabled():
			return nil, newError(PermissionDenied, msgBanned)
		case !checkPassword(u.password, acct.Password):
			// No password at all and a wrong one look the same to a client.
			return nil, newError(Unauthenticated, "Invalid credentials.")
		}
		return s.issueSession(u, acct.Vars, false), nil
	}

	email := strings.ToLower(acct.Email)
	if u := s.st.byID[kindEmail][email]; u != nil {
		if u.disabled() {
			return nil, newError(PermissionDenied, msgBanned)
		}
		if !checkPassword(u.password, acct.Password) {
			return nil, newError(Unauthenticated, "Invalid credentials.")
		}
		return s.issueSession(u, acct.Vars, false), nil
	}
	if !createFlag(req.Create) {
		return nil, newError(NotFound, msgUserNotFound)
	}
	if len(acct.Password) > maxPasswordBytes {
		// bcrypt refuses to hash it, and the server reports that as a
		// failure to create the account.
		return nil, newError(Internal, msgCreateFailed)
	}
	u, created, err := s.findOrCreate(nil, username, true, func(u *user) error {
		u.ids[kindEmail] = email
		u.password = s.rand.hashPassword(acct.Password)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, acct.Vars, created), nil
}

// checkEmailAddress applies the authenticate rules for an email address.
func checkEmailAddress(email string) error {
	switch {
	case invalidChars.MatchString(email):
		return newError(InvalidArgument, "Invalid email address, no spaces or control characters allowed.")
	case !emailFormat.MatchString(email):
		return newError(InvalidArgument, "Invalid email address format.")
	case len(email) < 10 || len(email) > 255:
		return newError(InvalidArgument, "Invalid email address, must be 10-255 bytes.")
	}
	return nil
}

func (s *Server) authenticateApple(_ context.Context, _ *call, req *api.AuthenticateAppleRequest) (*api.Session, error) {
	s.mu.Lock()
	configured := s.st.social.appleConfigured()
	s.mu.Unlock()
	if !configured {
		return nil, newError(FailedPrecondition, msgAppleNotConfig)
	}
	if req.GetAccount().GetToken() == "" {
		return nil, newError(InvalidArgument, "Apple ID token is required.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prof, ok := s.st.social.apple[req.Account.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgAppleAuth)
	}
	u, created, err := s.findOrCreate(s.st.byID[kindApple][prof.ID], username, createFlag(req.Create), func(u *user) error {
		// The server inserts the email with the account, so an email held
		// by another account makes the insert, and the call, fail.
		if prof.Email != "" && s.st.byID[kindEmail][prof.Email] != nil {
			return newError(Internal, msgCreateFailed)
		}
		u.ids[kindApple] = prof.ID
		u.ids[kindEmail] = prof.Email
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

func (s *Server) authenticateFacebook(_ context.Context, _ *call, req *api.AuthenticateFacebookRequest) (*api.Session, error) {
	if req.GetAccount().GetToken() == "" {
		return nil, newError(InvalidArgument, "Facebook access token is required.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prof, ok := s.st.social.facebook[req.Account.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgFacebookAuth)
	}
	u, created, err := s.findOrCreate(s.st.byID[kindFacebook][prof.ID], username, createFlag(req.Create), func(u *user) error {
		if !fitsColumn(prof.Name, 255) || !fitsColumn(prof.AvatarURL, 512) {
			return newError(Internal, msgCreateFailed)
		}
		u.ids[kindFacebook] = prof.ID
		u.displayName = prof.Name
		u.avatarURL = prof.AvatarURL
		return nil
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.importEmail(u, prof.Email)
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

func (s *Server) authenticateFacebookInstantGame(_ context.Context, _ *call, req *api.AuthenticateFacebookInstantGameRequest) (*api.Session, error) {
	if req.GetAccount().GetSignedPlayerInfo() == "" {
		return nil, newError(InvalidArgument, "Signed Player Info for a Facebook Instant Game is required.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	playerID, ok := s.st.social.fbInstant[req.Account.SignedPlayerInfo]
	if !ok {
		return nil, newError(DataLoss, msgFBInstantSigned)
	}
	u, created, err := s.findOrCreate(s.st.byID[kindFacebookInstantGame][playerID], username, createFlag(req.Create), func(u *user) error {
		u.ids[kindFacebookInstantGame] = playerID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

// checkGameCenter applies the required-field rules, in the server's order.
func checkGameCenter(a *api.AccountGameCenter) error {
	switch {
	case a.BundleId == "":
		return newError(InvalidArgument, "GameCenter bundle ID is required.")
	case a.PlayerId == "":
		return newError(InvalidArgument, "GameCenter player ID is required.")
	case a.PublicKeyUrl == "":
		return newError(InvalidArgument, "GameCenter public key URL is required.")
	case a.Salt == "":
		return newError(InvalidArgument, "GameCenter salt is required.")
	case a.Signature == "":
		return newError(InvalidArgument, "GameCenter signature is required.")
	case a.TimestampSeconds == 0:
		return newError(InvalidArgument, "GameCenter timestamp is required.")
	}
	return nil
}

// gameCenterVerified reports whether the verification was registered; s.mu
// is held.
func (s *Server) gameCenterVerified(a *api.AccountGameCenter) bool {
	return s.st.social.gameCenter[GameCenterIdentity{
		PlayerID:         a.PlayerId,
		BundleID:         a.BundleId,
		TimestampSeconds: a.TimestampSeconds,
		Salt:             a.Salt,
		Signature:        a.Signature,
		PublicKeyURL:     a.PublicKeyUrl,
	}]
}

func (s *Server) authenticateGameCenter(_ context.Context, _ *call, req *api.AuthenticateGameCenterRequest) (*api.Session, error) {
	if req.Account == nil {
		return nil, newError(InvalidArgument, "GameCenter access credentials are required.")
	}
	if err := checkGameCenter(req.Account); err != nil {
		return nil, err
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.gameCenterVerified(req.Account) {
		return nil, newError(Unauthenticated, msgGameCenterAuth)
	}
	playerID := req.Account.PlayerId
	u, created, err := s.findOrCreate(s.st.byID[kindGameCenter][playerID], username, createFlag(req.Create), func(u *user) error {
		u.ids[kindGameCenter] = playerID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

// googleProfile returns the display name and avatar the server takes from
// a Google profile: values too long for their columns are dropped.
func googleProfile(p GoogleIdentity) (name, avatar string) {
	if len(p.Name) <= 255 {
		name = p.Name
	}
	if len(p.AvatarURL) <= 512 {
		avatar = p.AvatarURL
	}
	return name, avatar
}

func (s *Server) authenticateGoogle(_ context.Context, _ *call, req *api.AuthenticateGoogleRequest) (*api.Session, error) {
	if req.GetAccount().GetToken() == "" {
		return nil, newError(InvalidArgument, "Google access token is required.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prof, ok := s.st.social.google[req.Account.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgGoogleAuth)
	}
	name, avatar := googleProfile(prof)
	found := s.st.byID[kindGoogle][prof.ID]
	u, created, err := s.findOrCreate(found, username, createFlag(req.Create), func(u *user) error {
		u.ids[kindGoogle] = prof.ID
		u.displayName, u.avatarURL = name, avatar
		return nil
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.importEmail(u, prof.Email)
	} else if (u.displayName == "" && name != "") || (u.avatarURL == "" && avatar != "") {
		// A returning Google user gets the profile's name and picture where
		// the account has none.
		if u.displayName == "" {
			u.displayName = name
		}
		if u.avatarURL == "" {
			u.avatarURL = avatar
		}
		u.updateTime = s.clock.now()
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

func (s *Server) authenticateSteam(_ context.Context, _ *call, req *api.AuthenticateSteamRequest) (*api.Session, error) {
	s.mu.Lock()
	configured := s.st.social.steamConfigured()
	s.mu.Unlock()
	if !configured {
		return nil, newError(FailedPrecondition, msgSteamNotConfig)
	}
	if req.GetAccount().GetToken() == "" {
		return nil, newError(InvalidArgument, "Steam access token is required.")
	}
	username, err := s.usernameFor(req.Username)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	steamID, ok := s.st.social.steam[req.Account.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgSteamAuth)
	}
	u, created, err := s.findOrCreate(s.st.byID[kindSteam][steamID], username, createFlag(req.Create), func(u *user) error {
		u.ids[kindSteam] = steamID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.issueSession(u, req.Account.Vars, created), nil
}

// sessionRefresh issues a new token pair from a refresh token. As in 3.40,
// the pair keeps the original token id and issue time and gets new
// expiries; the refresh token presented stays valid until it expires or is
// revoked by logout. Vars given in the request replace the token's, which
// are kept otherwise; the username is the account's current one.
func (s *Server) sessionRefresh(_ context.Context, _ *call, req *api.SessionRefreshRequest) (*api.Session, error) {
	if req.Token == "" {
		return nil, newError(InvalidArgument, "Refresh token is required.")
	}
	claims, ok := parseToken(s.opts.RefreshEncryptionKey, req.Token, s.clock.now())
	if !ok {
		return nil, newError(Unauthenticated, "Refresh token invalid or expired.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.validRefresh(claims.UserID, claims.ExpiresAt, claims.TokenID, s.refreshLifetime()) {
		return nil, newError(Unauthenticated, "Refresh token invalid or expired.")
	}
	u := s.st.users[claims.UserID]
	if u == nil {
		return nil, newError(NotFound, msgUserNotFound)
	}
	if u.disabled() {
		return nil, newError(PermissionDenied, msgBanned)
	}
	vars := req.Vars
	if vars == nil {
		vars = claims.Vars
	}
	return &api.Session{
		Token:        s.signSession(claims.TokenID, claims.IssuedAt, u.id, u.username, vars),
		RefreshToken: s.signRefresh(claims.TokenID, claims.IssuedAt, u.id, u.username, vars),
	}, nil
}

// sessionLogout revokes the given session and refresh tokens, which must
// belong to the caller; with neither, it revokes every token the caller
// holds.
func (s *Server) sessionLogout(_ context.Context, c *call, req *api.SessionLogoutRequest) (*emptypb.Empty, error) {
	now := s.clock.now()
	var sessionExp, refreshExp int64
	var sessionID, refreshID string
	if req.Token != "" {
		cl, ok := parseToken(s.opts.EncryptionKey, req.Token, now)
		if !ok || cl.UserID != c.userID {
			return nil, newError(InvalidArgument, "Session token invalid.")
		}
		sessionExp, sessionID = cl.ExpiresAt, cl.TokenID
	}
	if req.RefreshToken != "" {
		cl, ok := parseToken(s.opts.RefreshEncryptionKey, req.RefreshToken, now)
		if !ok || cl.UserID != c.userID {
			return nil, newError(InvalidArgument, "Refresh token invalid.")
		}
		refreshExp, refreshID = cl.ExpiresAt, cl.TokenID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sessionID == "" && refreshID == "" {
		s.st.revokeAll(c.userID, now.Unix())
	} else {
		s.st.revokeTokens(c.userID, sessionExp, sessionID, refreshExp, refreshID)
	}
	return &emptypb.Empty{}, nil
}
