package nakamatest

import (
	"context"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
)

func (s *Server) registerLink() {
	handle(s, "LinkApple", s.linkApple)
	handle(s, "LinkCustom", s.linkCustom)
	handle(s, "LinkDevice", s.linkDevice)
	handle(s, "LinkEmail", s.linkEmail)
	handle(s, "LinkFacebook", s.linkFacebook)
	handle(s, "LinkFacebookInstantGame", s.linkFacebookInstantGame)
	handle(s, "LinkGameCenter", s.linkGameCenter)
	handle(s, "LinkGoogle", s.linkGoogle)
	handle(s, "LinkSteam", s.linkSteam)
	handle(s, "UnlinkApple", s.unlinkApple)
	handle(s, "UnlinkCustom", s.unlinkCustom)
	handle(s, "UnlinkDevice", s.unlinkDevice)
	handle(s, "UnlinkEmail", s.unlinkEmail)
	handle(s, "UnlinkFacebook", s.unlinkFacebook)
	handle(s, "UnlinkFacebookInstantGame", s.unlinkFacebookInstantGame)
	handle(s, "UnlinkGameCenter", s.unlinkGameCenter)
	handle(s, "UnlinkGoogle", s.unlinkGoogle)
	handle(s, "UnlinkSteam", s.unlinkSteam)
}

var empty = &emptypb.Empty{}

// link gives the caller identity k = v; s.mu is held. The server links with
// one conditional update, so a missing account and an identity another
// account holds fail alike, with inUse. extra, if given, runs on success to
// apply what the provider's profile adds.
func (s *Server) link(userID string, k idKind, v, inUse string, extra func(u *user)) error {
	u := s.st.users[userID]
	if other := s.st.byID[k][v]; u == nil || (other != nil && other != u) {
		return newError(AlreadyExists, inUse)
	}
	s.st.setIdentity(u, k, v)
	if extra != nil {
		extra(u)
	}
	u.updateTime = s.clock.now()
	return nil
}

// unlink removes identity k from the caller; s.mu is held. match, when not
// empty, must be the linked value. It fails, with one message for every
// cause, when the account is gone, the value does not match or the identity
// is the account's last way to log in.
func (s *Server) unlink(userID string, k idKind, match string) error {
	u := s.st.users[userID]
	if u == nil || (match != "" && u.ids[k] != match) || !u.hasIdentityBesides(k, "") {
		return newError(PermissionDenied, msgLastLink)
	}
	s.st.setIdentity(u, k, "")
	if k == kindEmail {
		u.password = nil
	}
	u.updateTime = s.clock.now()
	return nil
}

// fillProfile sets a linking account's display name and avatar from a
// provider where the account has none.
func fillProfile(u *user, name, avatar string) {
	if u.displayName == "" {
		u.displayName = name
	}
	if u.avatarURL == "" {
		u.avatarURL = avatar
	}
}

func (s *Server) linkApple(_ context.Context, c *call, req *api.AccountApple) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.social.appleConfigured() {
		return nil, newError(FailedPrecondition, msgAppleNotConfig)
	}
	if req.Token == "" {
		return nil, newError(InvalidArgument, "Apple ID token is required.")
	}
	prof, ok := s.st.social.apple[req.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgAppleAuth)
	}
	return empty, s.link(c.userID, kindApple, prof.ID, "Apple ID is already in use.", func(u *user) {
		s.importEmail(u, prof.Email)
	})
}

func (s *Server) linkCustom(_ context.Context, c *call, req *api.AccountCustom) (*emptypb.Empty, error) {
	switch {
	case req.Id == "":
		return nil, newError(InvalidArgument, "Custom ID is required.")
	case invalidChars.MatchString(req.Id):
		return nil, newError(InvalidArgument, "Invalid custom ID, no spaces or control characters allowed.")
	case len(req.Id) < 6 || len(req.Id) > 128:
		return nil, newError(InvalidArgument, "Invalid custom ID, must be 6-128 bytes.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return empty, s.link(c.userID, kindCustom, req.Id, "Custom ID is already in use.", nil)
}

func (s *Server) linkDevice(_ context.Context, c *call, req *api.AccountDevice) (*emptypb.Empty, error) {
	if err := checkDeviceID(req.Id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[c.userID]
	owner := s.st.byDevice[req.Id]
	switch {
	case owner != nil && owner != u:
		return nil, newError(AlreadyExists, "Device ID already in use.")
	case u == nil:
		return nil, newError(Internal, "Error linking Device ID.")
	case owner == nil:
		s.st.addDevice(u, req.Id)
	}
	u.updateTime = s.clock.now()
	return empty, nil
}

func (s *Server) linkEmail(_ context.Context, c *call, req *api.AccountEmail) (*emptypb.Empty, error) {
	// The order of the checks differs from AuthenticateEmail's, as on the
	// server.
	switch {
	case req.Email == "" || req.Password == "":
		return nil, newError(InvalidArgument, "Email address and password is required.")
	case invalidChars.MatchString(req.Email):
		return nil, newError(InvalidArgument, "Invalid email address, no spaces or control characters allowed.")
	case len(req.Password) < 8:
		return nil, newError(InvalidArgument, "Password must be at least 8 characters long.")
	case !emailFormat.MatchString(req.Email):
		return nil, newError(InvalidArgument, "Invalid email address format.")
	case len(req.Email) < 10 || len(req.Email) > 255:
		return nil, newError(InvalidArgument, "Invalid email address, must be 10-255 bytes.")
	}
	var hash []byte
	if len(req.Password) <= maxPasswordBytes {
		// The server ignores bcrypt's refusal of longer passwords and links
		// the email with no password at all.
		hash = s.rand.hashPassword(req.Password)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return empty, s.link(c.userID, kindEmail, strings.ToLower(req.Email), "Email is already in use.", func(u *user) {
		u.password = hash
	})
}

func (s *Server) linkFacebook(_ context.Context, c *call, req *api.LinkFacebookRequest) (*emptypb.Empty, error) {
	if req.GetAccount().GetToken() == "" {
		return nil, newError(InvalidArgument, "Facebook access token is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prof, ok := s.st.social.facebook[req.Account.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgFacebookAuth)
	}
	return empty, s.link(c.userID, kindFacebook, prof.ID, "Facebook ID is already in use.", func(u *user) {
		fillProfile(u, prof.Name, prof.AvatarURL)
		s.importEmail(u, prof.Email)
	})
}

func (s *Server) linkFacebookInstantGame(_ context.Context, c *call, req *api.AccountFacebookInstantGame) (*emptypb.Empty, error) {
	if req.SignedPlayerInfo == "" {
		return nil, newError(InvalidArgument, "Signed Player Info for a Facebook Instant Game is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	playerID, ok := s.st.social.fbInstant[req.SignedPlayerInfo]
	if !ok {
		return nil, newError(Unauthenticated, msgFBInstantAuth)
	}
	return empty, s.link(c.userID, kindFacebookInstantGame, playerID, "Facebook Instant Game ID is already in use.", nil)
}

func (s *Server) linkGameCenter(_ context.Context, c *call, req *api.AccountGameCenter) (*emptypb.Empty, error) {
	if err := checkGameCenter(req); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.gameCenterVerified(req) {
		return nil, newError(Unauthenticated, msgGameCenterAuth)
	}
	return empty, s.link(c.userID, kindGameCenter, req.PlayerId, "GameCenter ID is already in use.", nil)
}

func (s *Server) linkGoogle(_ context.Context, c *call, req *api.AccountGoogle) (*emptypb.Empty, error) {
	if req.Token == "" {
		return nil, newError(InvalidArgument, "Google access token is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prof, ok := s.st.social.google[req.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgGoogleAuth)
	}
	name, avatar := googleProfile(prof)
	return empty, s.link(c.userID, kindGoogle, prof.ID, "Google ID is already in use.", func(u *user) {
		fillProfile(u, name, avatar)
		s.importEmail(u, prof.Email)
	})
}

func (s *Server) linkSteam(_ context.Context, c *call, req *api.LinkSteamRequest) (*emptypb.Empty, error) {
	if req.GetAccount().GetToken() == "" {
		return nil, newError(InvalidArgument, "Steam access token is required.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.social.steamConfigured() {
		return nil, newError(FailedPrecondition, msgSteamNotConfig)
	}
	steamID, ok := s.st.social.steam[req.Account.Token]
	if !ok {
		return nil, newError(Unauthenticated, msgSteamAuth)
	}
	return empty, s.link(c.userID, kindSteam, steamID, "Steam ID is already in use.", nil)
}

func (s *Server) unlinkApple(_ context.Context, c *call, req *api.AccountApple) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match string
	if req.Token != "" {
		prof, ok := s.st.social.apple[req.Token]
		if !ok {
			return nil, newError(Unauthenticated, msgAppleAuth)
		}
		match = prof.ID
	}
	return empty, s.unlink(c.userID, kindApple, match)
}

func (s *Server) unlinkCustom(_ context.Context, c *call, req *api.AccountCustom) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return empty, s.unlink(c.userID, kindCustom, req.Id)
}

func (s *Server) unlinkDevice(_ context.Context, c *call, req *api.AccountDevice) (*emptypb.Empty, error) {
	if req.Id == "" {
		return nil, newError(InvalidArgument, "A device ID must be supplied.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[c.userID]
	if u == nil || s.st.byDevice[req.Id] != u || !u.hasIdentityBesides(-1, req.Id) {
		return nil, newError(PermissionDenied, msgLastLink)
	}
	s.st.removeDevice(u, req.Id)
	u.updateTime = s.clock.now()
	return empty, nil
}

func (s *Server) unlinkEmail(_ context.Context, c *call, req *api.AccountEmail) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return empty, s.unlink(c.userID, kindEmail, strings.ToLower(req.Email))
}

func (s *Server) unlinkFacebook(_ context.Context, c *call, req *api.AccountFacebook) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match string
	if req.Token != "" {
		prof, ok := s.st.social.facebook[req.Token]
		if !ok {
			return nil, newError(Unauthenticated, msgFacebookAuth)
		}
		match = prof.ID
	}
	return empty, s.unlink(c.userID, kindFacebook, match)
}

func (s *Server) unlinkFacebookInstantGame(_ context.Context, c *call, req *api.AccountFacebookInstantGame) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match string
	if req.SignedPlayerInfo != "" {
		playerID, ok := s.st.social.fbInstant[req.SignedPlayerInfo]
		if !ok {
			return nil, newError(Unauthenticated, msgFBInstantAuth)
		}
		match = playerID
	}
	return empty, s.unlink(c.userID, kindFacebookInstantGame, match)
}

func (s *Server) unlinkGameCenter(_ context.Context, c *call, req *api.AccountGameCenter) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match string
	// The server verifies, and then requires a match, only when every
	// field is present; otherwise it unlinks whatever is linked.
	if checkGameCenter(req) == nil {
		if !s.gameCenterVerified(req) {
			return nil, newError(Unauthenticated, msgGameCenterAuth)
		}
		match = req.PlayerId
	}
	return empty, s.unlink(c.userID, kindGameCenter, match)
}

func (s *Server) unlinkGoogle(_ context.Context, c *call, req *api.AccountGoogle) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match string
	if req.Token != "" {
		prof, ok := s.st.social.google[req.Token]
		if !ok {
			return nil, newError(Unauthenticated, msgGoogleAuth)
		}
		match = prof.ID
	}
	return empty, s.unlink(c.userID, kindGoogle, match)
}

func (s *Server) unlinkSteam(_ context.Context, c *call, req *api.AccountSteam) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match string
	if req.Token != "" {
		steamID, ok := s.st.social.steam[req.Token]
		if !ok {
			return nil, newError(Unauthenticated, msgSteamAuth)
		}
		match = steamID
	}
	return empty, s.unlink(c.userID, kindSteam, match)
}
