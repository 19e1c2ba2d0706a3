//go:build !js

package nakama_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/encoding/protojson"
)

// benchAccount is the GetAccount answer the benchmark server sends.
var benchAccount = func() []byte {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(&api.Account{
		User:   &api.User{Id: wireUserID, Username: wireUsername, DisplayName: "Ada", LangTag: "en", Metadata: "{}"},
		Wallet: `{"coins":120}`, Email: "ada@example.com",
	})
	if err != nil {
		panic(err)
	}
	return b
}()

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(benchAccount)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchBare is what a hand-written client does for GetAccount: one request
// with net/http, the answer decoded with protojson.
type benchBare struct {
	client *http.Client
	url    string
	auth   string
}

func (c *benchBare) getAccount(ctx context.Context) (*api.Account, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/v2/account", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	acct := &api.Account{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, acct); err != nil {
		return nil, err
	}
	return acct, nil
}

// benchContenders returns GetAccount through the client and through the
// bare request, against the same server, each with a transport of its own
// with the same idle pool, and each exchange bounded by timeout (none when
// negative).
func benchContenders(b *testing.B, timeout time.Duration) (ours, bare func() error) {
	srv := benchServer(b)
	c, err := nakama.NewClient(srv.URL, wireServerKey, &nakama.ClientOptions{REST: nakama.RESTOptions{Timeout: timeout}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Adapter().(*nakama.RESTAdapter).CloseIdleConnections)
	s, err := nakama.RestoreSession(wireToken, wireRefreshToken)
	if err != nil {
		b.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = nakama.DefaultMaxIdleConns, nakama.DefaultMaxIdleConns
	b.Cleanup(tr.CloseIdleConnections)
	bc := &benchBare{client: &http.Client{Transport: tr, Timeout: max(timeout, 0)}, url: srv.URL, auth: "Bearer " + wireToken}
	ctx := context.Background()
	ours = func() error { _, err := c.GetAccount(ctx, s); return err }
	bare = func() error { _, err := bc.getAccount(ctx); return err }
	return ours, bare
}

// BenchmarkRESTGetAccount: one GetAccount through the client, against an
// httptest server in the same process (whose work is counted too).
func BenchmarkRESTGetAccount(b *testing.B) {
	ours, _ := benchContenders(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := ours(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRESTGetAccountBare: the same request with net/http and protojson,
// with no bound on the exchange (the client above has DefaultTimeout).
func BenchmarkRESTGetAccountBare(b *testing.B) {
	_, bare := benchContenders(b, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := bare(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRESTOverhead runs the client and the bare request in alternating
// rounds of one run and reports the client's CPU time and allocations per
// call as ratios to the bare request's (1.00 = no overhead), besides each
// one's own figures. CPU time is the process's (the server's share
// included, equal for both), so the ratio is what a program doing nothing
// else would see. Both bound each exchange by DefaultTimeout (the bare one
// with http.Client.Timeout), or, in "no-timeout", neither does (the client
// with RESTOptions.Timeout -1).
func BenchmarkRESTOverhead(b *testing.B) {
	b.Run("timeout", func(b *testing.B) { benchOverhead(b, nakama.DefaultTimeout) })
	b.Run("no-timeout", func(b *testing.B) { benchOverhead(b, -1) })
}

func benchOverhead(b *testing.B, timeout time.Duration) {
	ours, bare := benchContenders(b, timeout)
	const round = 200
	var cpu, allocs [2]float64
	var calls float64
	var ms runtime.MemStats
	measure := func(i int, f func() error) {
		runtime.ReadMemStats(&ms)
		m0 := ms.Mallocs
		c0 := benchCPU()
		for range round {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		cpu[i] += float64(benchCPU() - c0)
		runtime.ReadMemStats(&ms)
		allocs[i] += float64(ms.Mallocs - m0)
	}
	// Warm both up: connections, pools, lazily built tables.
	measure(0, ours)
	measure(1, bare)
	cpu, allocs = [2]float64{}, [2]float64{}
	b.ResetTimer()
	for b.Loop() {
		measure(0, ours)
		measure(1, bare)
		calls += round
	}
	b.ReportMetric(cpu[0]/calls, "cpu-ns/call")
	b.ReportMetric(cpu[1]/calls, "bare-cpu-ns/call")
	b.ReportMetric(cpu[0]/cpu[1], "cpu-ratio")
	b.ReportMetric(allocs[0]/calls, "allocs/call")
	b.ReportMetric(allocs[1]/calls, "bare-allocs/call")
	b.ReportMetric(allocs[0]/allocs[1], "allocs-ratio")
	b.ReportMetric(0, "ns/op") // a loop is two rounds; the per-call figures above are the result
}

// benchCPU returns the process's CPU time so far, user and system.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
