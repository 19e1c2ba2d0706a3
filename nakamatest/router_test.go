package nakamatest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gonakama/nakama/op"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestRoutingErrors(t *testing.T) {
	_, c := startServer(t, nil)
	c.send("GET", "/v2/nothing/here", "").fails(t, 404, NotFound, "Not Found")
	c.send("GET", "/v2/account/", "").fails(t, 404, NotFound, "Not Found") // no trailing slash routes
	c.send("PUT", "/healthcheck", "").fails(t, 501, Unimplemented, "Method Not Allowed")
	c.send("POST", "/", "").fails(t, 404, NotFound, "Not Found")

	r := c.send("GET", "/", "")
	if r.status != 200 || r.body != "" {
		t.Errorf("GET / = %d %q, want an empty 200", r.status, r.body)
	}
}

func TestUnregisteredOperationIsUnimplemented(t *testing.T) {
	srv := NewServer(nil)
	unregister(srv, "AddFriends")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/v2/friend?ids=x", nil))
	reply{status: rec.Code, header: rec.Header(), body: rec.Body.String()}.
		fails(t, 501, Unimplemented, "method AddFriends not implemented")
}

func TestEveryOperationIsRouted(t *testing.T) {
	srv := NewServer(nil)
	for _, o := range op.All {
		rt, _, status := srv.match(httptest.NewRequest(o.Method, strings.NewReplacer("{", "", "}", "").Replace(o.Path), nil))
		if rt == nil || rt.op.Path != o.Path || rt.op.Method != o.Method {
			t.Errorf("%s %s: routed to %v (status %d)", o.Method, o.Path, rt, status)
		}
	}
}

func TestHandleRefusesMistakes(t *testing.T) {
	srv := NewServer(nil)
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		fn()
	}
	mustPanic("duplicate", func() { handle(srv, "Healthcheck", srv.healthcheck) })
	mustPanic("unknown", func() { handle(srv, "NoSuchOperation", srv.healthcheck) })
	mustPanic("wrong request type", func() {
		unregister(srv, "AddFriends")
		handle(srv, "AddFriends", srv.healthcheck)
	})
	mustPanic("wrong response type", func() {
		unregister(srv, "AddFriends")
		handle(srv, "AddFriends", func(context.Context, *call, *api.AddFriendsRequest) (*api.Users, error) { return nil, nil })
	})
}

func TestMalformedBodies(t *testing.T) {
	_, c := startServer(t, nil)
	const path = "/v2/account/authenticate/device"
	c.send("POST", path, `{"id":`, defaultServerKey).fails(t, 400, InvalidArgument, "unexpected EOF")
	c.send("POST", path, `x`, defaultServerKey).
		fails(t, 400, InvalidArgument, "invalid character 'x' looking for beginning of value")
	r := c.send("POST", path, `{"id":5}`, defaultServerKey)
	r.fails(t, 400, InvalidArgument, "")
	if !strings.Contains(r.body, "invalid value for string field id: 5") {
		t.Errorf("type error body %s", r.body)
	}
	// The body is decoded before credentials are checked.
	c.send("POST", path, `{"id":`).fails(t, 400, InvalidArgument, "unexpected EOF")
	// What follows the first JSON value is ignored, and so are unknown fields.
	c.send("POST", path, `{"id":"trailing-device-1","nope":1} garbage`, defaultServerKey).ok(t, nil)
	// An empty body leaves the body field present but empty.
	c.send("POST", "/v2/account/authenticate/email", "", defaultServerKey).
		fails(t, 400, InvalidArgument, "Password must be at least 8 characters long.")
	c.send("POST", path, "", defaultServerKey).fails(t, 400, InvalidArgument, "Device ID is required.")
}

func TestRequestBodyLimit(t *testing.T) {
	_, c := startServer(t, &Options{MaxRequestSize: 1000})
	big := `{"id":"` + strings.Repeat("a", 2000) + `"}`
	c.send("POST", "/v2/account/authenticate/device", big, defaultServerKey).
		fails(t, 400, InvalidArgument, "http: request body too large")
}

func TestJSONAndProtoFieldNames(t *testing.T) {
	_, c := startServer(t, nil)
	sess := c.device("names-device-1")
	c.send("PUT", "/v2/account", `{"displayName":"camel","avatar_url":"snake"}`, bearerHeader(sess)).ok(t, nil)
	r := c.send("GET", "/v2/account", "", bearerHeader(sess))
	r.ok(t, nil)
	for _, want := range []string{`"display_name":"camel"`, `"avatar_url":"snake"`, `"lang_tag":"en"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("account %s lacks %s", r.body, want)
		}
	}
	if strings.Contains(r.body, "displayName") || strings.Contains(r.body, `"online"`) {
		t.Errorf("account %s uses JSON names or shows zero values", r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store, no-cache, must-revalidate" {
		t.Errorf("Cache-Control %q", got)
	}
}

func TestQueryParameters(t *testing.T) {
	_, c := startServer(t, nil)
	const path = "/v2/account/authenticate/device"
	body := `{"id":"query-device-1"}`
	c.send("POST", path+"?create=false", body, defaultServerKey).fails(t, 404, NotFound, "User account not found.")
	c.send("POST", path+"?create=maybe", body, defaultServerKey).
		fails(t, 400, InvalidArgument, `parsing field "create": strconv.ParseBool: parsing "maybe": invalid syntax`)
	c.send("POST", path+"?username=a&username=b", body, defaultServerKey).
		fails(t, 400, InvalidArgument, `too many values for field "username": a, b`)
	c.send("POST", path+"?%zz", body, defaultServerKey).fails(t, 400, InvalidArgument, `invalid URL escape "%zz"`)

	// The body field cannot be set from the query, under either name.
	s := &api.Session{}
	c.send("POST", path+"?username=fromquery&account.id=other-device-1&unknown=1", body, defaultServerKey).ok(t, s)
	if claims(t, s.Token)["usn"] != "fromquery" {
		t.Errorf("username from query not applied: %v", claims(t, s.Token))
	}
	a := c.account(s)
	if len(a.Devices) != 1 || a.Devices[0].Id != "query-device-1" {
		t.Errorf("devices %v: the query overrode the body field", a.Devices)
	}
}

func TestRepeatedQueryParameters(t *testing.T) {
	_, c := startServer(t, nil)
	a := c.account(c.device("repeated-device-1"))
	b := c.account(c.device("repeated-device-2"))
	users := &api.Users{}
	q := url.Values{"ids": {a.User.Id}, "usernames": {b.User.Username}}
	c.send("GET", "/v2/user?"+q.Encode(), "", bearerHeader(c.device("repeated-device-1"))).ok(t, users)
	if len(users.Users) != 2 {
		t.Errorf("got %d users, want 2: %v", len(users.Users), users)
	}
}

func TestPathBodyAndQueryDecoding(t *testing.T) {
	srv := NewServer(nil)
	replaceHandler(srv, "ListGroupUsers", func(_ context.Context, _ *call, req *api.ListGroupUsersRequest) (*api.GroupUserList, error) {
		return &api.GroupUserList{Cursor: req.GroupId + "|" + req.Limit.String() + "|" + req.State.String() + "|" + req.Cursor}, nil
	})
	replaceHandler(srv, "UpdateGroup", func(_ context.Context, _ *call, req *api.UpdateGroupRequest) (*emptypb.Empty, error) {
		if req.GroupId != "from-path" || req.Name.GetValue() != "n" {
			return nil, errorf(InvalidArgument, "got %v", req)
		}
		return &emptypb.Empty{}, nil
	})
	replaceHandler(srv, "WriteLeaderboardRecord", func(_ context.Context, _ *call, req *api.WriteLeaderboardRecordRequest) (*api.LeaderboardRecord, error) {
		return &api.LeaderboardRecord{LeaderboardId: req.LeaderboardId, Score: req.Record.GetScore()}, nil
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &testClient{t: t, srv: srv, hc: &http.Client{Transport: tr}}
	sess := c.device("decode-device-1")

	list := &api.GroupUserList{}
	c.send("GET", "/v2/group/g1/user?limit=10&state=2&cursor=c&group_id=ignored", "", bearerHeader(sess)).ok(t, list)
	if want := "g1|" + wrapperspb.Int32(10).String() + "|" + wrapperspb.Int32(2).String() + "|c"; list.Cursor != want {
		t.Errorf("decoded %q, want %q", list.Cursor, want)
	}
	c.send("GET", "/v2/group/g1/user?limit=x", "", bearerHeader(sess)).
		fails(t, 400, InvalidArgument, `parsing field "limit": strconv.ParseInt: parsing "x": invalid syntax`)

	// With the whole message as body, the path still wins.
	c.send("PUT", "/v2/group/from-path", `{"group_id":"from-body","name":"n"}`, bearerHeader(sess)).ok(t, nil)

	rec := &api.LeaderboardRecord{}
	c.send("POST", "/v2/leaderboard/board1", `{"score":"42"}`, bearerHeader(sess)).ok(t, rec)
	if rec.LeaderboardId != "board1" || rec.Score != 42 {
		t.Errorf("record %v", rec)
	}
}

func TestQueryMapSyntax(t *testing.T) {
	m := (&api.AccountDevice{}).ProtoReflect()
	err := populateQuery(m, map[string][]string{"vars[k]": {"v"}, "id": {"d"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Interface().(*api.AccountDevice)
	if got.Id != "d" || got.Vars["k"] != "v" {
		t.Errorf("decoded %v", got)
	}
}

func TestBasicAuth(t *testing.T) {
	_, c := startServer(t, &Options{ServerKey: "secret"})
	const path = "/v2/account/authenticate/device"
	body := `{"id":"basic-device-1"}`
	c.send("POST", path, body).fails(t, 401, Unauthenticated, "Server key required")
	c.send("POST", path, body, basicHeader("wrong")).fails(t, 401, Unauthenticated, "Server key invalid")
	c.send("POST", path, body, "Authorization: Basic !!!").fails(t, 401, Unauthenticated, "Server key invalid")
	c.send("POST", path, body, "Authorization: Bearer secret").fails(t, 401, Unauthenticated, "Server key invalid")
	c.send("POST", path, body, basicHeader("secret"), basicHeader("secret")).
		fails(t, 401, Unauthenticated, "Server key required")
	// The password is ignored.
	c.send("POST", path, body, "Authorization: Basic c2VjcmV0OmFueXRoaW5n").ok(t, nil)
}

func TestBearerAuth(t *testing.T) {
	srv, c := startServer(t, nil)
	sess := c.device("bearer-device-1")
	c.send("GET", "/v2/account", "").fails(t, 401, Unauthenticated, "Auth token required")
	c.send("GET", "/v2/account", "", "Authorization: Bearer nonsense").fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("GET", "/v2/account", "", defaultServerKey).fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("GET", "/v2/account", "", "Authorization: bearer "+sess.Token).fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("GET", "/v2/account", "", bearerHeader(sess), bearerHeader(sess)).
		fails(t, 401, Unauthenticated, "Auth token invalid")
	c.send("GET", "/v2/account", "", "Authorization: Bearer "+sess.RefreshToken).
		fails(t, 401, Unauthenticated, "Auth token invalid")

	other := NewServer(&Options{EncryptionKey: "another"})
	other.mu.Lock()
	forged := other.signSession("tid", 0, claims(t, sess.Token)["uid"].(string), "x", nil)
	other.mu.Unlock()
	c.send("GET", "/v2/account", "", "Authorization: Bearer "+forged).fails(t, 401, Unauthenticated, "Auth token invalid")

	c.account(sess)
	srv.FastForward(61 * time.Second)
	c.send("GET", "/v2/account", "", bearerHeader(sess)).fails(t, 401, Unauthenticated, "Auth token invalid")
}

func TestHTTPKeyAuth(t *testing.T) {
	srv := NewServer(nil)
	rpc := op.Get("RpcFunc2")
	check := func(query string, headers ...string) error {
		r := httptest.NewRequest("GET", "/v2/rpc/x"+query, nil)
		for _, h := range headers {
			name, value, _ := strings.Cut(h, ": ")
			r.Header.Add(name, value)
		}
		req := &api.Rpc{HttpKey: r.URL.Query().Get("http_key")}
		c, err := srv.authorize(rpc, r.Header.Values("Authorization"), req)
		if err == nil && !c.httpKey {
			t.Errorf("%s: authorized without the http key flag", query)
		}
		return err
	}
	wantErr := func(err error, code Code, msg string) {
		t.Helper()
		e := asError(err)
		if err == nil || e.Code != code || e.Message != msg {
			t.Errorf("got %v, want %v %q", err, code, msg)
		}
	}
	if err := check("?http_key=defaulthttpkey"); err != nil {
		t.Errorf("valid http key refused: %v", err)
	}
	wantErr(check(""), Unauthenticated, "Auth token or HTTP key required")
	wantErr(check("?http_key=wrong"), Unauthenticated, "HTTP key invalid")
	wantErr(check("?http_key=defaulthttpkey", "Authorization: Bearer x"), Unauthenticated, "Auth token invalid")
}

func TestCORS(t *testing.T) {
	_, c := startServer(t, nil)
	r := c.send("OPTIONS", "/v2/account", "", "Origin: http://app.example",
		"Access-Control-Request-Method: PUT", "Access-Control-Request-Headers: authorization, content-type")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
		r.header.Get("Access-Control-Allow-Methods") != "PUT" ||
		r.header.Get("Access-Control-Allow-Headers") != "Authorization,Content-Type" {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	r = c.send("OPTIONS", "/v2/account", "", "Origin: http://app.example",
		"Access-Control-Request-Method: GET", "Access-Control-Request-Headers: X-Custom")
	if r.status != 403 {
		t.Errorf("preflight with a disallowed header: %d", r.status)
	}
	r = c.send("GET", "/healthcheck", "", "Origin: http://app.example")
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("simple request: %d %v", r.status, r.header)
	}
	if r = c.send("OPTIONS", "/v2/account", ""); r.status != 200 || r.body != "" {
		t.Errorf("OPTIONS without Origin: %d %q", r.status, r.body)
	}
}

func TestCompression(t *testing.T) {
	_, c := startServer(t, nil)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(`{"id":"gzip-device-1"}`))
	_ = zw.Close()
	r := c.send("POST", "/v2/account/authenticate/device", zipped.String(), defaultServerKey,
		"Content-Encoding: gzip", "Accept-Encoding: gzip")
	if r.status != 200 || r.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q", r.status, r.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !strings.Contains(string(body), `"created":true`) {
		t.Errorf("decompressed body %s", body)
	}
	if r.header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("Vary %q", r.header.Get("Vary"))
	}
}

func TestRawHandlersAndPaths(t *testing.T) {
	srv := NewServer(nil)
	unregister(srv, "RpcFunc")
	srv.handleRaw("RpcFunc", func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		c := &call{op: op.Get("RpcFunc")}
		if !srv.bearerSession(c, r.Header.Get("Authorization")) {
			srv.writeError(w, newError(Unauthenticated, "Auth token invalid"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		srv.writeMessage(w, &api.Rpc{Id: params["id"], Payload: string(b) + "|" + c.username})
	})
	srv.handlePath("/custom", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "custom")
	}))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &testClient{t: t, srv: srv, hc: &http.Client{Transport: tr}}
	s := &api.Session{}
	c.send("POST", devicePath+"?username=raw", `{"id":"raw-device-1"}`, defaultServerKey).ok(t, s)

	rpc := &api.Rpc{}
	c.send("POST", "/v2/rpc/a/b/c", "payload", bearerHeader(s)).ok(t, rpc)
	if rpc.Id != "a/b/c" || rpc.Payload != "payload|raw" {
		t.Errorf("raw handler answered %v", rpc)
	}
	c.send("POST", "/v2/rpc/x", "", "Authorization: Bearer bad").fails(t, 401, Unauthenticated, "Auth token invalid")
	if r := c.send("GET", "/custom", ""); r.body != "custom" {
		t.Errorf("custom path answered %q", r.body)
	}
	mustPanic := func() {
		defer func() {
			if recover() == nil {
				t.Error("duplicate path accepted")
			}
		}()
		srv.handlePath("/custom", http.NotFoundHandler())
	}
	mustPanic()
}
