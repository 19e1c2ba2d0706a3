package nakamagrpc_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamagrpc"
	"github.com/gonakama/nakama/op"
	"github.com/heroiclabs/nakama-common/api"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		serveForBenchmark()
		return
	}
	goleak.VerifyTestMain(m)
}

// fakeServer is a gRPC server that takes any method: it records what it
// received and answers with answer, so tests see exactly what the adapter
// sends.
type fakeServer struct {
	addr   string
	mu     sync.Mutex
	method string
	md     metadata.MD
	req    []byte
	answer func(method string) (proto.Message, error)
}

func startFake(t *testing.T, answer func(method string) (proto.Message, error)) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: l.Addr().String(), answer: answer}
	gs := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(stream)
		// An Empty keeps every field it does not know: the raw request.
		var raw emptypb.Empty
		if err := stream.RecvMsg(&raw); err != nil {
			return err
		}
		md, _ := metadata.FromIncomingContext(stream.Context())
		f.mu.Lock()
		f.method, f.md, f.req = method, md, raw.ProtoReflect().GetUnknown()
		f.mu.Unlock()
		resp, err := f.answer(method)
		if err != nil {
			return err
		}
		return stream.SendMsg(resp)
	}))
	done := make(chan struct{})
	go func() { defer close(done); _ = gs.Serve(l) }()
	t.Cleanup(func() { gs.Stop(); <-done })
	return f
}

func (f *fakeServer) seen() (string, metadata.MD, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.method, f.md, f.req
}

func newAdapter(t *testing.T, addr string, opts *nakamagrpc.Options) *nakamagrpc.Adapter {
	t.Helper()
	a, err := nakamagrpc.NewAdapter(addr, "key", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// TestEveryOperation sends every row of the table and checks the method and
// the credential the server receives, and that the request arrives intact.
func TestEveryOperation(t *testing.T) {
	f := startFake(t, func(method string) (proto.Message, error) {
		for i := range op.All {
			if op.All[i].GRPCMethod() == method {
				return op.All[i].NewResponse(), nil
			}
		}
		return nil, status.Error(codes.Unimplemented, "no such method")
	})
	a := newAdapter(t, f.addr, nil)
	for i := range op.All {
		o := &op.All[i]
		t.Run(o.Name, func(t *testing.T) {
			req := o.NewRequest()
			token := "tok-" + o.Name
			if rpc, ok := req.(*api.Rpc); ok {
				rpc.Id, rpc.Payload = "fn", "data"
			}
			call := &nakama.Call{Operation: o, Token: token, Request: req, Response: o.NewResponse()}
			if o.Auth == op.Basic || o.Auth == op.None {
				call.Token = ""
			}
			if err := a.Send(context.Background(), call); err != nil {
				t.Fatalf("Send: %v", err)
			}
			method, md, body := f.seen()
			if method != o.GRPCMethod() || !strings.HasSuffix(method, "/"+o.ClientName()) {
				t.Errorf("method %s, want %s", method, o.GRPCMethod())
			}
			var want []string
			switch o.Auth {
			case op.Basic:
				want = []string{"Basic a2V5Og=="} // "key:"
			case op.Bearer, op.BearerOrHTTPKey:
				want = []string{"Bearer " + token}
			}
			if got := md.Get("authorization"); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("authorization %q, want %q", got, want)
			}
			wantBody, _ := proto.Marshal(req)
			if string(body) != string(wantBody) {
				t.Errorf("request bytes %x, want %x", body, wantBody)
			}
		})
	}
}

// TestHTTPKeyRPC: a server-to-server RPC carries no authorization metadata,
// only the http_key in its message, which is where the server reads it.
func TestHTTPKeyRPC(t *testing.T) {
	f := startFake(t, func(string) (proto.Message, error) { return &api.Rpc{Payload: "out"}, nil })
	a := newAdapter(t, f.addr, nil)
	resp := &api.Rpc{}
	err := a.Send(context.Background(), &nakama.Call{Operation: op.Get("RpcFunc"),
		Request: &api.Rpc{Id: "fn", HttpKey: "hk"}, Response: resp})
	if err != nil || resp.Payload != "out" {
		t.Fatalf("Send: %v, payload %q", err, resp.Payload)
	}
	_, md, body := f.seen()
	if v := md.Get("authorization"); v != nil {
		t.Errorf("authorization %q sent with an http key", v)
	}
	var got api.Rpc
	if err := proto.Unmarshal(body, &got); err != nil || got.HttpKey != "hk" {
		t.Errorf("request %v (%v), want http_key hk", &got, err)
	}
}

// TestServerErrors: a status the server sends is a *nakama.Error with its
// code and message, and no credential reaches the message.
func TestServerErrors(t *testing.T) {
	f := startFake(t, func(string) (proto.Message, error) {
		return nil, status.Error(codes.NotFound, "no user tok-secret here")
	})
	a := newAdapter(t, f.addr, nil)
	err := a.Send(context.Background(), &nakama.Call{Operation: op.Get("GetAccount"), Token: "tok-secret",
		Request: &emptypb.Empty{}, Response: &api.Account{}})
	var se *nakama.Error
	if !errors.As(err, &se) || se.Code != nakama.NotFound || se.HTTPStatus != 0 || !errors.Is(err, nakama.ErrNotFound) {
		t.Fatalf("got %#v, want a NotFound *nakama.Error", err)
	}
	if se.Message != "no user REDACTED here" {
		t.Errorf("message %q still names a credential", se.Message)
	}
	if safeToRetry(err) || temporary(err) {
		t.Errorf("a server answer claims to be a transport failure")
	}
}

// TestRefusedConnection: a server that is not there fails at once with an
// error that says nothing was sent, so any operation may be retried.
func TestRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // the port is now free: connections to it are refused
	a := newAdapter(t, addr, nil)
	o := op.Get("AddFriends") // not idempotent
	err = a.Send(context.Background(), &nakama.Call{Operation: o, Token: "tok-secret",
		Request: &api.AddFriendsRequest{}, Response: &emptypb.Empty{}})
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	var se *nakama.Error
	if errors.As(err, &se) {
		t.Fatalf("got a server error %v from a closed port", err)
	}
	if !safeToRetry(err) || !temporary(err) || status.Code(err) != codes.Unavailable {
		t.Errorf("refused connection: SafeToRetry %v, Temporary %v, code %v (%v)",
			safeToRetry(err), temporary(err), status.Code(err), err)
	}
	if strings.Contains(err.Error(), "tok-secret") {
		t.Errorf("error %q names the token", err)
	}
}

// TestLostConnection: a connection that drops with the request on it gives
// an error that is temporary (an idempotent call may be resent) but not safe
// to retry (the server may have acted on it).
func TestLostConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &connListener{Listener: l}
	gs := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		_ = stream.RecvMsg(&emptypb.Empty{})
		cl.closeAll() // the request arrived; the link dies before the answer
		<-stream.Context().Done()
		return nil
	}))
	done := make(chan struct{})
	go func() { defer close(done); _ = gs.Serve(cl) }()
	defer func() { gs.Stop(); <-done }()
	a := newAdapter(t, l.Addr().String(), nil)
	err = a.Send(context.Background(), &nakama.Call{Operation: op.Get("AddFriends"), Token: "t",
		Request: &api.AddFriendsRequest{}, Response: &emptypb.Empty{}})
	var se *nakama.Error
	if err == nil || errors.As(err, &se) {
		t.Fatalf("Send on a dropped connection: %v, want a transport failure", err)
	}
	if safeToRetry(err) || !temporary(err) {
		t.Errorf("dropped connection: SafeToRetry %v, Temporary %v (%v)", safeToRetry(err), temporary(err), err)
	}
}

// connListener keeps the connections it accepts, to cut them.
type connListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *connListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *connListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		_ = c.Close()
	}
}

// safeToRetry and temporary read the retry contract's methods, as
// DefaultClient does.
func safeToRetry(err error) bool {
	var e interface{ SafeToRetry() bool }
	return errors.As(err, &e) && e.SafeToRetry()
}

func temporary(err error) bool {
	var e interface{ Temporary() bool }
	return errors.As(err, &e) && e.Temporary()
}

func healthcheck() *nakama.Call {
	return &nakama.Call{Operation: op.Get("Healthcheck"), Request: &emptypb.Empty{}, Response: &emptypb.Empty{}}
}

// TestContextErrors: a cancelled or expired context gives the context's
// error, and the adapter's own Timeout gives a temporary timeout.
func TestContextErrors(t *testing.T) {
	block := make(chan struct{})
	f := startFake(t, func(string) (proto.Message, error) { <-block; return &emptypb.Empty{}, nil })
	defer close(block)
	a := newAdapter(t, f.addr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Send(ctx, healthcheck()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := a.Send(ctx, healthcheck()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v, want context.DeadlineExceeded", err)
	}
	short := newAdapter(t, f.addr, &nakamagrpc.Options{Timeout: 50 * time.Millisecond})
	err := short.Send(context.Background(), healthcheck())
	if !errors.Is(err, context.DeadlineExceeded) || !nakama.Timeout(err) || !temporary(err) || safeToRetry(err) {
		t.Errorf("own timeout: %v (timeout %v, temporary %v, safe %v)", err, nakama.Timeout(err),
			temporary(err), safeToRetry(err))
	}
}

// TestBadAnswer: an answer that is not the operation's message is a
// transport failure wrapping nakama.ErrBadResponse, never retried.
func TestBadAnswer(t *testing.T) {
	f := startFake(t, func(string) (proto.Message, error) {
		// Field 1 is Account's user message; 0xff is no valid message.
		return wrapperspb.Bytes([]byte{0xff}), nil
	})
	a := newAdapter(t, f.addr, nil)
	err := a.Send(context.Background(), &nakama.Call{Operation: op.Get("GetAccount"), Token: "tok-secret",
		Request: &emptypb.Empty{}, Response: &api.Account{}})
	if !errors.Is(err, nakama.ErrBadResponse) || temporary(err) || safeToRetry(err) {
		t.Errorf("bad answer: %v, want ErrBadResponse, not temporary", err)
	}
}

func TestAddrForURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:7350":        "127.0.0.1:7349",
		"https://example.com:8443/api": "example.com:8442",
		"http://[::1]:7350":            "[::1]:7349",
		"http://example.com":           "",
		"ftp://example.com:21":         "",
		"http://example.com:1":         "",
		"::":                           "",
	} {
		got, err := nakamagrpc.AddrForURL(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("AddrForURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestBadAddress(t *testing.T) {
	if _, err := nakamagrpc.NewAdapter("no-port", "", nil); err == nil {
		t.Error("an address without a port was accepted")
	}
	if err := newAdapter(t, "127.0.0.1:1", nil).Send(context.Background(), &nakama.Call{}); err == nil {
		t.Error("an empty call was sent")
	}
}

// TestGivenConn: an adapter over a caller's connection uses it and leaves
// it open on Close.
func TestGivenConn(t *testing.T) {
	f := startFake(t, func(string) (proto.Message, error) { return &emptypb.Empty{}, nil })
	conn, err := grpc.NewClient("passthrough:///"+f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	a := newAdapter(t, "", &nakamagrpc.Options{Conn: conn})
	if a.Conn() != conn {
		t.Fatal("Conn is not the given connection")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(context.Background(), healthcheck()); err != nil {
		t.Fatalf("Send after Close of an adapter over a given conn: %v", err)
	}
}
