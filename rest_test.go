//go:build !js

// Not under js/wasm: these tests send REST through net/http to servers in the test process, which the browser's fetch adapter cannot reach.

package nakama_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama"
)

// restRoundTripper is an http.RoundTripper made of a function.
type restRoundTripper func(*http.Request) (*http.Response, error)

func (f restRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// restCanned returns a transport that never touches the network: it records
// each request and answers 200 with body.
func restCanned(body string) (http.RoundTripper, func() []*http.Request) {
	var mu sync.Mutex
	var seen []*http.Request
	rt := restRoundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/json"}},
			Body:    io.NopCloser(strings.NewReader(body)),
			Request: r}, nil
	})
	return rt, func() []*http.Request {
		mu.Lock()
		defer mu.Unlock()
		return append([]*http.Request(nil), seen...)
	}
}

func TestRESTBadServerURL(t *testing.T) {
	cases := []struct {
		url  string
		want string // the error must contain it
	}{
		{"127.0.0.1:7350", "127.0.0.1:7350"}, // no scheme: not even a URL
		{"localhost:7350", "scheme must be http or https"},
		{"example.com", "scheme must be http or https"},
		{"", "scheme must be http or https"},
		{"ftp://example.com/nakama", "scheme must be http or https"},
		{"ws://127.0.0.1:7350", "scheme must be http or https"},
		{"http://", "no host"},
		{"https:///v2", "no host"},
		{"http://[::1", "bad server URL"},
		{"http://exa mple.com", "bad server URL"},
	}
	for _, c := range cases {
		a, err := nakama.NewRESTAdapter(c.url, wireServerKey, nil)
		if err == nil {
			t.Errorf("NewRESTAdapter(%q) = %v, want an error", c.url, a.ServerURL())
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "bad server URL") || !strings.Contains(msg, c.want) {
			t.Errorf("NewRESTAdapter(%q): %q, want a bad server URL error containing %q", c.url, msg, c.want)
		}
		if strings.Contains(msg, wireServerKey) {
			t.Errorf("NewRESTAdapter(%q): the error %q shows the server key", c.url, msg)
		}
		if c.url == "" {
			continue // NewClient takes "" for DefaultServerURL
		}
		if _, err := nakama.NewClient(c.url, wireServerKey, nil); err == nil {
			t.Errorf("NewClient(%q) accepted the URL", c.url)
		}
	}
	for _, good := range []string{"http://127.0.0.1:7350", "https://nakama.example.com", "HTTP://Nakama.Example.COM:7350/"} {
		if _, err := nakama.NewRESTAdapter(good, wireServerKey, nil); err != nil {
			t.Errorf("NewRESTAdapter(%q): %v", good, err)
		}
	}
	if c, err := nakama.NewClient("", "", nil); err != nil {
		t.Errorf("NewClient with defaults: %v", err)
	} else if got := c.Adapter().(*nakama.RESTAdapter).ServerURL(); got != nakama.DefaultServerURL {
		t.Errorf("default server URL %q, want %q", got, nakama.DefaultServerURL)
	}
}

func TestRESTBaseURL(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.RequestURI)
		mu.Unlock()
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()

	cases := []struct {
		base, serverURL string
		call            func(context.Context, nakama.Client) error
		want            string // the request URI
	}{
		{srv.URL + "/prefix/", srv.URL + "/prefix",
			func(ctx context.Context, c nakama.Client) error { return c.Healthcheck(ctx) }, "/prefix/healthcheck"},
		{srv.URL + "/a/b", srv.URL + "/a/b",
			func(ctx context.Context, c nakama.Client) error { return c.Healthcheck(ctx) }, "/a/b/healthcheck"},
		{srv.URL + "/", srv.URL,
			func(ctx context.Context, c nakama.Client) error { return c.Healthcheck(ctx) }, "/healthcheck"},
		// An escaped prefix and an escaped id: each escaped exactly once.
		{srv.URL + "/my%20nakama/", srv.URL + "/my%20nakama",
			func(ctx context.Context, c nakama.Client) error { return c.JoinGroup(ctx, wireSession(t), wireGroupID) },
			"/my%20nakama/v2/group/" + wireGroupPath + "/join"},
		{srv.URL + "/a%2Fb/", srv.URL + "/a%2Fb",
			func(ctx context.Context, c nakama.Client) error { return c.DeleteGroup(ctx, wireSession(t), "100%") },
			"/a%2Fb/v2/group/100%25"},
		// Query, fragment and credentials of the base URL are dropped.
		{strings.Replace(srv.URL, "://", "://user:hunter2@", 1) + "/p?debug=1#top", srv.URL + "/p",
			func(ctx context.Context, c nakama.Client) error { return c.Healthcheck(ctx) }, "/p/healthcheck"},
	}
	for _, c := range cases {
		mu.Lock()
		paths = nil
		mu.Unlock()
		client, err := nakama.NewClient(c.base, wireServerKey, &nakama.ClientOptions{DisableRetry: true})
		if err != nil {
			t.Errorf("NewClient(%q): %v", c.base, err)
			continue
		}
		if got := client.Adapter().(*nakama.RESTAdapter).ServerURL(); got != c.serverURL {
			t.Errorf("NewClient(%q).ServerURL() = %q, want %q", c.base, got, c.serverURL)
		}
		if err := c.call(t.Context(), client); err != nil {
			t.Errorf("base %q: %v", c.base, err)
			continue
		}
		mu.Lock()
		got := append([]string(nil), paths...)
		mu.Unlock()
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("base %q: requests %q, want [%q]", c.base, got, c.want)
		}
	}
}

// restHangingServer answers nothing until the request is abandoned (or ten
// seconds pass); entered receives a value when a request arrives.
func restHangingServer(t *testing.T) (srv *httptest.Server, entered <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{}, 16)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the whole body lets the server notice when the client
		// hangs up, which ends r.Context().
		io.Copy(io.Discard, r.Body)
		select {
		case ch <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestRESTTimeout(t *testing.T) {
	srv, _ := restHangingServer(t)
	c, err := nakama.NewClient(srv.URL, wireServerKey, &nakama.ClientOptions{DisableRetry: true,
		REST: nakama.RESTOptions{Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.GetAccount(t.Context(), wireSession(t))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %v despite a 50ms timeout", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one that wraps context.DeadlineExceeded", err)
	}
	if !nakama.Timeout(err) {
		t.Errorf("Timeout(%v) = false", err)
	}
	if got := nakama.CodeOf(err); got != nakama.DeadlineExceeded {
		t.Errorf("CodeOf = %v, want DeadlineExceeded", got)
	}
	if t.Context().Err() != nil {
		t.Error("the adapter's timeout ended the caller's context")
	}
}

// TestRESTTimeoutReadingBody: the timeout also bounds reading the answer.
func TestRESTTimeoutReadingBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"user":{"id":"`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	c, err := nakama.NewClient(srv.URL, wireServerKey, &nakama.ClientOptions{DisableRetry: true,
		REST: nakama.RESTOptions{Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAccount(t.Context(), wireSession(t))
	if !errors.Is(err, context.DeadlineExceeded) || !nakama.Timeout(err) {
		t.Errorf("error %v, want a timeout that wraps context.DeadlineExceeded", err)
	}
}

func TestRESTCancel(t *testing.T) {
	srv, entered := restHangingServer(t)
	c, err := nakama.NewClient(srv.URL, wireServerKey, nil) // retries on: cancellation must stop them too
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		select {
		case <-entered:
		case <-time.After(5 * time.Second):
		}
		cancel()
	}()
	start := time.Now()
	_, err = c.GetAccount(ctx, wireSession(t))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %v after its context was cancelled", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want one that wraps context.Canceled", err)
	}
	if got := nakama.CodeOf(err); got != nakama.Canceled {
		t.Errorf("CodeOf = %v, want Canceled", got)
	}
	if nakama.Timeout(err) {
		t.Errorf("Timeout(%v) = true for a cancellation", err)
	}

	// A context cancelled before the call.
	done, cancel2 := context.WithCancel(t.Context())
	cancel2()
	if err := c.Healthcheck(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Healthcheck with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestRESTCustomHTTPClient(t *testing.T) {
	rt, seen := restCanned(wireReplyAccount.json)
	hc := &http.Client{Transport: rt}
	c, err := nakama.NewClient("http://nakama.invalid:7350/prefix", wireServerKey, &nakama.ClientOptions{DisableRetry: true,
		REST: nakama.RESTOptions{HTTPClient: hc}})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := c.GetAccount(t.Context(), wireSession(t))
	if err != nil {
		t.Fatal(err)
	}
	if acct.GetUser().GetUsername() != "ada" {
		t.Errorf("account %v, want the transport's answer", acct)
	}
	reqs := seen()
	if len(reqs) != 1 {
		t.Fatalf("the custom HTTP client sent %d requests, want 1", len(reqs))
	}
	if got := reqs[0].URL.String(); got != "http://nakama.invalid:7350/prefix/v2/account" {
		t.Errorf("URL %s", got)
	}

	// The same through NewRESTAdapter and NewClientWithAdapter.
	a, err := nakama.NewRESTAdapter("http://nakama.invalid:7350", wireServerKey, &nakama.RESTOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if err := nakama.NewClientWithAdapter(a, nil).Healthcheck(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(seen()); n != 2 {
		t.Errorf("the custom HTTP client sent %d requests, want 2", n)
	}
}

func TestRESTUserAgent(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{"", "gonakama/" + nakama.Version},
		{"space-race/2.1 (ios)", "space-race/2.1 (ios)"},
	} {
		rt, seen := restCanned(`{}`)
		client, err := nakama.NewClient("http://nakama.invalid", wireServerKey, &nakama.ClientOptions{
			REST: nakama.RESTOptions{HTTPClient: &http.Client{Transport: rt}, UserAgent: c.set}})
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Healthcheck(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := client.AuthenticateDevice(t.Context(), "device-0001-abcdef", nil); err == nil {
			t.Error("AuthenticateDevice accepted an answer with no token")
		}
		for _, r := range seen() {
			if got := r.Header.Get("User-Agent"); got != c.want {
				t.Errorf("%s %s: User-Agent %q, want %q", r.Method, r.URL.Path, got, c.want)
			}
			if got := r.Header.Get("Accept"); got != "application/json" {
				t.Errorf("%s %s: Accept %q, want application/json", r.Method, r.URL.Path, got)
			}
		}
	}
}

func TestRESTOptionsNotModified(t *testing.T) {
	opts := &nakama.ClientOptions{REST: nakama.RESTOptions{UserAgent: ""}}
	if _, err := nakama.NewClient("http://127.0.0.1:7350", wireServerKey, opts); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*opts, nakama.ClientOptions{}) {
		t.Errorf("NewClient changed the caller's options: %+v", *opts)
	}
	ropts := &nakama.RESTOptions{}
	if _, err := nakama.NewRESTAdapter("http://127.0.0.1:7350", wireServerKey, ropts); err != nil {
		t.Fatal(err)
	}
	if *ropts != (nakama.RESTOptions{}) {
		t.Errorf("NewRESTAdapter changed the caller's options: %+v", *ropts)
	}
}

// restSecrets are the credentials no error string or log line may show, in
// every form they travel in.
func restSecrets() map[string]string {
	sig := wireToken[strings.LastIndex(wireToken, ".")+1:]
	refreshSig := wireRefreshToken[strings.LastIndex(wireRefreshToken, ".")+1:]
	return map[string]string{
		"http key":                wireHTTPKey,
		"http key (query form)":   url.QueryEscape(wireHTTPKey),
		"http key (path form)":    url.PathEscape(wireHTTPKey),
		"server key":              wireServerKey,
		"basic credentials":       base64.StdEncoding.EncodeToString([]byte(wireServerKey + ":")),
		"session token signature": sig,
		"refresh token signature": refreshSig,
	}
}

// restLockedBuffer is a bytes.Buffer safe for concurrent writes.
type restLockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *restLockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *restLockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestRESTNoSecretsInErrors fails calls in every way a transport can and
// checks that no credential reaches an error string or a log line.
func TestRESTNoSecretsInErrors(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()

	hanging, _ := restHangingServer(t)
	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer hangup.Close()
	unauthorized := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"code":16,"message":"Auth token invalid"}`)
	}))
	defer unauthorized.Close()
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
	}))
	defer gateway.Close()

	fastRetry := nakama.RetryConfig{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
	scenarios := []struct {
		name string
		url  string
		opts nakama.ClientOptions
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"closed port", closedURL, nakama.ClientOptions{DisableRetry: true}, nil},
		{"closed port, retried", closedURL, nakama.ClientOptions{Retry: fastRetry}, nil},
		{"timeout", hanging.URL, nakama.ClientOptions{DisableRetry: true, REST: nakama.RESTOptions{Timeout: 20 * time.Millisecond}}, nil},
		{"cancelled", hanging.URL, nakama.ClientOptions{DisableRetry: true}, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx, cancel
		}},
		{"deadline", hanging.URL, nakama.ClientOptions{Retry: fastRetry}, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 20*time.Millisecond)
		}},
		{"hang-up", hangup.URL, nakama.ClientOptions{Retry: fastRetry}, nil},
		{"401", unauthorized.URL, nakama.ClientOptions{Retry: fastRetry}, nil},
		{"502 page", gateway.URL, nakama.ClientOptions{Retry: fastRetry}, nil},
	}
	calls := []struct {
		name string
		call func(context.Context, nakama.Client, *nakama.Session) error
	}{
		{"RpcFuncHTTPKey", func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			_, err := c.RpcFuncHTTPKey(ctx, wireHTTPKey, "reward/claim", `{}`)
			return err
		}},
		{"RpcFunc", func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			_, err := c.RpcFunc(ctx, s, "reward/claim", `{}`)
			return err
		}},
		{"AuthenticateDevice", func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			_, err := c.AuthenticateDevice(ctx, "device-0001-abcdef", nil)
			return err
		}},
		{"GetAccount", func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			_, err := c.GetAccount(ctx, s)
			return err
		}},
		{"SessionRefresh", func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			return c.SessionRefresh(ctx, s, nil)
		}},
		{"SessionLogout", func(ctx context.Context, c nakama.Client, s *nakama.Session) error {
			return c.SessionLogout(ctx, s)
		}},
	}
	secrets := restSecrets()
	for _, sc := range scenarios {
		var logs restLockedBuffer
		opts := sc.opts
		opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		client, err := nakama.NewClient(sc.url, wireServerKey, &opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls {
			ctx, cancel := t.Context(), context.CancelFunc(func() {})
			if sc.ctx != nil {
				ctx, cancel = sc.ctx()
			}
			err := c.call(ctx, client, wireSession(t))
			cancel()
			if err == nil {
				t.Errorf("%s, %s: no error", sc.name, c.name)
				continue
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				for what, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("%s, %s: the error shows the %s: %s", sc.name, c.name, what, text)
					}
				}
			}
		}
		out := logs.String()
		if out == "" {
			t.Errorf("%s: nothing was logged", sc.name)
		}
		for what, secret := range secrets {
			if strings.Contains(out, secret) {
				t.Errorf("%s: the log shows the %s:\n%s", sc.name, what, out)
			}
		}
	}
}

// TestRESTScrubsEchoedHTTPKey: a proxy page that echoes the request URL must
// not carry the http key into the error.
func TestRESTScrubsEchoedHTTPKey(t *testing.T) {
	const key = "echoed-http-key-7d1e"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html>bad gateway for %s</html>", r.URL.RequestURI())
	}))
	defer srv.Close()
	c, err := nakama.NewClient(srv.URL, "", &nakama.ClientOptions{DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RpcFuncHTTPKey(context.Background(), key, "x", "{}")
	if !errors.Is(err, nakama.ErrBadResponse) {
		t.Fatalf("err %v, want ErrBadResponse", err)
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("error carries the http key: %v", err)
	}
}
