package nakamatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The tests talk to the server only through net/http and protojson, as any
// client would; a few reach into the package to replace a handler.

// testClient sends raw HTTP requests to one server.
type testClient struct {
	t   *testing.T
	srv *Server
	hc  *http.Client
}

func startServer(t *testing.T, opts *Options) (*Server, *testClient) {
	t.Helper()
	srv := RunT(t, opts)
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections) // runs before the server's Close
	return srv, &testClient{t: t, srv: srv, hc: &http.Client{Transport: tr}}
}

// reply is a raw HTTP answer.
type reply struct {
	status int
	header http.Header
	body   string
}

// req is one request: headers are "Name: value" lines.
func (c *testClient) send(method, path, body string, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequestWithContext(context.Background(), method, c.srv.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		r.Header.Add(name, value)
	}
	resp, err := c.hc.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

const defaultServerKey = "Authorization: Basic ZGVmYXVsdGtleTo=" // "defaultkey:"

func basicHeader(user string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"))
}

func bearerHeader(s *api.Session) string { return "Authorization: Bearer " + s.Token }

func jsonOf(t *testing.T, m proto.Message) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ok checks a 200 answer and decodes it into m (if not nil).
func (r reply) ok(t *testing.T, m proto.Message) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if m != nil {
		if err := protojson.Unmarshal([]byte(r.body), m); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// fails checks an error answer: the HTTP status, the gRPC code and, unless
// it is "", the exact message.
func (r reply) fails(t *testing.T, status int, code Code, message string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d; body %s", r.status, status, r.body)
	}
	var e struct {
		Code    *int    `json:"code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Code == nil {
		t.Fatalf("error body %q is not {code, message}: %v", r.body, err)
	}
	if Code(*e.Code) != code {
		t.Errorf("code %d (%v), want %d (%v); body %s", *e.Code, Code(*e.Code), code, code, r.body)
	}
	if message != "" && (e.Message == nil || *e.Message != message) {
		t.Errorf("body %s, want message %q", r.body, message)
	}
	if code == Unauthenticated && message != "" && r.header.Get("WWW-Authenticate") != message {
		t.Errorf("WWW-Authenticate %q, want %q", r.header.Get("WWW-Authenticate"), message)
	}
}

// device authenticates with a device id (created if needed).
func (c *testClient) device(id string) *api.Session {
	c.t.Helper()
	s := &api.Session{}
	c.send("POST", "/v2/account/authenticate/device", `{"id":"`+id+`"}`, defaultServerKey).ok(c.t, s)
	return s
}

// account fetches the caller's account.
func (c *testClient) account(s *api.Session) *api.Account {
	c.t.Helper()
	a := &api.Account{}
	c.send("GET", "/v2/account", "", bearerHeader(s)).ok(c.t, a)
	return a
}

// claims decodes a token's claims without verifying it, as clients do.
func claims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", token, len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func claimInt(t *testing.T, token, name string) int64 {
	t.Helper()
	n, err := claims(t, token)[name].(json.Number).Int64()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// replaceHandler swaps the handler of an operation, for tests that need a
// handler that blocks, panics or echoes. It clears any registered one first,
// so it keeps working as other areas register their operations.
func replaceHandler[Req, Resp proto.Message](s *Server, name string, fn func(context.Context, *call, Req) (Resp, error)) {
	rt := s.byName[name]
	rt.h, rt.raw = nil, nil
	handle(s, name, fn)
}

// unregister removes an operation's handler, so that it answers 501.
func unregister(s *Server, name string) {
	rt := s.byName[name]
	rt.h, rt.raw = nil, nil
}

// fixedTime is a whole second, so tests can reason about token seconds.
var fixedTime = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
