package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama/load"
	"github.com/gonakama/nakama/load/locust"
	"github.com/gonakama/nakama/nakamatest"
)

// TestLoad runs nakama load as a user would, with no -url: its server runs
// in a child process (this test binary, told so by the environment), and
// the run ends at its message budget.
func TestLoad(t *testing.T) {
	var out bytes.Buffer
	var errOut syncBuffer
	err := run(context.Background(), []string{"load", "-players", "6", "-spawn-rate", "-1", "-messages", "300",
		"-scenario", "relay:1,rpc:1,leaderboard:1", "-match-size", "2", "-rate", "50", "-think", "1ms-5ms", "-json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, errOut.String())
	}
	var rep load.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the -json report does not parse: %v\n%s", err, out.String())
	}
	if rep.Sent != 300 || rep.PeakConnected != 6 || len(rep.Errors) != 0 {
		t.Errorf("sent %d, peak %d, errors %+v: want 300, 6, none", rep.Sent, rep.PeakConnected, rep.Errors)
	}
	counts := map[string]int64{}
	for _, o := range rep.Ops {
		counts[o.Op] = o.Count
	}
	for _, o := range []string{load.OpMatchData, load.OpLeaderboardWrite, load.OpLeaderboardList} {
		if counts[o] == 0 {
			t.Errorf("no %s in %v", o, counts)
		}
	}
	if counts[load.OpRPCREST]+counts[load.OpRPCSocket] == 0 {
		t.Errorf("no RPC answered by the load server's load_echo: %v", counts)
	}
	// At least the last progress line, printed as the run ends, is there.
	if !strings.Contains(errOut.String(), "started nakamatest in process of its own") ||
		!strings.Contains(errOut.String(), "/6  sent ") {
		t.Errorf("progress lines missing from stderr:\n%s", errOut.String())
	}

	var text syncBuffer
	if err := run(context.Background(), []string{"load", "-players", "2", "-messages", "10", "-scenario", "chat", "-think", "1ms"}, &text, &text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scenario chat", "chat.write", "p99.9", "client CPU", "per player"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

func TestLoadBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "golf"},
		{"-scenario", "relay:0"},
		{"-format", "xml"},
		{"-think", "2s-1s"},
		{"-payload", "3"},
		{"-locust-master", "127.0.0.1:5557"},
		{"stray"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"load", "-url", "http://127.0.0.1:1"}, args...), &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestLoadLocust runs a headless Locust master with two nakama load workers
// on loopback, a short relay scenario, and checks that the master counted
// both workers' requests: per worker (the locustfile's own tally of the
// reports it received) as the workers say they reported, and in all in its
// CSV statistics.
func TestLoadLocust(t *testing.T) {
	locustBin, err := exec.LookPath("locust")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("locust is not installed (apt-get install python3-locust); CI must run this test")
		}
		t.Skip("locust is not installed (apt-get install python3-locust)")
	}
	srv := nakamatest.RunT(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	master := exec.CommandContext(ctx, locustBin, "--master", "--headless",
		"--master-bind-host", "127.0.0.1", "--master-bind-port", strconv.Itoa(port),
		"--expect-workers", "2", "-u", "8", "-r", "8", "-t", "6s",
		"-f", filepath.Join("testdata", "locustfile.py"), "--csv", filepath.Join(dir, "run"),
		"--only-summary", "--loglevel", "WARNING")
	master.Env = append(os.Environ(), "GONAKAMA_LOCUST_REPORT="+filepath.Join(dir, "workers.json"))
	var masterOut syncBuffer
	master.Stdout, master.Stderr = &masterOut, &masterOut
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}

	results := make([]*locust.Result, 2)
	errs := make([]error, 2)
	logs := make([]syncBuffer, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			errs[i] = run(ctx, []string{"load", "-url", srv.URL(), "-locust-master", fmt.Sprintf("tcp://127.0.0.1:%d", port),
				"-scenario", "relay", "-match-size", "2", "-rate", "20", "-json", "-progress", "1s"}, &out, &logs[i])
			if errs[i] == nil {
				results[i] = new(locust.Result)
				errs[i] = json.Unmarshal(out.Bytes(), results[i])
			}
		}()
	}
	wg.Wait()
	masterErr := master.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v\n%s\nmaster:\n%s", i, err, logs[i].String(), masterOut.String())
		}
	}
	if masterErr != nil {
		t.Fatalf("master: %v\n%s", masterErr, masterOut.String())
	}

	var byWorker map[string]int64
	b, err := os.ReadFile(filepath.Join(dir, "workers.json"))
	if err != nil {
		t.Fatalf("the locustfile wrote no tally: %v\nmaster:\n%s", err, masterOut.String())
	}
	if err := json.Unmarshal(b, &byWorker); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for i, res := range results {
		got := byWorker[res.ID]
		if got == 0 || got != res.ReportedRequests {
			t.Errorf("worker %d (%s): the master counted %d requests, the worker reported %d", i, res.ID, got, res.ReportedRequests)
		}
		if len(res.Reports) != 1 || res.Reports[0].PeakConnected != 4 {
			t.Errorf("worker %d: want one run of the 4 players the master gave it, got %+v", i, res.Reports)
		}
		sum += got
	}
	if results[0].Index == results[1].Index {
		t.Errorf("both workers got index %d", results[0].Index)
	}

	total, relay := csvCounts(t, filepath.Join(dir, "run_stats.csv"))
	t.Logf("master: %v by worker, %d in its CSV (%d match.data)", byWorker, total, relay)
	if total != sum || relay == 0 {
		t.Errorf("master CSV: %d requests in all (%d match.data), want the workers' %d", total, relay, sum)
	}
}

// csvCounts reads Locust's stats CSV: the Aggregated request count and the
// match.data one.
func csvCounts(t *testing.T, path string) (total, relay int64) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("stats CSV: %v, %d rows", err, len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		n, err := strconv.ParseInt(r[col["Request Count"]], 10, 64)
		if err != nil {
			t.Fatalf("stats CSV row %v: %v", r, err)
		}
		switch r[col["Name"]] {
		case "Aggregated":
			total = n
		case load.OpMatchData:
			relay = n
		}
	}
	return total, relay
}
