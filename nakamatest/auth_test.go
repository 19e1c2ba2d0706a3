package nakamatest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

const (
	devicePath = "/v2/account/authenticate/device"
	customPath = "/v2/account/authenticate/custom"
	emailPath  = "/v2/account/authenticate/email"
)

func TestAuthenticateDevice(t *testing.T) {
	_, c := startServer(t, nil)
	first := &api.Session{}
	c.send("POST", devicePath, `{"id":"device-0000001"}`, defaultServerKey).ok(t, first)
	if !first.Created || first.Token == "" || first.RefreshToken == "" {
		t.Errorf("first login %v", first)
	}
	again := &api.Session{}
	r := c.send("POST", devicePath, `{"id":"device-0000001"}`, defaultServerKey)
	r.ok(t, again)
	if again.Created || strings.Contains(r.body, "created") {
		t.Errorf("second login %s", r.body)
	}
	if claims(t, first.Token)["uid"] != claims(t, again.Token)["uid"] {
		t.Error("second login is another user")
	}
	if !regexp.MustCompile(`^[a-zA-Z]{10}$`).MatchString(claims(t, first.Token)["usn"].(string)) {
		t.Errorf("generated username %q", claims(t, first.Token)["usn"])
	}

	c.send("POST", devicePath+"?create=false", `{"id":"device-unknown"}`, defaultServerKey).
		fails(t, 404, NotFound, "User account not found.")
	c.send("POST", devicePath, `{"id":""}`, defaultServerKey).fails(t, 400, InvalidArgument, "Device ID is required.")
	c.send("POST", devicePath, `{"id":"short"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Device ID invalid, must be 10-128 bytes.")
	c.send("POST", devicePath, `{"id":"has a space here"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Device ID invalid, no spaces or control characters allowed.")
	c.send("POST", devicePath, `{"id":"`+strings.Repeat("d", 129)+`"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Device ID invalid, must be 10-128 bytes.")
}

func TestUsernames(t *testing.T) {
	_, c := startServer(t, nil)
	c.send("POST", devicePath+"?username=taken", `{"id":"username-device-1"}`, defaultServerKey).ok(t, nil)
	c.send("POST", devicePath+"?username=taken", `{"id":"username-device-2"}`, defaultServerKey).
		fails(t, 409, AlreadyExists, "Username is already in use.")
	// An existing account keeps its username whatever is asked.
	s := &api.Session{}
	c.send("POST", devicePath+"?username=other", `{"id":"username-device-1"}`, defaultServerKey).ok(t, s)
	if claims(t, s.Token)["usn"] != "taken" {
		t.Errorf("username %v", claims(t, s.Token)["usn"])
	}
	// Usernames are case-sensitive and, despite the message, may hold spaces.
	c.send("POST", devicePath+"?username=Taken", `{"id":"username-device-3"}`, defaultServerKey).ok(t, nil)
	c.send("POST", devicePath+"?username=with%20space", `{"id":"username-device-4"}`, defaultServerKey).ok(t, nil)
	c.send("POST", devicePath+"?username=tab%09tab", `{"id":"username-device-5"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Username invalid, no spaces or control characters allowed.")
	c.send("POST", devicePath+"?username=a%5B%5Db", `{"id":"username-device-5"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Username invalid, no spaces or control characters allowed.")
	c.send("POST", devicePath+"?username="+strings.Repeat("u", 129), `{"id":"username-device-5"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Username invalid, must be 1-128 bytes.")
}

func TestAuthenticateCustom(t *testing.T) {
	_, c := startServer(t, nil)
	s := &api.Session{}
	c.send("POST", customPath, `{"id":"custom1"}`, defaultServerKey).ok(t, s)
	if !s.Created {
		t.Error("not created")
	}
	c.send("POST", customPath, `{}`, defaultServerKey).fails(t, 400, InvalidArgument, "Custom ID is required.")
	c.send("POST", customPath, `{"id":"short"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Custom ID invalid, must be 6-128 bytes.")
	c.send("POST", customPath, `{"id":"has space"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Custom ID invalid, no spaces or control characters allowed.")
	c.send("POST", customPath, `{"id":"custom2"}`, defaultServerKey, "X: y").ok(t, nil)
	c.send("POST", customPath+"?create=false", `{"id":"custom3"}`, defaultServerKey).
		fails(t, 404, NotFound, "User account not found.")
}

func TestAuthenticateEmail(t *testing.T) {
	_, c := startServer(t, nil)
	s := &api.Session{}
	c.send("POST", emailPath+"?username=mailer", `{"email":"Someone@Example.com","password":"password1"}`, defaultServerKey).ok(t, s)
	if !s.Created {
		t.Error("not created")
	}
	if a := c.account(s); a.Email != "someone@example.com" {
		t.Errorf("email stored as %q", a.Email)
	}
	c.send("POST", emailPath, `{"email":"someone@example.com","password":"password1"}`, defaultServerKey).ok(t, nil)
	c.send("POST", emailPath, `{"email":"someone@example.com","password":"password2"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Invalid credentials.")
	// Username and password login, which never creates.
	c.send("POST", emailPath+"?username=mailer", `{"password":"password1"}`, defaultServerKey).ok(t, nil)
	c.send("POST", emailPath+"?username=mailer", `{"password":"password2"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Invalid credentials.")
	c.send("POST", emailPath+"?username=nobody", `{"password":"password1"}`, defaultServerKey).
		fails(t, 404, NotFound, "User account not found.")
	c.send("POST", emailPath, `{"password":"password1"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Username is required when email address is not supplied.")
	// An account without a password cannot log in by username.
	c.send("POST", devicePath+"?username=nopassword", `{"id":"email-device-1"}`, defaultServerKey).ok(t, nil)
	c.send("POST", emailPath+"?username=nopassword", `{"password":"password1"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Invalid credentials.")

	for body, msg := range map[string]string{
		`{"email":"a b@example.com","password":"password1"}`: "Invalid email address, no spaces or control characters allowed.",
		`{"email":"not-an-email","password":"password1"}`:    "Invalid email address format.",
		`{"email":"a@b.co","password":"password1"}`:          "Invalid email address, must be 10-255 bytes.",
		`{"email":"short@example.com","password":"pass"}`:    "Password must be at least 8 characters long.",
	} {
		c.send("POST", emailPath, body, defaultServerKey).fails(t, 400, InvalidArgument, msg)
	}
	c.send("POST", emailPath+"?create=false", `{"email":"new@example.com","password":"password1"}`, defaultServerKey).
		fails(t, 404, NotFound, "User account not found.")
	c.send("POST", emailPath, `{"email":"long@example.com","password":"`+strings.Repeat("p", 73)+`"}`, defaultServerKey).
		fails(t, 500, Internal, "Error finding or creating user account.")
}

func TestAuthenticateDisabledUser(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("disabled-device-1")
	uid := claims(t, s.Token)["uid"].(string)
	srv.FastForward(time.Second)
	if err := srv.DisableUser(uid); err != nil {
		t.Fatal(err)
	}
	c.send("POST", devicePath, `{"id":"disabled-device-1"}`, defaultServerKey).fails(t, 403, PermissionDenied, "User account banned.")
	c.send("GET", "/v2/account", "", bearerHeader(s)).fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Refresh token invalid or expired.")
	if err := srv.EnableUser(uid); err != nil {
		t.Fatal(err)
	}
	c.device("disabled-device-1")
}

func TestAuthenticateApple(t *testing.T) {
	srv, c := startServer(t, nil)
	const path = "/v2/account/authenticate/apple"
	c.send("POST", path, `{"token":"t"}`, defaultServerKey).fails(t, 400, FailedPrecondition, "Apple authentication is not configured.")
	c.send("POST", path, `{}`, defaultServerKey).fails(t, 400, FailedPrecondition, "Apple authentication is not configured.")
	srv.AddAppleToken("apple-token", AppleIdentity{ID: "apple-1", Email: "Apple@Example.com"})
	c.send("POST", path, `{}`, defaultServerKey).fails(t, 400, InvalidArgument, "Apple ID token is required.")
	c.send("POST", path, `{"token":"bad"}`, defaultServerKey).fails(t, 401, Unauthenticated, "Could not authenticate Apple profile.")
	s := &api.Session{}
	c.send("POST", path, `{"token":"apple-token"}`, defaultServerKey).ok(t, s)
	a := c.account(s)
	if !s.Created || a.User.AppleId != "apple-1" || a.Email != "Apple@Example.com" {
		t.Errorf("account %v", a)
	}
	// An email held by another account makes creation fail.
	srv.AddAppleToken("apple-token-2", AppleIdentity{ID: "apple-2", Email: "Apple@Example.com"})
	c.send("POST", path, `{"token":"apple-token-2"}`, defaultServerKey).
		fails(t, 500, Internal, "Error finding or creating user account.")
}

func TestAuthenticateSteam(t *testing.T) {
	srv, c := startServer(t, nil)
	const path = "/v2/account/authenticate/steam"
	c.send("POST", path, `{"token":"t"}`, defaultServerKey).fails(t, 400, FailedPrecondition, "Steam authentication is not configured.")
	srv.AddSteamToken("ticket", 76561197960287930)
	c.send("POST", path, `{"token":""}`, defaultServerKey).fails(t, 400, InvalidArgument, "Steam access token is required.")
	c.send("POST", path, `{"token":"bad"}`, defaultServerKey).fails(t, 401, Unauthenticated, "Could not authenticate Steam profile.")
	s := &api.Session{}
	c.send("POST", path+"?sync=true", `{"token":"ticket"}`, defaultServerKey).ok(t, s)
	if a := c.account(s); a.User.SteamId != "76561197960287930" {
		t.Errorf("steam id %q", a.User.SteamId)
	}
}

func TestAuthenticateGoogle(t *testing.T) {
	srv, c := startServer(t, nil)
	const path = "/v2/account/authenticate/google"
	c.send("POST", path, `{}`, defaultServerKey).fails(t, 400, InvalidArgument, "Google access token is required.")
	c.send("POST", path, `{"token":"bad"}`, defaultServerKey).fails(t, 401, Unauthenticated, "Could not authenticate Google profile.")
	srv.AddGoogleToken("g", GoogleIdentity{ID: "google-1", Email: "g@example.com", Name: "Gee", AvatarURL: "http://a/g.png"})
	s := &api.Session{}
	c.send("POST", path, `{"token":"g"}`, defaultServerKey).ok(t, s)
	a := c.account(s)
	if a.User.GoogleId != "google-1" || a.User.DisplayName != "Gee" || a.User.AvatarUrl != "http://a/g.png" || a.Email != "g@example.com" {
		t.Errorf("account %v", a)
	}
	// A returning user gets the profile's name back where the account has none.
	c.send("PUT", "/v2/account", `{"display_name":""}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", path, `{"token":"g"}`, defaultServerKey).ok(t, nil)
	if a := c.account(s); a.User.DisplayName != "Gee" {
		t.Errorf("display name %q after returning", a.User.DisplayName)
	}
}

func TestAuthenticateFacebook(t *testing.T) {
	srv, c := startServer(t, nil)
	const path = "/v2/account/authenticate/facebook"
	c.send("POST", path, `{}`, defaultServerKey).fails(t, 400, InvalidArgument, "Facebook access token is required.")
	c.send("POST", path, `{"token":"bad"}`, defaultServerKey).fails(t, 401, Unauthenticated, "Could not authenticate Facebook profile.")
	srv.AddFacebookToken("fb", FacebookIdentity{ID: "fb-1", Name: "Eff", Email: "f@example.com"})
	s := &api.Session{}
	c.send("POST", path, `{"token":"fb"}`, defaultServerKey).ok(t, s)
	if a := c.account(s); a.User.FacebookId != "fb-1" || a.User.DisplayName != "Eff" || a.Email != "f@example.com" {
		t.Errorf("account %v", a)
	}
}

func TestAuthenticateFacebookInstantGame(t *testing.T) {
	srv, c := startServer(t, nil)
	const path = "/v2/account/authenticate/facebookinstantgame"
	c.send("POST", path, `{}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "Signed Player Info for a Facebook Instant Game is required.")
	c.send("POST", path, `{"signed_player_info":"sig.payload"}`, defaultServerKey).
		fails(t, 500, DataLoss, "Error extracting the Facebook Instant Game player ID or validating the signature")
	srv.AddFacebookInstantGameSignedPlayerInfo("sig.payload", "player-1")
	s := &api.Session{}
	c.send("POST", path, `{"signedPlayerInfo":"sig.payload"}`, defaultServerKey).ok(t, s)
	if a := c.account(s); a.User.FacebookInstantGameId != "player-1" {
		t.Errorf("account %v", a)
	}
}

func TestAuthenticateGameCenter(t *testing.T) {
	srv, c := startServer(t, nil)
	const path = "/v2/account/authenticate/gamecenter"
	id := GameCenterIdentity{PlayerID: "G:1", BundleID: "com.example", TimestampSeconds: 1700000000,
		Salt: "c2FsdA==", Signature: "c2ln", PublicKeyURL: "https://static.gc.apple.com/public-key/gc-prod-4.cer"}
	body := `{"player_id":"G:1","bundle_id":"com.example","timestamp_seconds":"1700000000","salt":"c2FsdA==",` +
		`"signature":"c2ln","public_key_url":"https://static.gc.apple.com/public-key/gc-prod-4.cer"}`
	c.send("POST", path, `{"player_id":"G:1"}`, defaultServerKey).fails(t, 400, InvalidArgument, "GameCenter bundle ID is required.")
	c.send("POST", path, `{"bundle_id":"b","player_id":"p","public_key_url":"u","salt":"s","signature":"x"}`, defaultServerKey).
		fails(t, 400, InvalidArgument, "GameCenter timestamp is required.")
	c.send("POST", path, body, defaultServerKey).fails(t, 401, Unauthenticated, "Could not authenticate GameCenter profile.")
	srv.AddGameCenterIdentity(id)
	s := &api.Session{}
	c.send("POST", path, body, defaultServerKey).ok(t, s)
	if a := c.account(s); a.User.GamecenterId != "G:1" {
		t.Errorf("account %v", a)
	}
}

func TestSingleSession(t *testing.T) {
	srv, c := startServer(t, &Options{SingleSession: true})
	srv.SetTime(fixedTime)
	old := c.device("single-device-1")
	srv.FastForward(time.Second)
	c.device("single-device-1")
	c.send("GET", "/v2/account", "", bearerHeader(old)).fails(t, 401, Unauthenticated, "Auth token invalid")
}

func TestSessionRefresh(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := &api.Session{}
	c.send("POST", devicePath+"?username=before", `{"id":"refresh-device-1","vars":{"a":"1"}}`, defaultServerKey).ok(t, s)
	c.send("PUT", "/v2/account", `{"username":"after"}`, bearerHeader(s)).ok(t, nil)

	srv.FastForward(30 * time.Second)
	refreshed := &api.Session{}
	r := c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`"}`, defaultServerKey)
	r.ok(t, refreshed)
	if strings.Contains(r.body, "created") {
		t.Errorf("refresh answered %s", r.body)
	}
	old, cl := claims(t, s.Token), claims(t, refreshed.Token)
	if cl["tid"] != old["tid"] || claimInt(t, refreshed.Token, "iat") != claimInt(t, s.Token, "iat") {
		t.Errorf("3.40 keeps token id and issue time: old %v, new %v", old, cl)
	}
	if claimInt(t, refreshed.Token, "exp") != fixedTime.Unix()+30+60 {
		t.Errorf("exp %d", claimInt(t, refreshed.Token, "exp"))
	}
	if cl["usn"] != "after" || cl["vrs"].(map[string]any)["a"] != "1" {
		t.Errorf("claims %v: want the current username and the old vars", cl)
	}
	c.account(refreshed)

	// New vars replace the old ones.
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`","vars":{"b":"2"}}`, defaultServerKey).ok(t, refreshed)
	if v := claims(t, refreshed.Token)["vrs"].(map[string]any); v["b"] != "2" || v["a"] != nil {
		t.Errorf("vars %v", v)
	}

	c.send("POST", "/v2/account/session/refresh", `{}`, defaultServerKey).fails(t, 400, InvalidArgument, "Refresh token is required.")
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.Token+`"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Refresh token invalid or expired.")
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`"}`).
		fails(t, 401, Unauthenticated, "Server key required")
	srv.FastForward(3600 * time.Second)
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Refresh token invalid or expired.")
}

func TestSessionRefreshDeletedUser(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("refresh-deleted-1")
	// Deleted within the second the tokens were issued, so they survive.
	c.send("DELETE", "/v2/account", "", bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`"}`, defaultServerKey).
		fails(t, 404, NotFound, "User account not found.")
}

func TestSessionLogout(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("logout-device-1")
	other := c.device("logout-device-2")

	c.send("POST", "/v2/session/logout", `{"token":"`+other.Token+`"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Session token invalid.")
	c.send("POST", "/v2/session/logout", `{"refresh_token":"`+s.Token+`"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Refresh token invalid.")

	c.send("POST", "/v2/session/logout", `{"token":"`+s.Token+`","refresh_token":"`+s.RefreshToken+`"}`, bearerHeader(s)).ok(t, nil)
	c.send("GET", "/v2/account", "", bearerHeader(s)).fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("POST", "/v2/account/session/refresh", `{"token":"`+s.RefreshToken+`"}`, defaultServerKey).
		fails(t, 401, Unauthenticated, "Refresh token invalid or expired.")
	// A new login is unaffected.
	c.account(c.device("logout-device-1"))

	// Logging out with no tokens revokes everything issued before now.
	early := c.device("logout-device-2")
	srv.FastForward(time.Second)
	late := c.device("logout-device-2")
	srv.FastForward(time.Second)
	c.send("POST", "/v2/session/logout", `{}`, bearerHeader(late)).ok(t, nil)
	c.send("GET", "/v2/account", "", bearerHeader(early)).fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("GET", "/v2/account", "", bearerHeader(late)).fails(t, 401, Unauthenticated, "Auth token invalid")
	c.account(c.device("logout-device-2"))
}
