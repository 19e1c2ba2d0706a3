package nakamatest

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

func TestTokenRoundTrip(t *testing.T) {
	now := fixedTime
	c := sessionClaims{TokenID: "t", UserID: "8C2F4C3E-7B6A-4F0E-9C1D-2B3A4C5D6E7F", Username: "u",
		Vars: map[string]string{"k": "v"}, ExpiresAt: now.Unix() + 60, IssuedAt: now.Unix()}
	tok := signToken("key", c)
	got, ok := parseToken("key", tok, now)
	if !ok {
		t.Fatal("parse failed")
	}
	if got.UserID != "8c2f4c3e-7b6a-4f0e-9c1d-2b3a4c5d6e7f" || got.Vars["k"] != "v" || got.TokenID != "t" {
		t.Errorf("claims %+v", got)
	}
	if _, ok := parseToken("other", tok, now); ok {
		t.Error("accepted a token signed with another key")
	}
	if _, ok := parseToken("key", tok, now.Add(60*time.Second)); ok {
		t.Error("accepted a token at its expiry second")
	}
	if _, ok := parseToken("key", tok, now.Add(59*time.Second)); !ok {
		t.Error("refused a token before its expiry")
	}
	parts := strings.Split(tok, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	if _, ok := parseToken("key", none+"."+parts[1]+"."+parts[2], now); ok {
		t.Error("accepted alg none")
	}
	if _, ok := parseToken("key", signToken("key", sessionClaims{UserID: "not-a-uuid", ExpiresAt: now.Unix() + 60}), now); ok {
		t.Error("accepted a user id that is not a UUID")
	}
	if _, ok := parseToken("key", signToken("key", sessionClaims{UserID: c.UserID}), now); ok {
		t.Error("accepted a token without expiry")
	}
}

func TestSessionTokenClaims(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := &api.Session{}
	c.send("POST", "/v2/account/authenticate/device?username=claimer",
		`{"id":"claims-device-1","vars":{"role":"tester"}}`, defaultServerKey).ok(t, s)

	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(s.Token, ".")[0])
	if string(header) != `{"alg":"HS256","typ":"JWT"}` {
		t.Errorf("header %s", header)
	}
	cl := claims(t, s.Token)
	var names []string
	for k := range cl {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"exp", "iat", "tid", "uid", "usn", "vrs"}; !slices.Equal(names, want) {
		t.Errorf("claims %v, want %v", names, want)
	}
	if cl["usn"] != "claimer" || cl["vrs"].(map[string]any)["role"] != "tester" {
		t.Errorf("claims %v", cl)
	}
	if iat, exp := claimInt(t, s.Token, "iat"), claimInt(t, s.Token, "exp"); iat != fixedTime.Unix() || exp != iat+60 {
		t.Errorf("iat %d, exp %d; want %d and +60", iat, exp, fixedTime.Unix())
	}
	rc := claims(t, s.RefreshToken)
	if rc["tid"] != cl["tid"] || claimInt(t, s.RefreshToken, "exp") != fixedTime.Unix()+3600 {
		t.Errorf("refresh claims %v", rc)
	}
	if _, ok := parseToken("defaultencryptionkey", s.Token, fixedTime); !ok {
		t.Error("session token is not signed with the encryption key")
	}
	if _, ok := parseToken("defaultrefreshencryptionkey", s.RefreshToken, fixedTime); !ok {
		t.Error("refresh token is not signed with the refresh encryption key")
	}
	// Without vars the claim is left out.
	if _, ok := claims(t, c.device("claims-device-2").Token)["vrs"]; ok {
		t.Error("empty vars appear in the token")
	}
}
