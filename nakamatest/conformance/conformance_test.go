package conformance

import (
	"testing"

	"github.com/gonakama/nakama/nakamatest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestNakamatest runs the suite against the in-memory server, over REST
// and over gRPC.
func TestNakamatest(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	Install(srv)
	target := Target{Name: "nakamatest", URL: srv.URL(), GRPCAddr: srv.GRPCAddr(), Extra: srv}
	Run(t, target)
	Run(t, target.Over(GRPC))
}

// TestRealServer runs the suite against the server NAKAMA_URL names, over
// REST and over gRPC.
func TestRealServer(t *testing.T) {
	target, ok := TargetFromEnv()
	if !ok {
		t.Skip("NAKAMA_URL is not set: no real server to run the conformance suite against " +
			"(set NAKAMA_URL, and NAKAMA_SERVER_KEY/NAKAMA_HTTP_KEY/NAKAMA_GRPC_ADDR if not the defaults)")
	}
	Run(t, target)
	Run(t, target.Over(GRPC))
}
