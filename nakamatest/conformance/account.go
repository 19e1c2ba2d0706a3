package conformance

import (
	"errors"
	"slices"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
)

func init() {
	register(
		Case{Name: "Healthcheck", Run: testHealthcheck},
		Case{Name: "AuthenticateDevice", Run: testAuthenticateDevice},
		Case{Name: "AuthenticateCustom", Run: testAuthenticateCustom},
		Case{Name: "AuthenticateEmail", Run: testAuthenticateEmail},
		Case{Name: "AuthenticateProvidersUnconfigured", Run: testAuthenticateProvidersUnconfigured},
		Case{Name: "AuthenticateProvidersRegistered", Run: testAuthenticateProvidersRegistered},
		Case{Name: "SessionRefreshAndLogout", Run: testSessionRefreshAndLogout},
		Case{Name: "Account", Run: testAccount},
		Case{Name: "DeleteAccount", Run: testDeleteAccount},
		Case{Name: "GetUsers", Run: testGetUsers},
		Case{Name: "LinkUnlinkDeviceCustomEmail", Run: testLinkUnlinkBasic},
		Case{Name: "LinkUnlinkProviders", Run: testLinkUnlinkProviders},
	)
}

func testHealthcheck(t *testing.T, h *Harness) {
	Must(t, h.Client.Healthcheck(h.Ctx(t)))
}

func testAuthenticateDevice(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	id := h.Unique("device")
	s1, err := h.Client.AuthenticateDevice(ctx, id, &nakama.AuthenticateOptions{Vars: map[string]string{"k": "v"}})
	Must(t, err)
	if !s1.Created() || s1.UserID() == "" {
		t.Fatalf("first authenticate: created %v, user %q; want a new account", s1.Created(), s1.UserID())
	}
	if n := len(s1.Username()); n != 10 {
		t.Errorf("generated username %q has %d characters, want 10", s1.Username(), n)
	}
	if got := s1.Vars()["k"]; got != "v" {
		t.Errorf("vars in token: k=%q, want v", got)
	}
	if s1.RefreshToken() == "" || s1.Expired() {
		t.Errorf("session: refresh token %t, expired %v", s1.RefreshToken() != "", s1.Expired())
	}
	s2, err := h.Client.AuthenticateDevice(ctx, id, nil)
	Must(t, err)
	if s2.Created() || s2.UserID() != s1.UserID() {
		t.Errorf("second authenticate: created %v user %q, want the same account %q", s2.Created(), s2.UserID(), s1.UserID())
	}

	_, err = h.Client.AuthenticateDevice(ctx, h.Unique("absent"), &nakama.AuthenticateOptions{NoCreate: true})
	if e := Code(t, err, nakama.NotFound); e.Message != "User account not found." {
		t.Errorf("NoCreate message %q", e.Message)
	}
	_, err = h.Client.AuthenticateDevice(ctx, "short", nil)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Device ID invalid, must be 10-128 bytes." {
		t.Errorf("short id message %q", e.Message)
	}

	name := h.Unique("u")
	s3, err := h.Client.AuthenticateDevice(ctx, h.Unique("device"), &nakama.AuthenticateOptions{Username: name})
	Must(t, err)
	if s3.Username() != name {
		t.Errorf("username %q, want %q", s3.Username(), name)
	}
	_, err = h.Client.AuthenticateDevice(ctx, h.Unique("device"), &nakama.AuthenticateOptions{Username: name})
	if e := Code(t, err, nakama.AlreadyExists); e.Message != "Username is already in use." {
		t.Errorf("duplicate username message %q", e.Message)
	}
}

func testAuthenticateCustom(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	id := h.Unique("custom")
	s1, err := h.Client.AuthenticateCustom(ctx, id, nil)
	Must(t, err)
	s2, err := h.Client.AuthenticateCustom(ctx, id, &nakama.AuthenticateOptions{NoCreate: true})
	Must(t, err)
	if !s1.Created() || s2.Created() || s1.UserID() != s2.UserID() {
		t.Errorf("created %v then %v; users %q and %q", s1.Created(), s2.Created(), s1.UserID(), s2.UserID())
	}
	_, err = h.Client.AuthenticateCustom(ctx, "abc", nil)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Custom ID invalid, must be 6-128 bytes." {
		t.Errorf("short id message %q", e.Message)
	}
}

func testAuthenticateEmail(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	email := h.Unique("mail") + "@example.com"
	s1, err := h.Client.AuthenticateEmail(ctx, email, "correct horse", nil)
	Must(t, err)
	if !s1.Created() {
		t.Fatal("email authenticate did not create the account")
	}
	s2, err := h.Client.AuthenticateEmail(ctx, email, "correct horse", &nakama.AuthenticateOptions{NoCreate: true})
	Must(t, err)
	if s2.UserID() != s1.UserID() {
		t.Errorf("same email gave users %q and %q", s1.UserID(), s2.UserID())
	}
	_, err = h.Client.AuthenticateEmail(ctx, email, "wrong password", nil)
	if e := Code(t, err, nakama.Unauthenticated); e.Message != "Invalid credentials." {
		t.Errorf("wrong password message %q", e.Message)
	}
	_, err = h.Client.AuthenticateEmail(ctx, "not-an-email-address", "correct horse", nil)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid email address format." {
		t.Errorf("bad email message %q", e.Message)
	}
	_, err = h.Client.AuthenticateEmail(ctx, h.Unique("mail")+"@example.com", "short", nil)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Password must be at least 8 characters long." {
		t.Errorf("short password message %q", e.Message)
	}
	acct, err := h.Client.GetAccount(ctx, s1)
	Must(t, err)
	if acct.GetEmail() != email {
		t.Errorf("account email %q, want %q", acct.GetEmail(), email)
	}
}

// testAuthenticateProvidersUnconfigured checks what a server without social
// providers configured answers to tokens it cannot check: nakamatest with no
// token registered, and a real server without provider credentials.
func testAuthenticateProvidersUnconfigured(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	gc := nakama.GameCenter{PlayerID: "p", BundleID: "b", Timestamp: 1, Salt: "s", Signature: "c", PublicKeyURL: "https://127.0.0.1:1/key.cer"}
	cases := []struct {
		name string
		err  error
		want []nakama.Code
	}{
		{"Apple", second(h.Client.AuthenticateApple(ctx, "token", nil)), []nakama.Code{nakama.FailedPrecondition, nakama.Unauthenticated}},
		{"Facebook", second(h.Client.AuthenticateFacebook(ctx, "token", nil)), []nakama.Code{nakama.Unauthenticated}},
		{"FacebookInstantGame", second(h.Client.AuthenticateFacebookInstantGame(ctx, "a.b", nil)), []nakama.Code{nakama.DataLoss, nakama.Unauthenticated}},
		{"GameCenter", second(h.Client.AuthenticateGameCenter(ctx, gc, nil)), []nakama.Code{nakama.Unauthenticated}},
		{"Google", second(h.Client.AuthenticateGoogle(ctx, "token", nil)), []nakama.Code{nakama.Unauthenticated}},
		{"Steam", second(h.Client.AuthenticateSteam(ctx, "token", nil)), []nakama.Code{nakama.FailedPrecondition, nakama.Unauthenticated}},
	}
	for _, c := range cases {
		if got := nakama.CodeOf(c.err); !slices.Contains(c.want, got) {
			t.Errorf("%s with an unverifiable token: %v (code %v), want one of %v", c.name, c.err, got, c.want)
		}
	}
	_, err := h.Client.AuthenticateGoogle(ctx, "", nil)
	if e := Code(t, err, nakama.InvalidArgument); e.Message != "Google access token is required." {
		t.Errorf("empty Google token message %q", e.Message)
	}
}

func second[T any](_ T, err error) error { return err }

func testAuthenticateProvidersRegistered(t *testing.T, h *Harness) {
	srv := directServer(t, h, "provider tokens, clock control")
	ctx := h.Ctx(t)
	tok := h.Unique("tok")
	srv.AddGoogleToken(tok, nakamatest.GoogleIdentity{ID: h.Unique("g"), Email: h.Unique("g") + "@example.com", Name: "Gina"})
	s1, err := h.Client.AuthenticateGoogle(ctx, tok, nil)
	Must(t, err)
	s2, err := h.Client.AuthenticateGoogle(ctx, tok, nil)
	Must(t, err)
	if !s1.Created() || s2.Created() || s1.UserID() != s2.UserID() {
		t.Errorf("google: created %v then %v; users %q, %q", s1.Created(), s2.Created(), s1.UserID(), s2.UserID())
	}
	steam := h.Unique("steam")
	srv.AddSteamToken(steam, 76561197960287930)
	s3, err := h.Client.AuthenticateSteam(ctx, steam, nil)
	Must(t, err)
	acct, err := h.Client.GetAccount(ctx, s3)
	Must(t, err)
	if acct.GetUser().GetSteamId() != "76561197960287930" {
		t.Errorf("steam id %q", acct.GetUser().GetSteamId())
	}
}

func testSessionRefreshAndLogout(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	s := h.NewUser(t)
	user, old := s.UserID(), s.Token()
	Must(t, h.Client.SessionRefresh(ctx, s, map[string]string{"mode": "ranked"}))
	if s.UserID() != user || s.Vars()["mode"] != "ranked" {
		t.Errorf("after refresh: user %q vars %v", s.UserID(), s.Vars())
	}
	if s.Token() == old {
		t.Error("refresh did not replace the token")
	}
	_, err := h.Client.GetAccount(ctx, s)
	Must(t, err)

	Must(t, h.Client.SessionLogout(ctx, s))
	_, err = h.Client.GetAccount(ctx, s)
	if !errors.Is(err, nakama.ErrUnauthenticated) || !errors.Is(err, nakama.ErrSessionExpired) {
		t.Errorf("call after logout: %v; want Unauthenticated and, the refresh token being revoked too, ErrSessionExpired", err)
	}
	err = h.Client.SessionRefresh(ctx, s, nil)
	if !errors.Is(err, nakama.ErrUnauthenticated) {
		t.Errorf("refresh after logout: %v, want Unauthenticated", err)
	}
}

func testAccount(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	s := h.NewUser(t)
	acct, err := h.Client.GetAccount(ctx, s)
	Must(t, err)
	u := acct.GetUser()
	if u.GetId() != s.UserID() || u.GetUsername() != s.Username() || acct.GetCustomId() == "" {
		t.Errorf("account user %q/%q custom %q; session %q/%q", u.GetId(), u.GetUsername(), acct.GetCustomId(), s.UserID(), s.Username())
	}
	if u.GetLangTag() != "en" || u.GetMetadata() != "{}" || acct.GetWallet() != "{}" {
		t.Errorf("defaults: lang %q metadata %q wallet %q", u.GetLangTag(), u.GetMetadata(), acct.GetWallet())
	}
	if u.GetCreateTime() == nil || u.GetUpdateTime() == nil {
		t.Error("account times missing")
	}

	name := h.Unique("renamed")
	Must(t, h.Client.UpdateAccount(ctx, s, &nakama.UpdateAccountOptions{
		Username: &name, DisplayName: nakama.Ptr("Dee"), AvatarURL: nakama.Ptr("https://example.com/a.png"),
		LangTag: nakama.Ptr("fr"), Location: nakama.Ptr("Lyon"), Timezone: nakama.Ptr("Europe/Paris")}))
	acct, err = h.Client.GetAccount(ctx, s)
	Must(t, err)
	u = acct.GetUser()
	if u.GetUsername() != name || u.GetDisplayName() != "Dee" || u.GetAvatarUrl() != "https://example.com/a.png" ||
		u.GetLangTag() != "fr" || u.GetLocation() != "Lyon" || u.GetTimezone() != "Europe/Paris" {
		t.Errorf("after update: %v", u)
	}
	Must(t, h.Client.UpdateAccount(ctx, s, &nakama.UpdateAccountOptions{DisplayName: nakama.Ptr("")}))
	acct, err = h.Client.GetAccount(ctx, s)
	Must(t, err)
	if acct.GetUser().GetDisplayName() != "" || acct.GetUser().GetLocation() != "Lyon" {
		t.Errorf("clearing the display name: display %q location %q", acct.GetUser().GetDisplayName(), acct.GetUser().GetLocation())
	}

	other := h.NewUser(t)
	err = h.Client.UpdateAccount(ctx, other, &nakama.UpdateAccountOptions{Username: &name})
	if nakama.CodeOf(err) != nakama.InvalidArgument && nakama.CodeOf(err) != nakama.AlreadyExists {
		t.Errorf("taking a used username: %v", err)
	}
	err = h.Client.UpdateAccount(ctx, s, nil)
	Code(t, err, nakama.InvalidArgument)
}

func testDeleteAccount(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	id := h.Unique("device")
	s, err := h.Client.AuthenticateDevice(ctx, id, nil)
	Must(t, err)
	Must(t, h.Client.DeleteAccount(ctx, s))
	_, err = h.Client.AuthenticateDevice(ctx, id, &nakama.AuthenticateOptions{NoCreate: true})
	Code(t, err, nakama.NotFound)
}

func testGetUsers(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	a, b := h.NewUser(t), h.NewUser(t)
	users, err := h.Client.GetUsers(ctx, a, []string{a.UserID()}, []string{b.Username(), h.Unique("nobody")}, nil)
	Must(t, err)
	var got []string
	for _, u := range users.GetUsers() {
		got = append(got, u.GetId())
	}
	slices.Sort(got)
	want := []string{a.UserID(), b.UserID()}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("GetUsers returned %v, want %v", got, want)
	}
	_, err = h.Client.GetUsers(ctx, a, []string{"not-a-uuid"}, nil, nil)
	Code(t, err, nakama.InvalidArgument)
}

func testLinkUnlinkBasic(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	s := h.NewUser(t)
	acct, err := h.Client.GetAccount(ctx, s)
	Must(t, err)
	customID := acct.GetCustomId()

	device := h.Unique("device")
	Must(t, h.Client.LinkDevice(ctx, s, device))
	again, err := h.Client.AuthenticateDevice(ctx, device, &nakama.AuthenticateOptions{NoCreate: true})
	Must(t, err)
	if again.UserID() != s.UserID() {
		t.Errorf("linked device signs in as %q, want %q", again.UserID(), s.UserID())
	}
	other := h.NewUser(t)
	err = h.Client.LinkDevice(ctx, other, device)
	Code(t, err, nakama.AlreadyExists)

	email := h.Unique("link") + "@example.com"
	Must(t, h.Client.LinkEmail(ctx, s, email, "password123"))
	custom2 := h.Unique("custom")
	err = h.Client.LinkCustom(ctx, other, customID)
	Code(t, err, nakama.AlreadyExists)

	acct, err = h.Client.GetAccount(ctx, s)
	Must(t, err)
	if acct.GetEmail() != email || len(acct.GetDevices()) != 1 || acct.GetDevices()[0].GetId() != device {
		t.Errorf("account after links: email %q devices %v", acct.GetEmail(), acct.GetDevices())
	}

	Must(t, h.Client.UnlinkCustom(ctx, s, customID))
	Must(t, h.Client.UnlinkEmail(ctx, s, email, "password123"))
	Must(t, h.Client.LinkCustom(ctx, s, custom2))
	Must(t, h.Client.UnlinkDevice(ctx, s, device))
	err = h.Client.UnlinkCustom(ctx, s, custom2)
	if e := Code(t, err, nakama.PermissionDenied); e.Message != "Cannot unlink last account identifier. Check profile exists and is not last link." {
		t.Errorf("last identity message %q", e.Message)
	}
	acct, err = h.Client.GetAccount(ctx, s)
	Must(t, err)
	if acct.GetEmail() != "" || len(acct.GetDevices()) != 0 || acct.GetCustomId() != custom2 {
		t.Errorf("account after unlinks: email %q devices %v custom %q", acct.GetEmail(), acct.GetDevices(), acct.GetCustomId())
	}
}

// testLinkUnlinkProviders links and unlinks social identities: on
// nakamatest with registered tokens, and everywhere checking that tokens a
// server cannot verify are refused.
func testLinkUnlinkProviders(t *testing.T, h *Harness) {
	ctx := h.Ctx(t)
	s := h.NewUser(t)
	gc := nakama.GameCenter{PlayerID: "p", BundleID: "b", Timestamp: 1, Salt: "s", Signature: "c", PublicKeyURL: "https://127.0.0.1:1/key.cer"}
	refused := []struct {
		name string
		err  error
	}{
		{"LinkApple", h.Client.LinkApple(ctx, s, "token")},
		{"LinkFacebook", h.Client.LinkFacebook(ctx, s, "token", nil)},
		{"LinkFacebookInstantGame", h.Client.LinkFacebookInstantGame(ctx, s, "a.b")},
		{"LinkGameCenter", h.Client.LinkGameCenter(ctx, s, gc)},
		{"LinkGoogle", h.Client.LinkGoogle(ctx, s, "token")},
		{"LinkSteam", h.Client.LinkSteam(ctx, s, "token", nil)},
		{"UnlinkApple", h.Client.UnlinkApple(ctx, s, "token")},
		{"UnlinkFacebook", h.Client.UnlinkFacebook(ctx, s, "token")},
		{"UnlinkFacebookInstantGame", h.Client.UnlinkFacebookInstantGame(ctx, s, "a.b")},
		{"UnlinkGameCenter", h.Client.UnlinkGameCenter(ctx, s, gc)},
		{"UnlinkGoogle", h.Client.UnlinkGoogle(ctx, s, "token")},
		{"UnlinkSteam", h.Client.UnlinkSteam(ctx, s, "token")},
	}
	for _, r := range refused {
		var se *nakama.Error
		if !errors.As(r.err, &se) || se.Code == nakama.OK || se.Code == nakama.Internal {
			t.Errorf("%s with an unverifiable token: %v, want the server to refuse it", r.name, r.err)
		}
	}
	if h.Target.Real {
		return
	}
	srv := directServer(t, h, "provider tokens, clock control")
	fb := h.Unique("fb")
	srv.AddFacebookToken(fb, nakamatest.FacebookIdentity{ID: h.Unique("fbid"), Name: "Fay"})
	Must(t, h.Client.LinkFacebook(ctx, s, fb, nil))
	acct, err := h.Client.GetAccount(ctx, s)
	Must(t, err)
	if acct.GetUser().GetFacebookId() == "" {
		t.Error("facebook id not linked")
	}
	Must(t, h.Client.UnlinkFacebook(ctx, s, fb))
	acct, err = h.Client.GetAccount(ctx, s)
	Must(t, err)
	if acct.GetUser().GetFacebookId() != "" {
		t.Error("facebook id still linked after unlink")
	}
}
