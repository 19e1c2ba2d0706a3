package nakamatest

import (
	"context"
	"strings"
	"testing"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func grpcConn(t *testing.T, srv *Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// TestGRPCSharesState: a session made over REST is valid over gRPC, and a
// handler's failures reach gRPC clients as statuses.
func TestGRPCSharesState(t *testing.T) {
	srv, c := startServer(t, &Options{MaxRequestSize: 1000})
	conn := grpcConn(t, srv)
	s := c.device("grpc-state-device-01")
	bearer := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.Token)
	acct := &api.Account{}
	if err := conn.Invoke(bearer, "/nakama.api.Nakama/GetAccount", &emptypb.Empty{}, acct); err != nil {
		t.Fatal(err)
	}
	if acct.GetUser().GetId() != c.account(s).GetUser().GetId() {
		t.Errorf("gRPC and REST disagree on the account: %v", acct)
	}

	replaceHandler(srv, "GetAccount", func(context.Context, *call, *emptypb.Empty) (*api.Account, error) {
		panic("boom")
	})
	err := conn.Invoke(bearer, "/nakama.api.Nakama/GetAccount", &emptypb.Empty{}, acct)
	if st := status.Convert(err); st.Code() != codes.Internal || !strings.Contains(st.Message(), "boom") {
		t.Errorf("panicking handler: %v", err)
	}
	unregister(srv, "GetAccount")
	err = conn.Invoke(bearer, "/nakama.api.Nakama/GetAccount", &emptypb.Empty{}, acct)
	if st := status.Convert(err); st.Code() != codes.Unimplemented || st.Message() != "method GetAccount not implemented" {
		t.Errorf("unregistered handler: %v", err)
	}
	big := &api.AuthenticateDeviceRequest{Account: &api.AccountDevice{Id: strings.Repeat("x", 2000)}}
	err = conn.Invoke(context.Background(), "/nakama.api.Nakama/AuthenticateDevice", big, &api.Session{})
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted {
		t.Errorf("request over MaxRequestSize: %v", err)
	}
}
