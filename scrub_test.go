//go:build !js

package nakama_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gonakama/nakama"
)

// scrubJWT is a token issued 50 s ago that expires in 10 s: due for refresh
// at once, still valid for the call.
func scrubJWT(kind string) string {
	enc := base64.RawURLEncoding
	now := time.Now().Unix()
	payload, _ := json.Marshal(map[string]any{"tid": kind + "-7f3a", "uid": wireUserID, "usn": wireUsername,
		"iat": now - 50, "exp": now + 10})
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "." +
		enc.EncodeToString([]byte(kind+"-signature-9b1c4e7d2a"))
}

// TestScrubEchoedCredentials: a server or proxy that echoes the whole
// request (URL, headers, body) into its answer, in every shape an answer can
// take, must not bring any credential of the call into an error string, its
// wrapped chain, or a log line, in any form the credential can travel in.
func TestScrubEchoedCredentials(t *testing.T) {
	const password = "echo-pass-word-58c1"
	token, refresh := scrubJWT("session"), scrubJWT("refresh")
	basic := base64.StdEncoding.EncodeToString([]byte(wireServerKey + ":"))
	forms := map[string]string{
		"session token":                 token,
		"session token signature":       token[strings.LastIndex(token, ".")+1:],
		"refresh token":                 refresh,
		"refresh token signature":       refresh[strings.LastIndex(refresh, ".")+1:],
		"server key":                    wireServerKey,
		"basic credentials":             basic,
		"basic credentials, unpadded":   strings.TrimRight(basic, "="),
		"basic credentials, escaped":    url.QueryEscape(basic),
		"http key":                      wireHTTPKey,
		"http key (query form)":         url.QueryEscape(wireHTTPKey),
		"http key (path form)":          url.PathEscape(wireHTTPKey),
		"password":                      password,
		"password (query form)":         url.QueryEscape(password),
		"session token, first 12 bytes": token[strings.LastIndex(token, ".")+1:][:12],
	}
	// A proxy page is clipped in the error: the padding puts the echoed
	// credentials across the clip.
	dump := func(r *http.Request) string {
		b, _ := httputil.DumpRequest(r, true)
		return string(b)
	}
	echo := map[string]http.HandlerFunc{
		"server error quoting the request": func(w http.ResponseWriter, r *http.Request) {
			msg, _ := json.Marshal(dump(r))
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code":3,"message":%s}`, msg)
		},
		"proxy page with the request": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html>%s%s</html>", strings.Repeat("x", 40), dump(r))
		},
		"success that is not JSON": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("y", 50)+dump(r))
		},
		"success the decoder quotes": func(w http.ResponseWriter, r *http.Request) {
			msg, _ := json.Marshal(dump(r))
			fmt.Fprintf(w, `{"user":%s,"payload":%s,"token":%s}`, msg, msg, msg)
		},
	}
	calls := map[string]func(context.Context, nakama.Client, *nakama.Session) error{
		"RpcFuncHTTPKey": func(ctx context.Context, c nakama.Client, _ *nakama.Session) error {
			_, err := c.RpcFuncHTTPKey(ctx, wireHTTPKey, "echo", `{}`)
			return err
		},
		"RpcFunc": func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			_, err := c.RpcFunc(ctx, s, "echo", `{}`)
			return err
		},
		"AuthenticateEmail": func(ctx context.Context, c nakama.Client, _ *nakama.Session) error {
			_, err := c.AuthenticateEmail(ctx, "echo@example.com", password, nil)
			return err
		},
		"GetAccount after a failed early refresh": func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			_, err := c.GetAccount(ctx, s)
			return err
		},
		"SessionRefresh": func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			return c.SessionRefresh(ctx, s, nil)
		},
		"SessionLogout": func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			return c.SessionLogout(ctx, s)
		},
		"LinkEmail": func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			return c.LinkEmail(ctx, s, "echo@example.com", password)
		},
	}
	check := func(t *testing.T, where, text string) {
		t.Helper()
		for what, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s shows the %s: %s", where, what, text)
			}
		}
	}
	for name, h := range echo {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			var logs restLockedBuffer
			c, err := nakama.NewClient(srv.URL, wireServerKey, &nakama.ClientOptions{
				Retry:  nakama.RetryConfig{MaxAttempts: 2, BaseDelay: time.Millisecond},
				Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			for cname, call := range calls {
				s, err := nakama.RestoreSession(token, refresh)
				if err != nil {
					t.Fatal(err)
				}
				err = call(t.Context(), c, s)
				if err == nil {
					// Answers with nothing, or with fields the decoder drops,
					// are fine with the quoting success.
					if !strings.HasPrefix(name, "success the decoder") {
						t.Errorf("%s: no error from an echoing server", cname)
					}
					continue
				}
				if strings.HasPrefix(name, "server error") && !strings.Contains(err.Error(), "REDACTED") {
					t.Errorf("%s: %v: the echo was not scrubbed but dropped", cname, err)
				}
				check(t, cname+": the error", err.Error())
				check(t, cname+": %+v", fmt.Sprintf("%+v", err))
				check(t, cname+": %#v", fmt.Sprintf("%#v", err))
				for _, e := range scrubChain(err) {
					check(t, fmt.Sprintf("%s: a wrapped %T", cname, e), e.Error())
					var se *nakama.Error
					if errors.As(e, &se) {
						check(t, cname+": Error.Message", se.Message)
					}
				}
			}
			out := logs.String()
			if !strings.Contains(out, "nakama refresh failed") {
				t.Errorf("no WARN line for the failed early refresh:\n%s", out)
			}
			check(t, "the log", out)
		})
	}
}

// scrubChain returns every error err wraps, depth first.
func scrubChain(err error) []error {
	var out []error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		out = append(out, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, n := range u.Unwrap() {
				walk(n)
			}
		}
	}
	walk(err)
	return out
}
