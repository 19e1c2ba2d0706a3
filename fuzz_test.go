//go:build !js

package nakama_test

// Fuzz targets for the decoders of what the server sends: socket frames as
// the socket handles them, REST answers and error bodies, session tokens.
// Each checks properties of the result, not only that nothing panics. The
// corpus lives in testdata/fuzz/<FuzzName>/; plain go test runs it.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/internal/wire"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// fuzzToken builds an unsigned JWT around claims; the client reads, and
// never verifies, the payload.
func fuzzToken(claims []byte) string {
	return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
}

// fuzzSession is a session that expires in 2100.
func fuzzSession(tb testing.TB) *nakama.Session {
	s, err := nakama.RestoreSession(fuzzToken([]byte(`{"uid":"fuzz-user","exp":4102444800}`)), "")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// frameAdapter is a SocketAdapter with no network: the test hands frames
// to the socket through the handler it was given, as a read loop would.
type frameAdapter struct {
	mu   sync.Mutex
	h    nakama.SocketAdapterHandler
	once sync.Once
}

func (a *frameAdapter) Connect(_ context.Context, _ *nakama.SocketConnectParams, h nakama.SocketAdapterHandler) error {
	a.mu.Lock()
	a.h, a.once = h, sync.Once{}
	a.mu.Unlock()
	return nil
}

func (a *frameAdapter) Send(context.Context, [][]byte) error { return nil }
func (a *frameAdapter) Close() error                         { return a.CloseNow() }

func (a *frameAdapter) CloseNow() error {
	a.mu.Lock()
	h := a.h
	a.mu.Unlock()
	if h != nil {
		a.once.Do(func() { h.OnClose(nakama.ErrSocketClosed) })
	}
	return nil
}

func (a *frameAdapter) handler() nakama.SocketAdapterHandler {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.h
}

// frameSocket is a connected socket over a frameAdapter that records what
// its handlers receive.
type frameSocket struct {
	sock    *nakama.WebSocket
	adapter *frameAdapter
	events  []proto.Message
	errs    []error
}

func newFrameSocket(tb testing.TB, format nakama.SocketFormat) *frameSocket {
	fs := &frameSocket{adapter: &frameAdapter{}}
	sock, err := nakama.NewWebSocket("http://fuzz.invalid", &nakama.SocketOptions{Format: format, Adapter: fs.adapter,
		Keepalive: nakama.KeepaliveConfig{Disable: true}, EventQueueSize: 1 << 16})
	if err != nil {
		tb.Fatal(err)
	}
	fs.sock = sock
	rec := func(m proto.Message) { fs.events = append(fs.events, m) }
	sock.OnError(func(err error) { fs.errs = append(fs.errs, err) })
	sock.OnChannelMessage(func(m *api.ChannelMessage) { rec(m) })
	sock.OnChannelPresence(func(m *rtapi.ChannelPresenceEvent) { rec(m) })
	sock.OnMatchData(func(m *rtapi.MatchData) { rec(m) })
	sock.OnMatchPresence(func(m *rtapi.MatchPresenceEvent) { rec(m) })
	sock.OnMatchmakerMatched(func(m *rtapi.MatchmakerMatched) { rec(m) })
	sock.OnNotification(func(m *api.Notification) { rec(m) })
	sock.OnStatusPresence(func(m *rtapi.StatusPresenceEvent) { rec(m) })
	sock.OnStreamData(func(m *rtapi.StreamData) { rec(m) })
	sock.OnStreamPresence(func(m *rtapi.StreamPresenceEvent) { rec(m) })
	sock.OnParty(func(m *rtapi.Party) { rec(m) })
	sock.OnPartyClose(func(m *rtapi.PartyClose) { rec(m) })
	sock.OnPartyData(func(m *rtapi.PartyData) { rec(m) })
	sock.OnPartyJoinRequest(func(m *rtapi.PartyJoinRequest) { rec(m) })
	sock.OnPartyLeader(func(m *rtapi.PartyLeader) { rec(m) })
	sock.OnPartyPresence(func(m *rtapi.PartyPresenceEvent) { rec(m) })
	sock.OnPartyMatchmakerTicket(func(m *rtapi.PartyMatchmakerTicket) { rec(m) })
	sock.OnPartyUpdate(func(m *rtapi.PartyUpdate) { rec(m) })
	if err := sock.Connect(context.Background(), fuzzSession(tb), nil); err != nil {
		tb.Fatal(err)
	}
	sock.Tick() // the connect event
	return fs
}

// FuzzSocketFrame feeds frames to a connected socket in either format, as
// its adapter would, and checks what the application sees against the
// envelope the frame decodes to:
//   - an answer (numeric cid, with or without a message) with no request
//     waiting is dropped;
//   - an undecodable frame, or one of no known message type, is one error
//     event wrapping ErrBadResponse;
//   - a server error envelope is one error event carrying its code and
//     message;
//   - any other message is either delivered, equal to what the frame holds
//     (one handler call per notification of a batch), or, being an
//     answer type nobody asked for, one error event wrapping ErrBadResponse;
//
// and in every case the socket stays connected.
func FuzzSocketFrame(f *testing.F) {
	envs := []*rtapi.Envelope{
		{Message: &rtapi.Envelope_MatchData{MatchData: &rtapi.MatchData{MatchId: "m.n", OpCode: 1, Data: []byte("d")}}},
		{Message: &rtapi.Envelope_Notifications{Notifications: &rtapi.Notifications{Notifications: []*api.Notification{
			{Id: "a", Subject: "s"}, {Id: "b", Code: 2}}}}},
		{Message: &rtapi.Envelope_Error{Error: &rtapi.Error{Code: int32(rtapi.Error_MATCH_NOT_FOUND), Message: "Match not found"}}},
		{Cid: "5", Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: "late"}}},
		{Cid: "x", Message: &rtapi.Envelope_Pong{Pong: &rtapi.Pong{}}},
		{Message: &rtapi.Envelope_ChannelMessage{ChannelMessage: &api.ChannelMessage{ChannelId: "c", Code: wrapperspb.Int32(1)}}},
		{Message: &rtapi.Envelope_Party{Party: &rtapi.Party{PartyId: "p", Open: true}}},
		{},
	}
	for _, env := range envs {
		for _, format := range []wire.Format{wire.Protobuf, wire.JSON} {
			b, err := format.Append(nil, env)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(format == wire.JSON, b)
		}
	}
	f.Add(false, []byte{0xff})
	f.Add(true, []byte(`{"match_data":{"op_code":"1"`))
	f.Add(true, []byte(`{"notifications":{"notifications":[]}}`))
	f.Add(true, []byte(`{"error":{"code":99,"message":"new code","context":{"a":"b"}}}`))

	sockets := map[bool]*frameSocket{
		false: newFrameSocket(f, nakama.SocketProtobuf),
		true:  newFrameSocket(f, nakama.SocketJSON),
	}
	f.Cleanup(func() {
		for _, fs := range sockets {
			_ = fs.sock.Close()
		}
	})
	f.Fuzz(func(t *testing.T, isJSON bool, frame []byte) {
		fs := sockets[isJSON]
		format := wire.Protobuf
		if isJSON {
			format = wire.JSON
		}
		fs.events, fs.errs = fs.events[:0], fs.errs[:0]
		fs.adapter.handler().OnFrame(frame)
		fs.sock.Tick()
		if !fs.sock.IsConnected() {
			t.Fatalf("a %v frame ended the connection: %q", format, frame)
		}
		env, err := format.Decode(frame)
		oneBadResponse := len(fs.events) == 0 && len(fs.errs) == 1 && errors.Is(fs.errs[0], nakama.ErrBadResponse)
		if err == nil {
			// An answer may hold no message: the server answers some
			// requests (LeaveMatch, ...) with the cid alone.
			if _, err := strconv.ParseUint(env.Cid, 10, 64); err == nil {
				if len(fs.events)+len(fs.errs) != 0 {
					t.Fatalf("answer with cid %q and nobody waiting: events %v, errors %v", env.Cid, fs.events, fs.errs)
				}
				return
			}
		}
		if err != nil || env.Message == nil {
			if !oneBadResponse {
				t.Fatalf("%v frame %q (decode error %v): events %v, errors %v; want one ErrBadResponse", format, frame, err, fs.events, fs.errs)
			}
			return
		}
		if e, ok := env.Message.(*rtapi.Envelope_Error); ok {
			var se *nakama.SocketError
			if len(fs.errs) != 1 || !errors.As(fs.errs[0], &se) || int32(se.Code) != e.Error.Code ||
				se.Message != e.Error.Message || !maps.Equal(se.Context, e.Error.Context) {
				t.Fatalf("error envelope %v: errors %v", e.Error, fs.errs)
			}
			return
		}
		var want []proto.Message
		if n, ok := env.Message.(*rtapi.Envelope_Notifications); ok {
			for _, x := range n.Notifications.Notifications {
				want = append(want, x)
			}
			if len(want) == 0 {
				// An empty batch: nothing to deliver, nothing wrong.
				if len(fs.events)+len(fs.errs) != 0 {
					t.Fatalf("empty notification batch: events %v, errors %v", fs.events, fs.errs)
				}
				return
			}
		} else {
			want = []proto.Message{env.ProtoReflect().Get(env.ProtoReflect().WhichOneof(env.ProtoReflect().Descriptor().Oneofs().ByName("message"))).Message().Interface()}
		}
		if len(fs.events) == 0 && oneBadResponse {
			return // an answer type nobody asked for
		}
		if len(fs.errs) != 0 || len(fs.events) != len(want) {
			t.Fatalf("%v frame %q: events %v, errors %v; want %v", format, frame, fs.events, fs.errs, want)
		}
		for i := range want {
			if !proto.Equal(fs.events[i], want[i]) {
				t.Fatalf("event %d delivered as %v, frame holds %v", i, fs.events[i], want[i])
			}
		}
	})
}

// fuzzTransport answers every request with one status and body.
type fuzzTransport struct {
	status int
	body   []byte
}

func (t *fuzzTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: t.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(t.body)), ContentLength: -1, Request: r}, nil
}

// FuzzRESTAnswer answers a GetAccount call with any status and body, and
// checks the outcome against what the body holds:
//   - a 2xx body that protojson reads as an Account (unknown fields
//     ignored) gives that account;
//     any other 2xx body (empty, not JSON, not an Account) an error
//     wrapping ErrBadResponse;
//   - an error status whose body is a JSON object with an integer "code"
//     gives a *Error with that code, the "message" (or a string "error")
//     and the status; any other body an error wrapping ErrBadResponse that
//     names the status;
//   - no error holds the session token, even when the body echoes it.
func FuzzRESTAnswer(f *testing.F) {
	s := fuzzSession(f)
	for _, seed := range []struct {
		status int
		body   string
	}{
		{200, `{"user":{"id":"u","username":"n","create_time":"2024-01-01T00:00:00Z"},"wallet":"{}","devices":[{"id":"d"}]}`},
		{200, `{"user":{"id":"u"},"unknown_field":[1,2]}`},
		{200, ``}, {200, ` `}, {200, `null`}, {200, `{"user":`}, {200, `<html>ok</html>`}, {204, ``},
		{404, `{"code":5,"message":"Account not found","details":[]}`},
		{401, `{"code":16,"error":"Auth token invalid","message":""}`},
		{500, `{"code":13,"error":{},"message":"Error from a runtime function"}`},
		{502, "<html><body>502 Bad Gateway " + s.Token() + "</body></html>"},
		{400, `{"code":"3","message":"x"}`}, {400, `{"code":3.5}`}, {400, `{"code":-1}`}, {400, `{"code":99999999999}`},
		{503, ``}, {429, `{"message":"slow down"}`}, {302, ``}, {101, ``},
	} {
		f.Add(uint16(seed.status), []byte(seed.body))
	}
	tr := &fuzzTransport{}
	client, err := nakama.NewClient("http://fuzz.invalid", "defaultkey", &nakama.ClientOptions{
		REST:         nakama.RESTOptions{HTTPClient: &http.Client{Transport: tr}},
		DisableRetry: true, DisableAutoRefresh: true,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		if len(body) > 60<<10 {
			return // past the error body cap, which this oracle does not model
		}
		tr.status, tr.body = 100+int(status)%500, body
		acc, err := client.GetAccount(context.Background(), s)
		if err != nil && strings.Contains(err.Error(), s.Token()) {
			t.Fatalf("the error holds the token: %v", err)
		}
		trimmed := bytes.TrimSpace(body)
		if tr.status >= 200 && tr.status <= 299 {
			want := &api.Account{}
			// Unknown fields are ignored, so a newer server's additions
			// do not break this client.
			if len(trimmed) > 0 && (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(trimmed, want) == nil {
				if err != nil || !proto.Equal(acc, want) {
					t.Fatalf("%d %q: got %v, %v; want %v", tr.status, body, acc, err, want)
				}
			} else if !errors.Is(err, nakama.ErrBadResponse) {
				t.Fatalf("%d %q: got %v, %v; want ErrBadResponse", tr.status, body, acc, err)
			}
			return
		}
		var e struct {
			Code    *int            `json:"code"`
			Message string          `json:"message"`
			Error   json.RawMessage `json:"error"`
		}
		if json.Unmarshal(trimmed, &e) == nil && e.Code != nil {
			msg := e.Message
			if msg == "" {
				_ = json.Unmarshal(e.Error, &msg)
			}
			var se *nakama.Error
			if !errors.As(err, &se) || se.Code != nakama.Code(*e.Code) || se.HTTPStatus != tr.status || errors.Is(err, nakama.ErrBadResponse) {
				t.Fatalf("%d %q: got %v, want a *Error with code %d", tr.status, body, err, *e.Code)
			}
			if !strings.Contains(msg, s.Token()) && se.Message != msg {
				t.Fatalf("%d %q: message %q, want %q", tr.status, body, se.Message, msg)
			}
			return
		}
		if !errors.Is(err, nakama.ErrBadResponse) || !strings.Contains(err.Error(), strconv.Itoa(tr.status)) {
			t.Fatalf("%d %q: got %v, want ErrBadResponse naming the status", tr.status, body, err)
		}
	})
}

// fuzzClaims is what the properties read from a token's claims, decoded
// apart from the client.
type fuzzClaims struct {
	Exp, Iat int64
	UID      string            `json:"uid"`
	Usn      string            `json:"usn"`
	Vrs      map[string]string `json:"vrs"`
}

// parseFuzzClaims decodes claims as a JWT's NumericDate allows (RFC 7519:
// any JSON number; the client takes those that are whole and fit an int64),
// and says whether a session may be made from them (exp present).
func parseFuzzClaims(b []byte) (fuzzClaims, bool) {
	var raw struct {
		Exp, Iat float64
		UID      string            `json:"uid"`
		Usn      string            `json:"usn"`
		Vrs      map[string]string `json:"vrs"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return fuzzClaims{}, false
	}
	var n [2]int64
	for i, v := range []float64{raw.Exp, raw.Iat} {
		switch {
		case v != math.Trunc(v) || math.Abs(v) > 1<<63:
			return fuzzClaims{}, false
		case v == 1<<63:
			n[i] = math.MaxInt64 // what a float64 rounds math.MaxInt64 to
		default:
			n[i] = int64(v)
		}
	}
	c := fuzzClaims{Exp: n[0], Iat: n[1], UID: raw.UID, Usn: raw.Usn, Vrs: raw.Vrs}
	return c, c.Exp != 0
}

// maxLifetime is the longest token lifetime a time.Duration can hold.
const maxLifetime = math.MaxInt64 / int64(time.Second)

// FuzzSessionTokens makes sessions from tokens with any claims, restored
// (RestoreSession) and fresh from the server (NewSession), and checks that
// an accepted token's expiry is consistent with its claims: restored, the
// exp claim itself; fresh, the lifetime exp-iat counted from receipt (exp
// when iat is absent or later than exp); and that the user, username and
// vars are the claims'. A token without exp is refused.
func FuzzSessionTokens(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"tid":"t","uid":"u","usn":"n","vrs":{"a":"b"},"exp":1800000060,"iat":1800000000}`, `{"uid":"u","exp":1800003600,"iat":1800000000}`},
		{`{"exp":1}`, ``},
		{`{"exp":5,"iat":9}`, `{"exp":-1}`},
		{`{"exp":1800000000,"iat":-5}`, `{}`},
		{`{"exp":9223372036,"iat":1}`, ``},
		{`{"exp":1e3}`, ``},
		{`{"exp":"1800000000"}`, ``},
		{`{"uid":5,"exp":10}`, ``},
		{`{"vrs":{"k":1},"exp":10}`, ``},
		{`{"vrs":null,"exp":10}`, `{"exp":20,"iat":10}`},
		{`[]`, ``}, {`null`, ``}, {``, ``},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, claims, refreshClaims []byte) {
		token, refresh := fuzzToken(claims), ""
		if len(refreshClaims) > 0 {
			refresh = fuzzToken(refreshClaims)
		}
		c, valid := parseFuzzClaims(claims)
		rc, rvalid := parseFuzzClaims(refreshClaims)
		rvalid = rvalid || refresh == ""

		restored, err := nakama.RestoreSession(token, refresh)
		if (err == nil) != (valid && rvalid) {
			t.Fatalf("RestoreSession(%s, %s): %v; claims valid %v, refresh claims valid %v", claims, refreshClaims, err, valid, rvalid)
		}
		if err == nil {
			checkClaims(t, restored, c)
			if got := restored.ExpiresAt(); !got.Equal(time.Unix(c.Exp, 0)) {
				t.Fatalf("restored token with exp %d expires at %v", c.Exp, got)
			}
			if refresh != "" && !restored.RefreshExpiresAt().Equal(time.Unix(rc.Exp, 0)) {
				t.Fatalf("restored refresh token with exp %d expires at %v", rc.Exp, restored.RefreshExpiresAt())
			}
		}

		t0 := time.Now()
		fresh, err := nakama.NewSession(&api.Session{Token: token, RefreshToken: refresh})
		t1 := time.Now()
		if (err == nil) != (valid && rvalid) {
			t.Fatalf("NewSession(%s, %s): %v", claims, refreshClaims, err)
		}
		if err != nil {
			return
		}
		checkClaims(t, fresh, c)
		checkFreshExpiry(t, "token", fresh.ExpiresAt(), c, t0, t1)
		if refresh != "" {
			checkFreshExpiry(t, "refresh token", fresh.RefreshExpiresAt(), rc, t0, t1)
		}
	})
}

func checkClaims(t *testing.T, s *nakama.Session, c fuzzClaims) {
	t.Helper()
	if s.UserID() != c.UID || s.Username() != c.Usn || !maps.Equal(s.Vars(), c.Vrs) {
		t.Fatalf("session user %q %q vars %v; claims %+v", s.UserID(), s.Username(), s.Vars(), c)
	}
	if strings.Contains(s.String(), s.Token()) {
		t.Fatal("String shows the token")
	}
}

// checkFreshExpiry: a token received between t0 and t1 expires its
// lifetime after receipt. Lifetimes past maxLifetime are left to
// TestSessionLifetimeBeyondDuration: they overflow
// today.
func checkFreshExpiry(t *testing.T, what string, got time.Time, c fuzzClaims, t0, t1 time.Time) {
	t.Helper()
	if c.Iat <= 0 || c.Exp < c.Iat {
		if !got.Equal(time.Unix(c.Exp, 0)) {
			t.Fatalf("%s with exp %d and iat %d expires at %v, want exp", what, c.Exp, c.Iat, got)
		}
		return
	}
	life := c.Exp - c.Iat
	if life > maxLifetime {
		return
	}
	d := time.Duration(life) * time.Second
	if got.Before(t0.Add(d)) || got.After(t1.Add(d)) {
		t.Fatalf("%s of lifetime %v received in [%v, %v] expires at %v", what, d, t0, t1, got)
	}
}
