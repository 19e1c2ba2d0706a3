package nakamatest

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
)

// rawBody checks an answer's status and exact body.
func (r reply) exactBody(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Errorf("got %d %s, want %d %s", r.status, r.body, status, body)
	}
}

func TestRPCAuthAndRouting(t *testing.T) {
	srv, c := startServer(t, nil)
	var got RPCRequest
	srv.RegisterRPC("Echo", func(_ context.Context, in RPCRequest) (string, error) {
		got = in
		return in.Payload, nil
	})
	s := c.device("rpc-device-0001")
	bearer := bearerHeader(s)

	r := c.send("POST", "/v2/rpc/echo", `"hello"`, bearer)
	r.exactBody(t, 200, `{"payload":"hello"}`)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if got.ID != "echo" || got.UserID == "" || got.Username == "" || got.Expiry == 0 || got.HTTPKey {
		t.Errorf("session call saw %+v", got)
	}
	// Ids are case-insensitive both ways.
	c.send("POST", "/v2/rpc/ECHO", `"up"`, bearer).exactBody(t, 200, `{"payload":"up"}`)

	// The http key, in the query or as the basic-auth user.
	c.send("POST", "/v2/rpc/echo?http_key=defaulthttpkey&x=1", `"k"`).exactBody(t, 200, `{"payload":"k"}`)
	if !got.HTTPKey || got.UserID != "" || got.QueryParams["x"][0] != "1" || got.QueryParams["http_key"] != nil {
		t.Errorf("http key call saw %+v", got)
	}
	c.send("POST", "/v2/rpc/echo", `"b"`, basicHeader("defaulthttpkey")).exactBody(t, 200, `{"payload":"b"}`)

	invalidKey := `{"error":"HTTP key invalid","message":"HTTP key invalid","code":16}`
	c.send("POST", "/v2/rpc/echo?http_key=wrong", `"x"`, bearer).exactBody(t, 401, invalidKey)
	c.send("POST", "/v2/rpc/echo", `"x"`, basicHeader("wrong")).exactBody(t, 401, invalidKey)
	c.send("POST", "/v2/rpc/echo", `"x"`, "Authorization: Bearer nope").
		exactBody(t, 401, `{"error":"Auth token invalid","message":"Auth token invalid","code":16}`)
	r = c.send("POST", "/v2/rpc/echo", `"x"`)
	r.exactBody(t, 401, `{"error":"Auth token or HTTP key required","message":"Auth token or HTTP key required","code":16}`)
	if r.header.Get("WWW-Authenticate") != "" {
		t.Errorf("the RPC route sets no WWW-Authenticate")
	}
	// An empty http_key counts as none.
	c.send("POST", "/v2/rpc/echo?http_key=", `"x"`, bearer).exactBody(t, 200, `{"payload":"x"}`)

	c.send("POST", "/v2/rpc/", `"x"`, bearer).
		exactBody(t, 400, `{"error":"RPC ID must be set","message":"RPC ID must be set","code":3}`)
	c.send("POST", "/v2/rpc/missing", `"x"`, bearer).
		exactBody(t, 404, `{"error":"RPC function not found","message":"RPC function not found","code":5}`)
	c.send("POST", "/v2/rpc/echo/more", `"x"`, bearer).
		exactBody(t, 404, `{"error":"RPC function not found","message":"RPC function not found","code":5}`)
	// Credentials come before the id.
	c.send("POST", "/v2/rpc/missing", `"x"`).exactBody(t, 401,
		`{"error":"Auth token or HTTP key required","message":"Auth token or HTTP key required","code":16}`)
	c.send("PUT", "/v2/rpc/echo", `"x"`, bearer).fails(t, 501, Unimplemented, "Method Not Allowed")
}

func TestRPCPayloads(t *testing.T) {
	srv, c := startServer(t, &Options{MaxRequestSize: 1000})
	var got RPCRequest
	srv.RegisterRPC("echo", func(_ context.Context, in RPCRequest) (string, error) {
		got = in
		return in.Payload, nil
	})
	bearer := bearerHeader(c.device("rpc-device-0002"))

	// A GET carries no payload, whatever its query says.
	c.send("GET", "/v2/rpc/echo?payload=hello", "", bearer).exactBody(t, 200, `{"payload":""}`)
	if got.QueryParams["payload"][0] != "hello" {
		t.Errorf("query params %v", got.QueryParams)
	}
	// The answer is escaped as encoding/json does.
	c.send("POST", "/v2/rpc/echo", `"<a&b>"`, bearer).exactBody(t, 200, `{"payload":"\u003ca\u0026b\u003e"}`)
	c.send("POST", "/v2/rpc/echo", ``, bearer).exactBody(t, 200, `{"payload":""}`)
	c.send("POST", "/v2/rpc/echo", `{"a":1}`, bearer).exactBody(t, 400,
		`{"error":"json: cannot unmarshal object into Go value of type string","message":"json: cannot unmarshal object into Go value of type string","code":3}`)
	c.send("POST", "/v2/rpc/echo", `"`+strings.Repeat("a", 2000)+`"`, bearer).
		exactBody(t, 400, `{"code":3, "message":"http: request body too large"}`)

	// unwrap: the body in and the result out, as they are.
	r := c.send("POST", "/v2/rpc/echo?unwrap", `{"a":1}`, bearer, "Content-Type: text/x-foo")
	r.exactBody(t, 200, `{"a":1}`)
	if ct := r.header.Get("Content-Type"); ct != "text/x-foo" {
		t.Errorf("unwrapped Content-Type %q", ct)
	}
	r = c.send("POST", "/v2/rpc/echo?unwrap=", `raw<>&`, bearer)
	r.exactBody(t, 200, `raw<>&`)
	if ct := r.header.Get("Content-Type"); ct != "text/plain" {
		t.Errorf("unwrapped Content-Type %q", ct)
	}
	if got.Headers["User-Agent"] == nil {
		t.Errorf("headers %v", got.Headers)
	}
}

func TestRPCErrors(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.RegisterRPC("coded", func(context.Context, RPCRequest) (string, error) {
		return "", NewError(PermissionDenied, "no <way>")
	})
	srv.RegisterRPC("wrapped", func(context.Context, RPCRequest) (string, error) {
		return "", errors.Join(errors.New("context"), NewError(NotFound, "gone"))
	})
	srv.RegisterRPC("plain", func(context.Context, RPCRequest) (string, error) {
		return "", errors.New("boom")
	})
	srv.RegisterRPC("odd", func(context.Context, RPCRequest) (string, error) {
		return "", NewError(Code(99), "odd")
	})
	bearer := bearerHeader(c.device("rpc-device-0003"))

	c.send("POST", "/v2/rpc/coded", `"x"`, bearer).
		exactBody(t, http.StatusForbidden, `{"code":7,"error":{"Message":"no \u003cway\u003e","Code":7},"message":"no \u003cway\u003e"}`)
	c.send("POST", "/v2/rpc/wrapped", `"x"`, bearer).
		exactBody(t, http.StatusNotFound, `{"code":5,"error":{"Message":"gone","Code":5},"message":"gone"}`)
	c.send("POST", "/v2/rpc/plain", `"x"`, bearer).
		exactBody(t, http.StatusInternalServerError, `{"code":13,"error":{},"message":"boom"}`)
	c.send("POST", "/v2/rpc/odd", `"x"`, bearer).
		exactBody(t, http.StatusInternalServerError, `{"code":13,"error":{"Message":"odd","Code":99},"message":"odd"}`)

	// Removing a function.
	srv.RegisterRPC("PLAIN", nil)
	c.send("POST", "/v2/rpc/plain", `"x"`, bearer).exactBody(t, 404,
		`{"error":"RPC function not found","message":"RPC function not found","code":5}`)
}

func TestRPCVarsAreCopied(t *testing.T) {
	srv, c := startServer(t, nil)
	var got RPCRequest
	var seen map[string]string
	srv.RegisterRPC("vars", func(_ context.Context, in RPCRequest) (string, error) {
		got, seen = in, maps.Clone(in.Vars)
		in.Vars["changed"] = "yes"
		return "", nil
	})
	acc, err := srv.CreateUser(NewUser{Username: "rpcvars"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := srv.NewSession(acc.User.Id, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	c.send("POST", "/v2/rpc/vars", `"x"`, bearerHeader(s)).exactBody(t, 200, `{"payload":""}`)
	if got.Vars["k"] != "v" || got.UserID != acc.User.Id || got.Username != "rpcvars" {
		t.Errorf("saw %+v", got)
	}
	c.send("POST", "/v2/rpc/vars", `"x"`, bearerHeader(s)).exactBody(t, 200, `{"payload":""}`)
	if _, changed := seen["changed"]; changed {
		t.Errorf("a function's change to its vars leaked into the next call")
	}
}
