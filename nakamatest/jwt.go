package nakamatest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// sessionClaims are the claims of a Nakama session or refresh token. The
// JSON names are the real server's; clients decode them (uid, usn, vrs, exp)
// to show who is logged in and when to refresh, so they must not change.
type sessionClaims struct {
	TokenID   string            `json:"tid,omitempty"`
	UserID    string            `json:"uid,omitempty"`
	Username  string            `json:"usn,omitempty"`
	Vars      map[string]string `json:"vrs,omitempty"`
	ExpiresAt int64             `json:"exp,omitempty"`
	IssuedAt  int64             `json:"iat,omitempty"`
}

// jwtHeader is the header every token carries. It is the exact text the
// server's JWT library produces (alg and typ, sorted), so tokens from the
// two servers look alike byte for byte up to the claims.
const jwtHeader = `{"alg":"HS256","typ":"JWT"}`

var encodedJWTHeader = base64.RawURLEncoding.EncodeToString([]byte(jwtHeader))

// signToken returns an HS256 JWT of the claims, signed with key.
func signToken(key string, c sessionClaims) string {
	payload, err := json.Marshal(c)
	if err != nil {
		// A struct of strings and integers always marshals.
		panic("nakamatest: marshal claims: " + err.Error())
	}
	signing := encodedJWTHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + base64.RawURLEncoding.EncodeToString(hmacSHA256(key, signing))
}

func hmacSHA256(key, data string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(data))
	return m.Sum(nil)
}

// parseToken verifies a token signed with key and returns its claims. It
// accepts what the real server accepts: three unpadded base64url parts, a
// header naming HS256, a valid signature, an expiry after now (a missing
// expiry counts as 1970), and a user id that is a UUID, which it returns in
// canonical form. Every failure is the same to a client ("invalid"), so the
// reason is not reported.
func parseToken(key, token string, now time.Time) (sessionClaims, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return sessionClaims{}, false
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return sessionClaims{}, false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil || header.Alg != "HS256" {
		return sessionClaims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return sessionClaims{}, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, hmacSHA256(key, parts[0]+"."+parts[1])) {
		return sessionClaims{}, false
	}
	var c sessionClaims
	if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
		return sessionClaims{}, false
	}
	if !now.Before(time.Unix(c.ExpiresAt, 0)) {
		return sessionClaims{}, false
	}
	uid, ok := parseUUID(c.UserID)
	if !ok {
		return sessionClaims{}, false
	}
	c.UserID = uid
	return c, true
}
