package nakamagrpc_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamagrpc"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/gonakama/nakama/op"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func Example() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	client, err := nakamagrpc.NewClient(srv.GRPCAddr(), "defaultkey", nil)
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx := context.Background()
	session, err := client.AuthenticateDevice(ctx, "example-device-0001", &nakama.AuthenticateOptions{Username: "grpc-user"})
	if err != nil {
		panic(err)
	}
	account, err := client.GetAccount(ctx, session)
	if err != nil {
		panic(err)
	}
	fmt.Println(account.GetUser().GetUsername())
	// Output: grpc-user
}

func ExampleAddrForURL() {
	addr, err := nakamagrpc.AddrForURL("http://127.0.0.1:7350")
	fmt.Println(addr, err)
	// Output: 127.0.0.1:7349 <nil>
}

// TestMixedTransports: one server, one user, both transports: a session
// made over gRPC works over REST and back, and server-to-server RPC with the
// http key works over gRPC.
func TestMixedTransports(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	srv.RegisterRPC("whoami", func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
		return fmt.Sprintf("%s|%v|%s|%s", in.UserID, in.HTTPKey, in.Payload, strings.Join(in.Headers["x-extra"], ",")), nil
	})
	g, err := nakamagrpc.NewClient(srv.GRPCAddr(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rest, err := nakama.NewClient(srv.URL(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := g.AuthenticateCustom(ctx, "mixed-custom-0001", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rest.UpdateAccount(ctx, s, &nakama.UpdateAccountOptions{DisplayName: nakama.Ptr("over REST")}); err != nil {
		t.Fatal(err)
	}
	acct, err := g.GetAccount(ctx, s)
	if err != nil || acct.GetUser().GetDisplayName() != "over REST" {
		t.Fatalf("GetAccount over gRPC: %v, %v", acct, err)
	}
	res, err := g.RpcFunc(metadata.AppendToOutgoingContext(ctx, "x-extra", "1"), s, "WhoAmI", "in")
	if err != nil || res.GetPayload() != s.UserID()+"|false|in|1" {
		t.Errorf("RpcFunc: %q, %v", res.GetPayload(), err)
	}
	res, err = g.RpcFuncHTTPKey(ctx, "defaulthttpkey", "whoami", "s2s")
	if err != nil || res.GetPayload() != "|true|s2s|" {
		t.Errorf("RpcFuncHTTPKey: %q, %v", res.GetPayload(), err)
	}
	if _, err := g.RpcFuncHTTPKey(ctx, "wrong", "whoami", ""); !errors.Is(err, nakama.ErrUnauthenticated) ||
		strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong http key: %v", err)
	}
}

// TestRestartAndDrop: the gRPC port survives Restart, and a client whose
// connections were cut gets its next call through.
func TestRestartAndDrop(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	addr := srv.GRPCAddr()
	g, err := nakamagrpc.NewClient(addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ctx := context.Background()
	s, err := g.AuthenticateDevice(ctx, "restart-device-0001", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if srv.GRPCAddr() != addr {
		t.Fatalf("gRPC address moved from %s to %s", addr, srv.GRPCAddr())
	}
	if _, err := g.GetAccount(ctx, s); err != nil {
		t.Fatalf("GetAccount after Restart: %v", err)
	}
	srv.CloseClientConnections()
	if _, err := g.GetAccount(ctx, s); err != nil {
		t.Fatalf("GetAccount after CloseClientConnections: %v", err)
	}
}

// TestRetryAfterRefused: a call that found no server is retried by
// DefaultClient, even when it is not idempotent, because the adapter says
// nothing was sent; the server comes up after the first attempt.
func TestRetryAfterRefused(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	addr := srv.GRPCAddr()
	srv.Close()
	a, err := nakamagrpc.NewAdapter(addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var attempts int
	var first error
	hook := adapterFunc(func(ctx context.Context, c *nakama.Call) error {
		attempts++
		err := a.Send(ctx, c)
		if attempts == 1 {
			first = err
			if rerr := srv.Restart(); rerr != nil {
				t.Errorf("Restart: %v", rerr)
			}
			// Reconnect now rather than after grpc's backoff, so the retry
			// meets the server.
			conn := a.Conn()
			conn.ResetConnectBackoff()
			for st := conn.GetState(); st == connectivity.TransientFailure; st = conn.GetState() {
				conn.WaitForStateChange(ctx, st)
			}
		}
		return err
	})
	client := nakama.NewClientWithAdapter(hook, &nakama.ClientOptions{Retry: nakama.RetryConfig{BaseDelay: 1}})
	ctx := context.Background()
	s, err := client.AuthenticateCustom(ctx, "refused-custom-0001", nil)
	if err != nil || attempts != 2 {
		t.Fatalf("AuthenticateCustom: %v after %d attempts (first: %v)", err, attempts, first)
	}
	srv.Close()
	attempts = 0
	err = client.SessionRefresh(ctx, s, nil) // not idempotent
	if !nakama.SafeToRetry(first) {
		t.Skipf("nakama.SafeToRetry does not read the adapter's SafeToRetry method yet: %v", first)
	}
	if err != nil || attempts != 2 {
		t.Fatalf("SessionRefresh: %v after %d attempts (first: %v)", err, attempts, first)
	}
}

type adapterFunc func(context.Context, *nakama.Call) error

func (f adapterFunc) Send(ctx context.Context, c *nakama.Call) error { return f(ctx, c) }

// A probe is one raw exchange whose answer differs from REST's or is
// gRPC's own; each runs on nakamatest and, with NAKAMA_URL set, on the real
// server, and must give the same code and message on both.
type probe struct {
	name    string
	method  string
	auth    string // authorization metadata, "" for none
	req     any
	code    nakama.Code
	message string
}

func probes(serverKey string) []probe {
	basic := func(user string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"))
	}
	return []probe{
		{"wrong server key", "/nakama.api.Nakama/AuthenticateDevice", basic("wrong"), &api.AuthenticateDeviceRequest{Account: &api.AccountDevice{Id: "probe-device-0001"}},
			nakama.Unauthenticated, "Server key invalid"},
		{"no server key", "/nakama.api.Nakama/AuthenticateDevice", "", &api.AuthenticateDeviceRequest{},
			nakama.Unauthenticated, "Server key required"},
		{"no token", "/nakama.api.Nakama/GetAccount", "", &emptypb.Empty{}, nakama.Unauthenticated, "Auth token required"},
		{"bad token", "/nakama.api.Nakama/GetAccount", "Bearer x", &emptypb.Empty{}, nakama.Unauthenticated, "Auth token invalid"},
		// REST accepts the http key as basic auth on the RPC route; gRPC reads
		// it only from the message and takes any authorization as a token.
		{"http key as basic auth", "/nakama.api.Nakama/RpcFunc", basic("defaulthttpkey"), &api.Rpc{Id: "x"},
			nakama.Unauthenticated, "Auth token invalid"},
		{"no credential for RPC", "/nakama.api.Nakama/RpcFunc", "", &api.Rpc{Id: "x"},
			nakama.Unauthenticated, "Auth token or HTTP key required"},
		{"RPC without id", "/nakama.api.Nakama/RpcFunc", "", &api.Rpc{HttpKey: "defaulthttpkey"},
			nakama.InvalidArgument, "RPC ID must be set"},
		{"unknown method", "/nakama.api.Nakama/NoSuchMethod", "", &emptypb.Empty{},
			nakama.Unimplemented, "unknown method NoSuchMethod for service nakama.api.Nakama"},
		{"unknown service", "/nakama.api.Other/Healthcheck", "", &emptypb.Empty{},
			nakama.Unimplemented, "unknown service nakama.api.Other"},
		// REST always sends the body's message, if empty; gRPC may leave it out.
		{"device request without account", "/nakama.api.Nakama/AuthenticateDevice", basic(serverKey), &api.AuthenticateDeviceRequest{},
			nakama.InvalidArgument, "Device ID is required."},
		{"custom request without account", "/nakama.api.Nakama/AuthenticateCustom", basic(serverKey), &api.AuthenticateCustomRequest{},
			nakama.InvalidArgument, "Custom ID is required."},
		{"Game Center request without account", "/nakama.api.Nakama/AuthenticateGameCenter", basic(serverKey), &api.AuthenticateGameCenterRequest{},
			nakama.InvalidArgument, "GameCenter access credentials are required."},
		{"refresh without token", "/nakama.api.Nakama/SessionRefresh", basic(serverKey), &api.SessionRefreshRequest{},
			nakama.InvalidArgument, "Refresh token is required."},
		// REST answers InvalidArgument "http: request body too large".
		{"oversized request", "/nakama.api.Nakama/AuthenticateDevice", basic(serverKey),
			&api.AuthenticateDeviceRequest{Account: &api.AccountDevice{Id: strings.Repeat("x", 300_000)}},
			nakama.ResourceExhausted, "grpc: received message larger than max (300008 vs. 262144)"},
	}
}

func TestServerAnswers(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	targets := map[string]string{"nakamatest": srv.GRPCAddr()}
	key := "defaultkey"
	if _, addr, ok := realServer(t); ok {
		targets["real"] = addr
		if k := os.Getenv("NAKAMA_SERVER_KEY"); k != "" && k != key {
			t.Skip("the probes assume the default server and http keys")
		}
	} else {
		t.Log("NAKAMA_URL is not set: probing nakamatest only")
	}
	for name, addr := range targets {
		conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, p := range probes(key) {
			t.Run(name+"/"+p.name, func(t *testing.T) {
				ctx := context.Background()
				if p.auth != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", p.auth)
				}
				err := conn.Invoke(ctx, p.method, p.req, &emptypb.Empty{})
				st := status.Convert(err)
				if nakama.Code(st.Code()) != p.code || st.Message() != p.message {
					t.Errorf("got %v %q, want %v %q", st.Code(), st.Message(), p.code, p.message)
				}
			})
		}
	}
}

// The healthcheck row has no credential: it must pass with none.
func TestHealthcheck(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	a := newAdapter(t, srv.GRPCAddr(), nil)
	if err := a.Send(context.Background(), &nakama.Call{Operation: op.Get("Healthcheck"),
		Request: &emptypb.Empty{}, Response: &emptypb.Empty{}}); err != nil {
		t.Fatal(err)
	}
}

// realServer returns the REST URL and gRPC address of the real server
// NAKAMA_URL names (NAKAMA_GRPC_ADDR, or the URL's port minus one), and
// false when it is unset.
func realServer(tb testing.TB) (url, grpcAddr string, ok bool) {
	url = os.Getenv("NAKAMA_URL")
	if url == "" {
		return "", "", false
	}
	grpcAddr = os.Getenv("NAKAMA_GRPC_ADDR")
	if grpcAddr == "" {
		var err error
		if grpcAddr, err = nakamagrpc.AddrForURL(url); err != nil {
			tb.Fatal(err)
		}
	}
	return url, grpcAddr, true
}
