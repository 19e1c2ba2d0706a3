package nakama

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

// bhSigningKey signs the test JWTs. The client never verifies signatures; the
// tokens are signed only so that they look like the server's.
var bhSigningKey = []byte("bh-test-signing-key")

// bhClaims are the claims a Nakama session or refresh token carries.
type bhClaims struct {
	TokenID  string            `json:"tid,omitempty"`
	UserID   string            `json:"uid,omitempty"`
	Username string            `json:"usn,omitempty"`
	Vars     map[string]string `json:"vrs,omitempty"`
	Exp      int64             `json:"exp,omitempty"`
	Iat      int64             `json:"iat,omitempty"`
}

// bhJWT builds an HS256 JWT with the given claims, as the server does.
func bhJWT(c bhClaims) string {
	p, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return bhJWTRaw(`{"alg":"HS256","typ":"JWT"}`, string(p))
}

// bhJWTRaw builds a signed JWT from a raw header and payload.
func bhJWTRaw(header, payload string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, bhSigningKey)
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

// bhClock is a device clock the test controls; bhFakeNow installs it as the
// package's now.
type bhClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *bhClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *bhClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// bhFakeNow replaces the package clock with a fake one starting at start,
// restored when the test ends. Tests that call it must not be parallel.
func bhFakeNow(t testing.TB, start time.Time) *bhClock {
	t.Helper()
	c := &bhClock{t: start}
	old := now
	now = c.Now
	t.Cleanup(func() { now = old })
	return c
}

// bhServerTime is a fixed "server" instant, whole seconds like JWT claims.
var bhServerTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// bhPair returns a session and refresh token issued at iat with the given
// lifetimes.
func bhPair(iat time.Time, ttl, rttl time.Duration, vars map[string]string) (token, refresh string) {
	token = bhJWT(bhClaims{TokenID: "bh-tid-session", UserID: "bh-uid-1", Username: "bh_user", Vars: vars,
		Iat: iat.Unix(), Exp: iat.Add(ttl).Unix()})
	refresh = bhJWT(bhClaims{TokenID: "bh-tid-refresh", UserID: "bh-uid-1", Username: "bh_user", Vars: vars,
		Iat: iat.Unix(), Exp: iat.Add(rttl).Unix()})
	return token, refresh
}

func TestSessionNewSessionParsesClaims(t *testing.T) {
	received := bhServerTime.Add(3 * time.Second)
	bhFakeNow(t, received)
	vars := map[string]string{"region": "eu", "tier": "gold"}
	tok, ref := bhPair(bhServerTime, time.Hour, 24*time.Hour, vars)

	for _, created := range []bool{true, false} {
		s, err := NewSession(&api.Session{Token: tok, RefreshToken: ref, Created: created})
		if err != nil {
			t.Fatalf("NewSession: %v", err)
		}
		if got := s.UserID(); got != "bh-uid-1" {
			t.Errorf("UserID = %q, want bh-uid-1", got)
		}
		if got := s.Username(); got != "bh_user" {
			t.Errorf("Username = %q, want bh_user", got)
		}
		if got := s.Vars(); len(got) != 2 || got["region"] != "eu" || got["tier"] != "gold" {
			t.Errorf("Vars = %v, want %v", got, vars)
		}
		if got := s.Created(); got != created {
			t.Errorf("Created = %v, want %v", got, created)
		}
		if got := s.Token(); got != tok {
			t.Errorf("Token = %q, want the token given", got)
		}
		if got := s.RefreshToken(); got != ref {
			t.Errorf("RefreshToken = %q, want the refresh token given", got)
		}
		// Lifetimes count from receipt on the device clock.
		if got, want := s.ExpiresAt(), received.Add(time.Hour); !got.Equal(want) {
			t.Errorf("ExpiresAt = %v, want %v", got, want)
		}
		if got, want := s.RefreshExpiresAt(), received.Add(24*time.Hour); !got.Equal(want) {
			t.Errorf("RefreshExpiresAt = %v, want %v", got, want)
		}
		if s.Expired() || s.RefreshExpired() {
			t.Errorf("fresh session: Expired=%v RefreshExpired=%v, want both false", s.Expired(), s.RefreshExpired())
		}
	}
}

func TestSessionWithoutRefreshToken(t *testing.T) {
	bhFakeNow(t, bhServerTime)
	tok, _ := bhPair(bhServerTime, time.Hour, 0, nil)
	s, err := NewSession(&api.Session{Token: tok})
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	if !s.RefreshExpiresAt().IsZero() {
		t.Errorf("RefreshExpiresAt = %v, want the zero time", s.RefreshExpiresAt())
	}
	if !s.RefreshExpired() || !s.RefreshExpiresWithin(0) {
		t.Errorf("a session without refresh token must count as unrefreshable")
	}
	if s.Vars() != nil && len(s.Vars()) != 0 {
		t.Errorf("Vars = %v, want none", s.Vars())
	}
}

func TestSessionRestoreParsesClaims(t *testing.T) {
	bhFakeNow(t, bhServerTime.Add(10*time.Minute))
	tok, ref := bhPair(bhServerTime, time.Hour, 24*time.Hour, map[string]string{"k": "v"})
	s, err := RestoreSession(tok, ref)
	if err != nil {
		t.Fatalf("RestoreSession: %v", err)
	}
	if s.UserID() != "bh-uid-1" || s.Username() != "bh_user" || s.Vars()["k"] != "v" {
		t.Errorf("claims: user %q %q vars %v", s.UserID(), s.Username(), s.Vars())
	}
	if s.Created() {
		t.Errorf("Created = true for a restored session")
	}
	if s.Token() != tok || s.RefreshToken() != ref {
		t.Errorf("tokens not kept as given")
	}
	// The receipt time is unknown: expiry is the exp claim itself.
	if got, want := s.ExpiresAt(), bhServerTime.Add(time.Hour); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}
	if got, want := s.RefreshExpiresAt(), bhServerTime.Add(24*time.Hour); !got.Equal(want) {
		t.Errorf("RefreshExpiresAt = %v, want %v", got, want)
	}

	s, err = RestoreSession(tok, "")
	if err != nil {
		t.Fatalf("RestoreSession without refresh token: %v", err)
	}
	if !s.RefreshExpired() {
		t.Errorf("restored without refresh token: RefreshExpired = false")
	}
}

func TestSessionMalformedTokens(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	good := bhJWT(bhClaims{UserID: "u", Exp: bhServerTime.Add(time.Hour).Unix(), Iat: bhServerTime.Unix()})
	cases := []struct {
		name, token, want string
	}{
		{"empty", "", "three"},
		{"one part", "abc", "three"},
		{"two parts", "abc.def", "three"},
		{"four parts", good + ".x", "three"},
		{"bad base64", "eyJhbGciOiJIUzI1NiJ9.!!!not*base64!!!.sig", "encoding"},
		{"std base64 alphabet", "h." + base64.StdEncoding.EncodeToString([]byte(`{"exp":1,"uid":"??>>"}`)) + "x+/.s", "encoding"},
		{"not JSON", "h." + enc([]byte("not json at all")) + ".s", "claims"},
		{"JSON array", "h." + enc([]byte(`[1,2,3]`)) + ".s", "claims"},
		{"truncated JSON", "h." + enc([]byte(`{"exp":17`)) + ".s", "claims"},
		{"exp of wrong type", "h." + enc([]byte(`{"exp":"tomorrow"}`)) + ".s", "claims"},
		{"vars of wrong type", "h." + enc([]byte(`{"exp":1,"vrs":{"a":1}}`)) + ".s", "claims"},
		{"no exp", bhJWT(bhClaims{UserID: "u", Iat: 5}), "exp"},
		{"null claims", "h." + enc([]byte(`null`)) + ".s", "exp"},
		{"empty payload", "h..s", "claims"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSession(&api.Session{Token: tc.token, RefreshToken: good})
			if err == nil || s != nil {
				t.Fatalf("NewSession = %v, %v; want an error", s, err)
			}
			if !strings.Contains(err.Error(), "session token") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewSession error %q: want it to name the session token and mention %q", err, tc.want)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q repeats the token", err)
			}

			s, err = RestoreSession(tc.token, good)
			if err == nil || s != nil {
				t.Fatalf("RestoreSession = %v, %v; want an error", s, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RestoreSession error %q: want it to mention %q", err, tc.want)
			}

			// The same token as the refresh token is reported as such.
			_, err = NewSession(&api.Session{Token: good, RefreshToken: tc.token})
			if tc.token == "" {
				if err != nil {
					t.Errorf("an empty refresh token is allowed; got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "refresh token") {
				t.Errorf("NewSession with a malformed refresh token: error %v, want one naming the refresh token", err)
			}
			if _, err := RestoreSession(good, tc.token); err == nil || !strings.Contains(err.Error(), "refresh token") {
				t.Errorf("RestoreSession with a malformed refresh token: error %v, want one naming the refresh token", err)
			}
		})
	}

	if s, err := NewSession(nil); err == nil || s != nil {
		t.Errorf("NewSession(nil) = %v, %v; want an error", s, err)
	}
}

// The padded base64 some encoders produce is accepted.
func TestSessionPaddedPayload(t *testing.T) {
	payload := base64.URLEncoding.EncodeToString([]byte(`{"uid":"bh-pad","exp":4102444800 }`))
	if !strings.HasSuffix(payload, "=") {
		t.Fatalf("test payload %q has no padding; pick another", payload)
	}
	s, err := RestoreSession("h."+payload+".s", "")
	if err != nil {
		t.Fatalf("RestoreSession with a padded payload: %v", err)
	}
	if s.UserID() != "bh-pad" {
		t.Errorf("UserID = %q", s.UserID())
	}
}

func FuzzParseToken(f *testing.F) {
	tok, ref := bhPair(bhServerTime, time.Minute, time.Hour, map[string]string{"a": "b"})
	enc := base64.RawURLEncoding.EncodeToString
	for _, seed := range []string{
		tok, ref, "", ".", "..", "...", "a.b.c", "a..c", "h." + enc([]byte(`{"exp":1}`)) + ".s",
		"h." + enc([]byte(`{"exp":-9223372036854775808,"iat":9223372036854775807}`)) + ".s",
		"h." + enc([]byte(`{"exp":9223372036854775807,"iat":1}`)) + ".s",
		"h." + enc([]byte(`{"exp":1e30}`)) + ".s",
		"h." + enc([]byte(`{"vrs":null,"exp":5}`)) + ".s",
		"h.====.s", "h.\x00\xff.s",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := parseToken(token)
		if err == nil && c.Exp == 0 {
			t.Errorf("parseToken(%q) accepted a token without exp", token)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("parseToken(%q): empty error", token)
		}
		for _, fromServer := range []bool{true, false} {
			var s *Session
			if fromServer {
				s, err = NewSession(&api.Session{Token: token, RefreshToken: token})
			} else {
				s, err = RestoreSession(token, token)
			}
			if (err == nil) != (s != nil) {
				t.Fatalf("session %v with error %v", s, err)
			}
			if s != nil {
				_ = s.String()
				_ = s.Expired()
				_ = s.ExpiresWithin(time.Hour)
				_ = s.RefreshExpired()
				_ = s.Vars()
			}
		}
	})
}

// A device clock far from the server's must not make a fresh token look
// expired, nor an expired one look fresh: expiry counts the lifetime from
// receipt.
func TestSessionExpiryDespiteClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{10 * time.Hour, -10 * time.Hour, 0} {
		t.Run(fmt.Sprint("device clock off by ", skew), func(t *testing.T) {
			clock := bhFakeNow(t, bhServerTime.Add(skew))
			tok, ref := bhPair(bhServerTime, 60*time.Second, 10*time.Minute, nil)
			s, err := NewSession(&api.Session{Token: tok, RefreshToken: ref})
			if err != nil {
				t.Fatalf("NewSession: %v", err)
			}
			if s.Expired() {
				t.Errorf("a fresh 60 s token is Expired")
			}
			if s.ExpiresWithin(30 * time.Second) {
				t.Errorf("a fresh 60 s token ExpiresWithin(30s)")
			}
			if !s.ExpiresWithin(2 * time.Minute) {
				t.Errorf("a fresh 60 s token does not ExpiresWithin(2m)")
			}
			if s.RefreshExpired() || s.RefreshExpiresWithin(9*time.Minute) || !s.RefreshExpiresWithin(11*time.Minute) {
				t.Errorf("refresh token of 10 min: RefreshExpired=%v within 9m=%v within 11m=%v",
					s.RefreshExpired(), s.RefreshExpiresWithin(9*time.Minute), s.RefreshExpiresWithin(11*time.Minute))
			}

			clock.Advance(45 * time.Second)
			if s.Expired() || !s.ExpiresWithin(30*time.Second) {
				t.Errorf("after 45 s: Expired=%v ExpiresWithin(30s)=%v, want false, true", s.Expired(), s.ExpiresWithin(30*time.Second))
			}
			clock.Advance(15 * time.Second)
			if !s.Expired() {
				t.Errorf("after 60 s the token is not Expired")
			}
			if s.RefreshExpired() {
				t.Errorf("after 60 s the 10 min refresh token is RefreshExpired")
			}
			clock.Advance(10 * time.Minute)
			if !s.RefreshExpired() {
				t.Errorf("after 11 min the 10 min refresh token is not RefreshExpired")
			}
		})
	}
}

// RestoreSession cannot know when the tokens were received, so it judges the
// exp claim against the device clock.
func TestSessionRestoreJudgesLocalClock(t *testing.T) {
	clock := bhFakeNow(t, bhServerTime)
	tok, ref := bhPair(bhServerTime, 60*time.Second, time.Hour, nil)
	s, err := RestoreSession(tok, ref)
	if err != nil {
		t.Fatalf("RestoreSession: %v", err)
	}
	if s.Expired() || s.ExpiresWithin(30*time.Second) || !s.ExpiresWithin(2*time.Minute) {
		t.Errorf("restored 60 s token at iat: Expired=%v within 30s=%v within 2m=%v",
			s.Expired(), s.ExpiresWithin(30*time.Second), s.ExpiresWithin(2*time.Minute))
	}
	clock.Advance(61 * time.Second)
	if !s.Expired() {
		t.Errorf("restored token past its exp on the local clock is not Expired")
	}

	// A device clock 10 hours ahead sees a restored token as long expired,
	// even one the server just issued: the local clock is all it has.
	bhFakeNow(t, bhServerTime.Add(10*time.Hour))
	s, err = RestoreSession(tok, ref)
	if err != nil {
		t.Fatalf("RestoreSession: %v", err)
	}
	if !s.Expired() || !s.RefreshExpired() {
		t.Errorf("restored with the clock 10 h ahead: Expired=%v RefreshExpired=%v, want both true", s.Expired(), s.RefreshExpired())
	}
}

func TestSessionStringHasNoToken(t *testing.T) {
	bhFakeNow(t, bhServerTime)
	tok, ref := bhPair(bhServerTime, time.Hour, 24*time.Hour, map[string]string{"secretvar": "bh-var-value"})
	s, err := NewSession(&api.Session{Token: tok, RefreshToken: ref})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("text", "session", s)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("json", "session", s)
	outputs := map[string]string{
		"String": s.String(),
		"%v":     fmt.Sprintf("%v", s),
		"%+v":    fmt.Sprintf("%+v", s),
		"%s":     fmt.Sprintf("session %s", s),
		"slog":   buf.String(),
	}
	if !strings.Contains(s.String(), "bh-uid-1") {
		t.Errorf("String() = %q, want it to name the user", s.String())
	}
	for how, out := range outputs {
		for _, secret := range []string{tok, ref, strings.Split(tok, ".")[1], strings.Split(ref, ".")[1],
			strings.Split(tok, ".")[2], strings.Split(ref, ".")[2]} {
			if strings.Contains(out, secret) {
				t.Errorf("%s of a session contains a token: %s", how, out)
			}
		}
	}
}

func TestSessionVarsIsACopy(t *testing.T) {
	bhFakeNow(t, bhServerTime)
	tok, ref := bhPair(bhServerTime, time.Hour, 24*time.Hour, map[string]string{"k": "v"})
	s, err := NewSession(&api.Session{Token: tok, RefreshToken: ref})
	if err != nil {
		t.Fatal(err)
	}
	v := s.Vars()
	v["k"] = "changed"
	v["new"] = "x"
	delete(v, "k")
	if got := s.Vars(); len(got) != 1 || got["k"] != "v" {
		t.Errorf("Vars after modifying a returned map = %v, want map[k:v]", got)
	}
}
