//go:build !js

// Not under js/wasm: these tests read log/slog records, and the browser
// build logs to the JavaScript console instead.

package nakama

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// bhLogBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type bhLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *bhLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *bhLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The log names every operation, and never a token or a key, whether calls
// succeed, retry, refresh or fail.
func TestLogHasOperationsButNoSecrets(t *testing.T) {
	bhNoJitter(t)
	b := bhNewBackend(t)
	b.serverKey = "bhSrvKey-3f9c2a51"
	b.httpKey = "bhHttpKey-77d1e0c4"
	srv := bhServe(t, b)

	var buf bhLogBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var refreshed int
	c := bhRESTClient(t, srv, b, &ClientOptions{Logger: logger, OnSessionRefresh: func(*Session) { refreshed++ }})
	var errs []error

	// Authenticate, with a token due for refresh.
	b.mu.Lock()
	b.tokenTTL = 2 * time.Minute
	b.mu.Unlock()
	s, err := c.AuthenticateDevice(bhCtx(t), "bh-device-0001", nil)
	if err != nil {
		t.Fatalf("AuthenticateDevice: %v", err)
	}
	b.mu.Lock()
	b.tokenTTL = time.Hour
	b.mu.Unlock()
	bhAge(s, time.Minute+time.Second) // past its half-life

	// An authenticated call, refreshing first.
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	if refreshed != 1 {
		t.Fatalf("GetAccount did not refresh the session first")
	}
	// An explicit refresh.
	if err := c.SessionRefresh(bhCtx(t), s, map[string]string{"bh": "var"}); err != nil {
		t.Fatalf("SessionRefresh: %v", err)
	}
	// A retried call.
	b.answer("GetAccount", bhUnavailable("busy"), bhUnavailable("busy"))
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("retried GetAccount: %v", err)
	}
	// A call rejected with 401, refreshed and resent.
	b.answer("GetAccount", bhUnauthenticated("token revoked"))
	if _, err := c.GetAccount(bhCtx(t), s); err != nil {
		t.Fatalf("GetAccount after a 401: %v", err)
	}
	// Server-to-server RPC with the http key, and RPC with the session.
	if out, err := c.RpcFuncHTTPKey(bhCtx(t), b.httpKey, "bh_rpc", `{"x":1}`); err != nil || out.GetPayload() != "bh-rpc-answer" {
		t.Fatalf("RpcFuncHTTPKey: %v, %v", out, err)
	}
	if _, err := c.RpcFunc(bhCtx(t), s, "bh_rpc", `{}`); err != nil {
		t.Fatalf("RpcFunc: %v", err)
	}
	// Failures: a wrong http key, a rejected refresh, a non-idempotent call
	// that fails.
	_, err = c.RpcFuncHTTPKey(bhCtx(t), b.httpKey+"-wrong", "bh_rpc", `{}`)
	errs = append(errs, err)
	b.answer("WriteLeaderboardRecord", bhUnavailable("down"))
	_, err = c.WriteLeaderboardRecord(bhCtx(t), s, "bh-board", 3, nil)
	errs = append(errs, err)

	// The same calls against a server that is not there: the errors logged
	// carry the request URL, with the http key in its query.
	dead, err := NewClient(bhClosedURL(t), b.serverKey, &ClientOptions{Logger: logger, Retry: RetryConfig{MaxAttempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dead.RpcFuncHTTPKey(bhCtx(t), b.httpKey, "bh_rpc", `{}`)
	errs = append(errs, err)
	_, err = dead.AuthenticateDevice(bhCtx(t), "bh-device-0001", nil)
	errs = append(errs, err)
	_, err = dead.GetAccount(bhCtx(t), s)
	errs = append(errs, err)
	errs = append(errs, dead.SessionRefresh(bhCtx(t), s, nil))

	if err := c.SessionLogout(bhCtx(t), s); err != nil {
		t.Fatalf("SessionLogout: %v", err)
	}

	out := buf.String()
	for _, want := range []string{"op=AuthenticateDevice", "op=GetAccount", "op=SessionRefresh", "op=RpcFunc",
		"op=WriteLeaderboardRecord", "op=SessionLogout", "nakama retry"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}

	secrets := map[string]string{
		"server key":             b.serverKey,
		"server key (basic)":     base64.StdEncoding.EncodeToString([]byte(b.serverKey + ":")),
		"http key":               b.httpKey,
		"session token (latest)": s.Token(),
		"refresh token (latest)": s.RefreshToken(),
	}
	tokens := b.issuedTokens()
	if len(tokens) < 8 {
		t.Fatalf("only %d tokens issued; the scenario did not run", len(tokens))
	}
	for i, tok := range tokens {
		parts := strings.Split(tok, ".")
		secrets["token "+string(rune('a'+i))] = tok
		secrets["token payload "+string(rune('a'+i))] = parts[1]
		secrets["token signature "+string(rune('a'+i))] = parts[2]
	}
	for what, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows the %s", what)
		}
		for _, err := range errs {
			if err == nil {
				t.Errorf("a failing call succeeded")
				continue
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the %s", err, what)
			}
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", out)
	}
}
