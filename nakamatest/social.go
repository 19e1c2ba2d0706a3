package nakamatest

import "strconv"

// The real server checks a social login by calling the provider (Apple,
// Facebook, Google, Steam) or by verifying a signature with a configured
// secret. nakamatest has no network access to providers, so a test registers
// each token it will use together with the identity the provider would
// return. A token that was never registered fails the way it fails on a real
// server that cannot verify it; for Apple and Steam, whose verification
// needs server configuration, a server with no registered token at all
// behaves as one without that provider configured.

// AppleIdentity is what Apple's identity token says about a user.
type AppleIdentity struct {
	// ID is the Apple user id (the token's "sub").
	ID string
	// Email, when set, is imported into a new or linking account if no other
	// account holds it.
	Email string
}

// FacebookIdentity is what Facebook's Graph API says about a user.
type FacebookIdentity struct {
	// ID is the Facebook user id.
	ID string
	// Name becomes the display name of an account created with it, and of a
	// linking account that has none.
	Name string
	// Email, when set, is imported as for Apple.
	Email string
	// AvatarURL is the profile picture URL, used like Name.
	AvatarURL string
}

// GoogleIdentity is what a Google ID token says about a user.
type GoogleIdentity struct {
	// ID is the Google user id (the token's "sub").
	ID string
	// Email, when set, is imported as for Apple.
	Email string
	// Name becomes the display name, as for Facebook. Names longer than 255
	// bytes are ignored, as the server ignores them.
	Name string
	// AvatarURL becomes the avatar, as for Facebook; URLs longer than 512
	// bytes are ignored.
	AvatarURL string
}

// GameCenterIdentity is a Game Center identity verification: the player id
// with the signature Apple's GameKit produced for it. A request matches only
// if every field is equal.
type GameCenterIdentity struct {
	// PlayerID is the Game Center player id, which becomes the account's
	// gamecenter_id.
	PlayerID string
	// BundleID is the app's bundle id.
	BundleID string
	// TimestampSeconds is when GameKit signed the verification.
	TimestampSeconds int64
	// Salt and Signature are GameKit's, base64 encoded.
	Salt      string
	Signature string
	// PublicKeyURL is where Apple publishes the key that signed it.
	PublicKeyURL string
}

type socialProviders struct {
	apple      map[string]AppleIdentity
	facebook   map[string]FacebookIdentity
	google     map[string]GoogleIdentity
	fbInstant  map[string]string // signed player info → player id
	steam      map[string]string // ticket → steam id, in decimal
	gameCenter map[GameCenterIdentity]bool
}

func (p *socialProviders) init() {
	p.apple = map[string]AppleIdentity{}
	p.facebook = map[string]FacebookIdentity{}
	p.google = map[string]GoogleIdentity{}
	p.fbInstant = map[string]string{}
	p.steam = map[string]string{}
	p.gameCenter = map[GameCenterIdentity]bool{}
}

func (p *socialProviders) appleConfigured() bool { return len(p.apple) > 0 }
func (p *socialProviders) steamConfigured() bool { return len(p.steam) > 0 }

// AddAppleToken registers an Apple identity token. Until a first token is
// registered, Apple calls fail as on a server without an Apple bundle id
// (FailedPrecondition "Apple authentication is not configured."); after
// that, unknown tokens fail verification (Unauthenticated).
func (s *Server) AddAppleToken(token string, id AppleIdentity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.social.apple[token] = id
}

// AddFacebookToken registers a Facebook access token. Unknown tokens fail
// with Unauthenticated "Could not authenticate Facebook profile.".
func (s *Server) AddFacebookToken(token string, id FacebookIdentity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.social.facebook[token] = id
}

// AddFacebookInstantGameSignedPlayerInfo registers a Facebook Instant Games
// signed player info string for the player id. Unknown strings fail as a
// bad signature does: DataLoss when authenticating, Unauthenticated when
// linking or unlinking.
func (s *Server) AddFacebookInstantGameSignedPlayerInfo(signedPlayerInfo, playerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.social.fbInstant[signedPlayerInfo] = playerID
}

// AddGameCenterIdentity registers a Game Center verification. Requests that
// do not match a registered one field for field fail with Unauthenticated
// "Could not authenticate GameCenter profile.".
func (s *Server) AddGameCenterIdentity(id GameCenterIdentity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.social.gameCenter[id] = true
}

// AddGoogleToken registers a Google ID token. Unknown tokens fail with
// Unauthenticated "Could not authenticate Google profile.".
func (s *Server) AddGoogleToken(token string, id GoogleIdentity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.social.google[token] = id
}

// AddSteamToken registers a Steam session ticket for a SteamID64. As with
// Apple, a server with no Steam ticket registered behaves as one without
// Steam configured (FailedPrecondition "Steam authentication is not
// configured."), and once one is registered unknown tickets fail with
// Unauthenticated.
func (s *Server) AddSteamToken(token string, steamID uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.social.steam[token] = strconv.FormatUint(steamID, 10)
}
