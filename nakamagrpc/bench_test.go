//go:build unix

package nakamagrpc_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamagrpc"
	"github.com/gonakama/nakama/nakamatest"
)

// benchServerEnv makes the test binary a nakamatest server for the
// benchmark, in a process of its own so that the client's CPU time can be
// measured apart from the server's.
const benchServerEnv = "NAKAMAGRPC_BENCH_SERVER"

// serveForBenchmark runs nakamatest, prints its two addresses and stops
// when its standard input closes.
func serveForBenchmark() {
	srv, err := nakamatest.Run(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(srv.URL(), srv.GRPCAddr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// benchServer starts the server process and returns its URL and gRPC
// address; it stops with the benchmark. With NAKAMA_URL set it returns that
// server's instead (and NAKAMA_GRPC_ADDR, or the derived address).
func benchServer(b *testing.B) (string, string) {
	if u, addr, ok := realServer(b); ok {
		return u, addr
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 2 {
		b.Fatalf("benchmark server said %q: %v", line, err)
	}
	return f[0], f[1]
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGetAccount makes one call, GetAccount, over each transport to
// the same server (nakamatest in another process, or the real server
// NAKAMA_URL names, with the default server key), one call at a time, and
// reports the client's CPU time per call (cpu-ns/op) beside the wall time
// (ns/op). The transports alternate, three rounds each.
func BenchmarkGetAccount(b *testing.B) {
	url, grpcAddr := benchServer(b)
	newREST := func(tr *http.Transport) *nakama.DefaultClient {
		b.Cleanup(tr.CloseIdleConnections)
		c, err := nakama.NewClient(url, "", &nakama.ClientOptions{REST: nakama.RESTOptions{HTTPClient: &http.Client{Transport: tr}}})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	rest := newREST(&http.Transport{})
	// net/http asks for gzip, which the server (like the real one) then
	// spends most of a REST call on; this client asks for none.
	plain := newREST(&http.Transport{DisableCompression: true})
	grpcClient, err := nakamagrpc.NewClient(grpcAddr, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer grpcClient.Close()
	// A session long enough for the whole run, even on a server with the
	// default 60 s tokens: it is refreshed before a call that nears expiry.
	s, err := rest.AuthenticateDevice(context.Background(), "bench-device-0001", nil)
	if err != nil {
		b.Fatal(err)
	}
	clients := []struct {
		name   string
		client nakama.Client
	}{{"rest", rest}, {"rest-identity", plain}, {"grpc", grpcClient}}
	// Rounds alternate the transports, so a change in the machine's load
	// falls on all of them alike.
	for round := 0; round < 3; round++ {
		for _, c := range clients {
			benchCall(b, c.name, c.client, s)
		}
	}
}

func benchCall(b *testing.B, name string, client nakama.Client, s *nakama.Session) {
	ctx := context.Background()
	b.Run(name, func(b *testing.B) {
		b.ReportAllocs()
		if _, err := client.GetAccount(ctx, s); err != nil { // connect outside the timing
			b.Fatal(err)
		}
		cpu0 := cpuTime()
		for b.Loop() {
			if _, err := client.GetAccount(ctx, s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}
