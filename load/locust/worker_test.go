package locust

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/load"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRoundMS checks the rounding Locust's StatsEntry applies to response
// times (its comment: 147 becomes 150, 3432 becomes 3400, 58760 becomes
// 59000).
func TestRoundMS(t *testing.T) {
	for ms, want := range map[float64]int64{0.2: 0, 0.6: 1, 99.4: 99, 147: 150, 3432: 3400, 58760: 59000} {
		if got := roundMS(ms); got != want {
			t.Errorf("roundMS(%v) = %d, want %d", ms, got, want)
		}
	}
}

// TestAggregate checks that a report carries Locust's StatsEntry fields,
// counts a failure as a request too, and starts afresh after each take.
func TestAggregate(t *testing.T) {
	a := newAggregate()
	a.add(load.Sample{Op: load.OpMatchData, Latency: 3 * time.Millisecond})
	a.add(load.Sample{Op: load.OpMatchData, Latency: 147 * time.Millisecond})
	err := &nakama.Error{Code: nakama.NotFound, Message: "no such function"}
	a.add(load.Sample{Op: load.OpRPCREST, Err: err, Code: nakama.CodeOf(err)})
	entries, total, errs, n := a.take()
	if n != 3 || total["num_requests"] != int64(3) || total["num_failures"] != int64(1) || total["method"] != nil {
		t.Errorf("total: %d requests, %v", n, total)
	}
	if len(entries) != 2 || len(errs) != 1 {
		t.Fatalf("%d entries, %d errors: %v %v", len(entries), len(errs), entries, errs)
	}
	for _, e := range entries {
		switch e["name"] {
		case load.OpMatchData:
			times := e["response_times"].(map[int64]int64)
			if e["method"] != "WS" || times[3] != 1 || times[150] != 1 || e["max_response_time"] != 147.0 || e["min_response_time"] != 3.0 {
				t.Errorf("match.data entry %v", e)
			}
		case load.OpRPCREST:
			if e["method"] != "REST" || e["num_failures"] != int64(1) || e["num_requests"] != int64(1) {
				t.Errorf("rpc.rest entry %v", e)
			}
		}
	}
	if _, total, _, n := a.take(); n != 0 || total["last_request_timestamp"] != nil {
		t.Errorf("second take: %d requests, %v", n, total)
	}
}

func TestRunWorkerBadInput(t *testing.T) {
	sc := &load.Scenario{Workload: &load.Relay{}}
	if _, err := RunWorker(context.Background(), "127.0.0.1:5557", "", "", sc, nil); err == nil {
		t.Error("a master address without tcp:// was accepted")
	}
	if _, err := RunWorker(context.Background(), "tcp://127.0.0.1:5557", "", "", nil, nil); err == nil {
		t.Error("a nil scenario was accepted")
	}
	// No master listening: the worker gives up when its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := RunWorker(ctx, "tcp://127.0.0.1:1", "", "", sc, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("no master: %v", err)
	}
}
