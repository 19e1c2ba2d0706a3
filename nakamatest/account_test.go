package nakamatest

import (
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

func TestGetAccountShape(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := &api.Session{}
	c.send("POST", devicePath+"?username=shape", `{"id":"shape-device-1"}`, defaultServerKey).ok(t, s)
	r := c.send("GET", "/v2/account", "", bearerHeader(s))
	r.ok(t, nil)
	uid := claims(t, s.Token)["uid"].(string)
	want := `{"user":{"id":"` + uid + `","username":"shape","lang_tag":"en","metadata":"{}",` +
		`"create_time":"2026-05-01T12:00:00Z","update_time":"2026-05-01T12:00:00Z"},` +
		`"wallet":"{}","devices":[{"id":"shape-device-1"}]}`
	if r.body != want {
		t.Errorf("account\n got %s\nwant %s", r.body, want)
	}
	// A disabled user's account hides the disable time; the direct API shows it.
	srv.FastForward(time.Second)
	if err := srv.DisableUser(uid); err != nil {
		t.Fatal(err)
	}
	if a, _ := srv.Account(uid); a.DisableTime.AsTime().Unix() != fixedTime.Unix()+1 {
		t.Errorf("disable time %v", a.DisableTime)
	}
}

func TestUpdateAccount(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("update-device-1")
	c.device("update-device-2")
	c.send("POST", devicePath+"?username=occupied", `{"id":"update-device-3"}`, defaultServerKey).ok(t, nil)

	srv.FastForward(5 * time.Second)
	c.send("PUT", "/v2/account", `{"username":"renamed","display_name":"Dee","avatar_url":"http://a","lang_tag":"fr",`+
		`"location":"Here","timezone":"UTC"}`, bearerHeader(s)).ok(t, nil)
	a := c.account(s)
	u := a.User
	if u.Username != "renamed" || u.DisplayName != "Dee" || u.AvatarUrl != "http://a" || u.LangTag != "fr" ||
		u.Location != "Here" || u.Timezone != "UTC" || u.UpdateTime.AsTime().Unix() != fixedTime.Unix()+5 {
		t.Errorf("after update %v", u)
	}
	// Setting the same values changes nothing, not even the update time.
	srv.FastForward(5 * time.Second)
	c.send("PUT", "/v2/account", `{"username":"renamed","display_name":"Dee"}`, bearerHeader(s)).ok(t, nil)
	if got := c.account(s).User.UpdateTime.AsTime().Unix(); got != fixedTime.Unix()+5 {
		t.Errorf("update time moved to %d on a no-op update", got)
	}
	// An empty string clears a field, lang_tag included.
	c.send("PUT", "/v2/account", `{"lang_tag":"","display_name":""}`, bearerHeader(s)).ok(t, nil)
	r := c.send("GET", "/v2/account", "", bearerHeader(s))
	if strings.Contains(r.body, "lang_tag") || strings.Contains(r.body, "display_name") {
		t.Errorf("cleared fields still shown: %s", r.body)
	}

	c.send("PUT", "/v2/account", `{}`, bearerHeader(s)).fails(t, 400, InvalidArgument, "No fields to update.")
	c.send("PUT", "/v2/account", `{"username":""}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Username invalid, must be 1-128 bytes.")
	c.send("PUT", "/v2/account", `{"username":"a\tb"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Username invalid, no spaces or control characters allowed.")
	c.send("PUT", "/v2/account", `{"username":"occupied"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "rpc error: code = AlreadyExists desc = Username is already in use.")
	c.send("PUT", "/v2/account", `{"display_name":"`+strings.Repeat("é", 256)+`"}`, bearerHeader(s)).
		fails(t, 500, Internal, "Error while trying to update account.")
	c.send("PUT", "/v2/account", `{"display_name":"`+strings.Repeat("é", 255)+`"}`, bearerHeader(s)).ok(t, nil)
	c.send("PUT", "/v2/account", `{"location":"a\u0000b"}`, bearerHeader(s)).
		fails(t, 500, Internal, "Error while trying to update account.")

	// The old username is free again.
	if _, ok := srv.UserByUsername("renamed"); !ok {
		t.Error("renamed user not found by username")
	}
}

func TestDeleteAccount(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("delete-device-1")
	srv.FastForward(2 * time.Second)
	c.send("DELETE", "/v2/account", "", bearerHeader(s)).ok(t, nil)
	c.send("GET", "/v2/account", "", bearerHeader(s)).fails(t, 401, Unauthenticated, "Auth token invalid")
	if len(srv.Users()) != 0 {
		t.Errorf("users left: %v", srv.Users())
	}
	// The device is free again and makes a new account.
	again := &api.Session{}
	c.send("POST", devicePath, `{"id":"delete-device-1"}`, defaultServerKey).ok(t, again)
	if !again.Created {
		t.Error("device still taken after deletion")
	}

	// A token issued in the second of the deletion outlives the account.
	c.send("DELETE", "/v2/account", "", bearerHeader(again)).ok(t, nil)
	c.send("GET", "/v2/account", "", bearerHeader(again)).fails(t, 404, NotFound, "Account not found.")
	c.send("DELETE", "/v2/account", "", bearerHeader(again)).ok(t, nil)
}

func TestLinkAndUnlink(t *testing.T) {
	_, c := startServer(t, nil)
	s := c.device("link-device-1")
	other := c.device("link-device-2")
	c.send("POST", "/v2/account/link/custom", `{"id":"custom-other"}`, bearerHeader(other)).ok(t, nil)

	// The only identity cannot go.
	c.send("POST", "/v2/account/unlink/device", `{"id":"link-device-1"}`, bearerHeader(s)).
		fails(t, 403, PermissionDenied, "Cannot unlink last account identifier. Check profile exists and is not last link.")
	c.send("POST", "/v2/account/unlink/device", `{}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "A device ID must be supplied.")

	// Identities held by others.
	c.send("POST", "/v2/account/link/custom", `{"id":"custom-other"}`, bearerHeader(s)).
		fails(t, 409, AlreadyExists, "Custom ID is already in use.")
	c.send("POST", "/v2/account/link/device", `{"id":"link-device-2"}`, bearerHeader(s)).
		fails(t, 409, AlreadyExists, "Device ID already in use.")
	c.send("POST", "/v2/account/link/custom", `{"id":"bad id"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Invalid custom ID, no spaces or control characters allowed.")
	c.send("POST", "/v2/account/link/custom", `{"id":"short"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Invalid custom ID, must be 6-128 bytes.")

	// Linking again what one holds is fine; then the device can go.
	c.send("POST", "/v2/account/link/device", `{"id":"link-device-1"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/link/device", `{"id":"link-device-3"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/link/custom", `{"id":"custom-mine"}`, bearerHeader(s)).ok(t, nil)
	a := c.account(s)
	if a.CustomId != "custom-mine" || len(a.Devices) != 2 {
		t.Errorf("after linking %v", a)
	}
	c.send("POST", "/v2/account/unlink/device", `{"id":"link-device-1"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/unlink/device", `{"id":"link-device-3"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/unlink/device", `{"id":"link-device-2"}`, bearerHeader(s)).
		fails(t, 403, PermissionDenied, "Cannot unlink last account identifier. Check profile exists and is not last link.")
	// The custom id is now the last identity; a wrong value fails too.
	c.send("POST", "/v2/account/unlink/custom", `{"id":"custom-mine"}`, bearerHeader(s)).
		fails(t, 403, PermissionDenied, "Cannot unlink last account identifier. Check profile exists and is not last link.")
	c.send("POST", "/v2/account/authenticate/custom?create=false", `{"id":"custom-mine"}`, defaultServerKey).ok(t, nil)
}

func TestLinkEmail(t *testing.T) {
	_, c := startServer(t, nil)
	s := c.device("email-link-device-1")
	other := c.device("email-link-device-2")
	c.send("POST", "/v2/account/link/email", `{"email":"Linked@Example.com","password":"password1"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", emailPath+"?create=false", `{"email":"linked@example.com","password":"password1"}`, defaultServerKey).ok(t, nil)
	c.send("POST", "/v2/account/link/email", `{"email":"linked@example.com","password":"password1"}`, bearerHeader(other)).
		fails(t, 409, AlreadyExists, "Email is already in use.")
	for body, msg := range map[string]string{
		`{"email":"x@example.com"}`:                      "Email address and password is required.",
		`{"email":"x y@example.com","password":"p"}`:     "Invalid email address, no spaces or control characters allowed.",
		`{"email":"bad","password":"p"}`:                 "Password must be at least 8 characters long.",
		`{"email":"bad","password":"password1"}`:         "Invalid email address format.",
		`{"email":"a@b.co","password":"password1"}`:      "Invalid email address, must be 10-255 bytes.",
		`{"email":"x y@example.com","password":"long1"}`: "Invalid email address, no spaces or control characters allowed.",
	} {
		c.send("POST", "/v2/account/link/email", body, bearerHeader(other)).fails(t, 400, InvalidArgument, msg)
	}
	c.send("POST", "/v2/account/unlink/email", `{"email":"LINKED@example.com"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", emailPath+"?create=false", `{"email":"linked@example.com","password":"password1"}`, defaultServerKey).
		fails(t, 404, NotFound, "User account not found.")
}

func TestLinkSocial(t *testing.T) {
	srv, c := startServer(t, nil)
	s := c.device("social-link-device-1")
	other := c.device("social-link-device-2")

	c.send("POST", "/v2/account/link/apple", `{"token":"a"}`, bearerHeader(s)).
		fails(t, 400, FailedPrecondition, "Apple authentication is not configured.")
	c.send("POST", "/v2/account/link/steam", `{}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Steam access token is required.")
	c.send("POST", "/v2/account/link/steam", `{"account":{"token":"t"}}`, bearerHeader(s)).
		fails(t, 400, FailedPrecondition, "Steam authentication is not configured.")
	c.send("POST", "/v2/account/link/google", `{"token":"nope"}`, bearerHeader(s)).
		fails(t, 401, Unauthenticated, "Could not authenticate Google profile.")
	c.send("POST", "/v2/account/link/facebookinstantgame", `{"signed_player_info":"nope"}`, bearerHeader(s)).
		fails(t, 401, Unauthenticated, "Could not authenticate Facebook Instant Game profile.")
	c.send("POST", "/v2/account/link/facebook", `{}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Facebook access token is required.")

	srv.AddGoogleToken("g", GoogleIdentity{ID: "google-1", Name: "Gee", Email: "gee@example.com"})
	srv.AddFacebookToken("f", FacebookIdentity{ID: "fb-1", Name: "Eff", AvatarURL: "http://f"})
	srv.AddSteamToken("st", 42)
	c.send("POST", "/v2/account/link/google", `{"token":"g"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/link/facebook", `{"token":"f"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/link/steam", `{"account":{"token":"st"}}`, bearerHeader(s)).ok(t, nil)
	a := c.account(s)
	if a.User.GoogleId != "google-1" || a.User.FacebookId != "fb-1" || a.User.SteamId != "42" ||
		a.User.DisplayName != "Gee" || a.User.AvatarUrl != "http://f" || a.Email != "gee@example.com" {
		t.Errorf("account after social links %v", a)
	}
	c.send("POST", "/v2/account/link/google", `{"token":"g"}`, bearerHeader(other)).
		fails(t, 409, AlreadyExists, "Google ID is already in use.")
	c.send("POST", "/v2/account/link/steam", `{"account":{"token":"st"}}`, bearerHeader(other)).
		fails(t, 409, AlreadyExists, "Steam ID is already in use.")

	// Unlinking with a token checks it; without one, whatever is linked goes.
	c.send("POST", "/v2/account/unlink/google", `{"token":"unknown"}`, bearerHeader(s)).
		fails(t, 401, Unauthenticated, "Could not authenticate Google profile.")
	c.send("POST", "/v2/account/unlink/google", `{"token":"g"}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/unlink/facebook", `{}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/account/unlink/steam", `{"token":"st"}`, bearerHeader(s)).ok(t, nil)
	a = c.account(s)
	if a.User.GoogleId != "" || a.User.FacebookId != "" || a.User.SteamId != "" {
		t.Errorf("account after unlinking %v", a)
	}
}

func TestLinkGameCenter(t *testing.T) {
	srv, c := startServer(t, nil)
	s := c.device("gc-link-device-1")
	id := GameCenterIdentity{PlayerID: "G:9", BundleID: "b", TimestampSeconds: 5, Salt: "s", Signature: "x", PublicKeyURL: "u"}
	body := `{"player_id":"G:9","bundle_id":"b","timestamp_seconds":5,"salt":"s","signature":"x","public_key_url":"u"}`
	c.send("POST", "/v2/account/link/gamecenter", `{"player_id":"G:9"}`, bearerHeader(s)).
		fails(t, 400, InvalidArgument, "GameCenter bundle ID is required.")
	c.send("POST", "/v2/account/link/gamecenter", body, bearerHeader(s)).
		fails(t, 401, Unauthenticated, "Could not authenticate GameCenter profile.")
	srv.AddGameCenterIdentity(id)
	c.send("POST", "/v2/account/link/gamecenter", body, bearerHeader(s)).ok(t, nil)
	// Partial credentials unlink without verification.
	c.send("POST", "/v2/account/unlink/gamecenter", `{"player_id":"someone-else"}`, bearerHeader(s)).ok(t, nil)
	if a := c.account(s); a.User.GamecenterId != "" {
		t.Errorf("game center id %q after unlink", a.User.GamecenterId)
	}
}
