//go:build !js

// Not under js/wasm: these tests send REST through net/http to servers in the test process, which the browser's fetch adapter cannot reach.

package nakama_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gonakama/nakama"
)

// restErrorMax bounds the length of an error describing an answer that could
// not be understood, whatever the answer.
const restErrorMax = 512

// restAnswer returns a client whose every call is answered with status,
// content type and body.
func restAnswer(t *testing.T, status int, contentType, body string) *nakama.DefaultClient {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := nakama.NewClient(srv.URL, wireServerKey, &nakama.ClientOptions{DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// restCall runs call and turns a panic into a test failure.
func restCall(t *testing.T, call func() error) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("panic: %v", p)
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return call()
}

func TestErrorsServerErrors(t *testing.T) {
	getAccount := func(c nakama.Client, s *nakama.Session) error {
		_, err := c.GetAccount(context.Background(), s)
		return err
	}
	rpc := func(c nakama.Client, s *nakama.Session) error {
		_, err := c.RpcFunc(context.Background(), s, "reward/claim", `{"day":-1}`)
		return err
	}
	cases := []struct {
		name     string
		status   int
		body     string
		call     func(nakama.Client, *nakama.Session) error
		op       string
		want     nakama.Error
		sentinel error
		text     string // err.Error()
	}{
		{"not found", 404, `{"code":5,"message":"x"}`, getAccount, "GetAccount",
			nakama.Error{Code: nakama.NotFound, Message: "x", HTTPStatus: 404}, nakama.ErrNotFound, "nakama: GetAccount: NotFound: x"},
		{"with details", 400, `{"code":3,"message":"Invalid email address format.","details":[]}`, getAccount, "GetAccount",
			nakama.Error{Code: nakama.InvalidArgument, Message: "Invalid email address format.", HTTPStatus: 400}, nakama.ErrInvalidArgument,
			"nakama: GetAccount: InvalidArgument: Invalid email address format."},
		{"no message", 409, `{"code":6}`, getAccount, "GetAccount",
			nakama.Error{Code: nakama.AlreadyExists, HTTPStatus: 409}, nakama.ErrAlreadyExists, "nakama: GetAccount: AlreadyExists"},
		{"rpc handler form", 400, `{"error":"day must be positive","message":"day must be positive","code":3}`, rpc, "RpcFunc",
			nakama.Error{Code: nakama.InvalidArgument, Message: "day must be positive", HTTPStatus: 400}, nakama.ErrInvalidArgument,
			"nakama: RpcFunc: InvalidArgument: day must be positive"},
		{"rpc handler form, error only", 500, `{"error":"runtime error: index out of range","code":13}`, rpc, "RpcFunc",
			nakama.Error{Code: nakama.Internal, Message: "runtime error: index out of range", HTTPStatus: 500}, nakama.ErrInternal,
			"nakama: RpcFunc: Internal: runtime error: index out of range"},
		{"permission", 403, ` {"code":7,"message":"Not allowed."}` + "\n", getAccount, "GetAccount",
			nakama.Error{Code: nakama.PermissionDenied, Message: "Not allowed.", HTTPStatus: 403}, nakama.ErrPermissionDenied,
			"nakama: GetAccount: PermissionDenied: Not allowed."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := restAnswer(t, c.status, "application/json", c.body)
			err := restCall(t, func() error { return c.call(client, wireSession(t)) })
			var e *nakama.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want a *nakama.Error", err, err)
			}
			if *e != c.want {
				t.Errorf("*Error %+v, want %+v", *e, c.want)
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, c.sentinel)
			}
			if errors.Is(err, nakama.ErrUnavailable) || errors.Is(err, nakama.ErrBadResponse) {
				t.Errorf("error %v matches a sentinel of another kind", err)
			}
			if got := nakama.CodeOf(err); got != c.want.Code {
				t.Errorf("CodeOf = %v, want %v", got, c.want.Code)
			}
			var oe *nakama.OpError
			if !errors.As(err, &oe) || oe.Op != c.op {
				t.Errorf("error %v is not an *OpError for %s", err, c.op)
			}
			if got := err.Error(); got != c.text {
				t.Errorf("Error() = %q, want %q", got, c.text)
			}
		})
	}
}

const restNginx502 = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.25.3</center>
</body>
</html>
`

// TestErrorsBadResponses: answers that are not the server's JSON become
// errors wrapping ErrBadResponse that name the HTTP status, never a panic,
// and never an unbounded message.
func TestErrorsBadResponses(t *testing.T) {
	getAccount := func(c nakama.Client, s *nakama.Session) error {
		_, err := c.GetAccount(context.Background(), s)
		return err
	}
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		call        func(nakama.Client, *nakama.Session) error
	}{
		{"proxy 502 page", 502, "text/html", restNginx502, getAccount},
		{"proxy 502 page on authenticate", 502, "text/html", restNginx502, func(c nakama.Client, s *nakama.Session) error {
			_, err := c.AuthenticateDevice(context.Background(), "device-0001-abcdef", nil)
			return err
		}},
		{"empty 500", 500, "", "", getAccount},
		{"blank 503", 503, "text/plain", " \r\n\t", getAccount},
		{"JSON without a code", 503, "application/json", `{"message":"maintenance"}`, getAccount},
		{"code as a string", 400, "application/json", `{"code":"3","message":"x"}`, getAccount},
		{"error null", 500, "application/json", `null`, getAccount},
		{"error array", 500, "application/json", `[{"code":5}]`, getAccount},
		{"truncated error", 404, "application/json", `{"code":5,"mess`, getAccount},
		{"binary error", 500, "application/octet-stream", "\x00\x01\x02\xff\xfe\n\r\x1b[31mred", getAccount},
		{"truncated success", 200, "application/json", `{"user":{"id":"` + wireUserID + `","username":"ad`, getAccount},
		{"non-JSON success", 200, "text/plain", "OK", getAccount},
		{"HTML success", 200, "text/html", "<!doctype html><html><body>Welcome to nginx!</body></html>", getAccount},
		{"empty success for a message", 200, "application/json", "", getAccount},
		{"null success", 200, "application/json", "null", getAccount},
		{"array success", 200, "application/json", "[]", getAccount},
		{"wrong type success", 200, "application/json", `{"user":"ada"}`, getAccount},
		{"int64 out of range", 200, "application/json", `{"records":[{"score":"99999999999999999999"}]}`,
			func(c nakama.Client, s *nakama.Session) error {
				_, err := c.ListLeaderboardRecords(context.Background(), s, "weekly", nil)
				return err
			}},
		{"huge string where an object belongs", 200, "application/json", `{"user":"` + strings.Repeat("A", 100000) + `"}`, getAccount},
		{"huge number in a string", 200, "application/json", `{"rank_count":"` + strings.Repeat("9", 100000) + `"}`,
			func(c nakama.Client, s *nakama.Session) error {
				_, err := c.ListLeaderboardRecords(context.Background(), s, "weekly", nil)
				return err
			}},
		{"bad token in session", 200, "application/json", `{"token":"not-a-jwt","refresh_token":""}`,
			func(c nakama.Client, s *nakama.Session) error {
				_, err := c.AuthenticateDevice(context.Background(), "device-0001-abcdef", nil)
				return err
			}},
		{"empty session", 200, "application/json", "", func(c nakama.Client, s *nakama.Session) error {
			_, err := c.AuthenticateDevice(context.Background(), "device-0001-abcdef", nil)
			return err
		}},
		{"non-JSON answer to an empty method", 200, "text/plain", "OK", func(c nakama.Client, s *nakama.Session) error {
			return c.DeleteAccount(context.Background(), s)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := restAnswer(t, c.status, c.contentType, c.body)
			err := restCall(t, func() error { return c.call(client, wireSession(t)) })
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			if c.name == "bad token in session" {
				// The answer was JSON, but its token is not a JWT.
				if !strings.Contains(msg, "JWT") {
					t.Errorf("error %q does not say the token is bad", msg)
				}
				return
			}
			if !errors.Is(err, nakama.ErrBadResponse) {
				t.Errorf("error %q (%T) does not wrap ErrBadResponse", msg, err)
			}
			var e *nakama.Error
			if errors.As(err, &e) {
				t.Errorf("error %q is a *nakama.Error %+v: the server said no such thing", msg, *e)
			}
			if got := nakama.CodeOf(err); got != nakama.Unknown {
				t.Errorf("CodeOf = %v, want Unknown", got)
			}
			if !strings.Contains(msg, fmt.Sprint(c.status)) {
				t.Errorf("error %q does not mention HTTP status %d", msg, c.status)
			}
			if len(msg) > restErrorMax {
				t.Errorf("error is %d bytes long, want at most %d: %q", len(msg), restErrorMax, msg)
			}
			if strings.ContainsAny(msg, "\x00\n\r\x1b") {
				t.Errorf("error %q has control characters", msg)
			}
		})
	}
	t.Run("empty success for an empty method", func(t *testing.T) {
		client := restAnswer(t, 200, "application/json", "")
		if err := client.DeleteAccount(context.Background(), wireSession(t)); err != nil {
			t.Errorf("DeleteAccount answered with nothing: %v, want success", err)
		}
	})
}

// restEndless is a body that never ends, counting what is read of it.
type restEndless struct {
	prefix string
	fill   byte
	n      atomic.Int64
}

func (r *restEndless) Read(p []byte) (int, error) {
	off := int(r.n.Load())
	for i := range p {
		if off+i < len(r.prefix) {
			p[i] = r.prefix[off+i]
		} else {
			p[i] = r.fill
		}
	}
	r.n.Add(int64(len(p)))
	return len(p), nil
}

func (r *restEndless) Close() error { return nil }

// TestErrorsHugeErrorBody: an error body that never ends is read only up to
// a cap, and still gives a short error.
func TestErrorsHugeErrorBody(t *testing.T) {
	for _, prefix := range []string{"<html><body>", `{"code":13,"message":"`} {
		body := &restEndless{prefix: prefix, fill: 'A'}
		rt := restRoundTripper(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"text/html"}}, Body: body, ContentLength: -1, Request: r}, nil
		})
		c, err := nakama.NewClient("http://nakama.invalid", wireServerKey, &nakama.ClientOptions{DisableRetry: true,
			REST: nakama.RESTOptions{HTTPClient: &http.Client{Transport: rt}}})
		if err != nil {
			t.Fatal(err)
		}
		err = restCall(t, func() error { _, err := c.GetAccount(context.Background(), wireSession(t)); return err })
		if err == nil {
			t.Fatal("no error")
		}
		if n := body.n.Load(); n > 1<<20 {
			t.Errorf("%q...: read %d bytes of an error body, want a cap", prefix, n)
		}
		if !errors.Is(err, nakama.ErrBadResponse) || !strings.Contains(err.Error(), "500") {
			t.Errorf("%q...: error %v, want a bad response naming HTTP 500", prefix, err)
		}
		if len(err.Error()) > restErrorMax {
			t.Errorf("%q...: error is %d bytes long", prefix, len(err.Error()))
		}
	}
}

func TestErrorsCodeOf(t *testing.T) {
	cases := []struct {
		err  error
		want nakama.Code
	}{
		{nil, nakama.OK},
		{&nakama.Error{Code: nakama.NotFound, Message: "x", HTTPStatus: 404}, nakama.NotFound},
		{fmt.Errorf("loading: %w", &nakama.Error{Code: nakama.PermissionDenied}), nakama.PermissionDenied},
		{&nakama.OpError{Op: "GetAccount", Err: &nakama.Error{Code: nakama.Unauthenticated}}, nakama.Unauthenticated},
		{context.Canceled, nakama.Canceled},
		{context.DeadlineExceeded, nakama.DeadlineExceeded},
		{&nakama.OpError{Op: "GetAccount", Err: fmt.Errorf("%w (dial: refused)", context.DeadlineExceeded)}, nakama.DeadlineExceeded},
		{errors.New("something else"), nakama.Unknown},
		{nakama.ErrBadResponse, nakama.Unknown},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, nakama.Unknown},
	}
	for _, c := range cases {
		if got := nakama.CodeOf(c.err); got != c.want {
			t.Errorf("CodeOf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestErrorsCodeString(t *testing.T) {
	cases := []struct {
		code nakama.Code
		want string
	}{
		{nakama.OK, "OK"},
		{nakama.Canceled, "Canceled"},
		{nakama.InvalidArgument, "InvalidArgument"},
		{nakama.NotFound, "NotFound"},
		{nakama.Unavailable, "Unavailable"},
		{nakama.Unauthenticated, "Unauthenticated"},
		{17, "Code(17)"},
		{99, "Code(99)"},
		{nakama.Code(^uint32(0)), "Code(4294967295)"},
	}
	for _, c := range cases {
		if got := c.code.String(); got != c.want {
			t.Errorf("Code(%d).String() = %q, want %q", uint32(c.code), got, c.want)
		}
	}
}

func TestErrorsOpError(t *testing.T) {
	cause := &nakama.Error{Code: nakama.NotFound, Message: "Group not found."}
	err := error(&nakama.OpError{Op: "JoinGroup", Err: cause})
	if got, want := err.Error(), "nakama: JoinGroup: NotFound: Group not found."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Unwrap(err) != cause {
		t.Error("Unwrap does not return the cause")
	}
	if !errors.Is(err, nakama.ErrNotFound) || errors.Is(err, nakama.ErrInternal) {
		t.Error("errors.Is does not see the cause's code through OpError")
	}
	if got, want := (&nakama.OpError{Op: "GetAccount", Err: io.EOF}).Error(), "nakama: GetAccount: EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&nakama.Error{Code: nakama.Unavailable}).Error(), "nakama: Unavailable"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if errors.Is(&nakama.Error{Code: nakama.NotFound}, &nakama.Error{Code: nakama.NotFound}) {
		t.Error("two distinct *Error values compare equal under errors.Is; only sentinels should match")
	}
}
