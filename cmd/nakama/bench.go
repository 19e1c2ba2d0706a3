package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/gonakama/nakama"
)

// bench dispatches to a benchmark; relay is the only one.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "relay" {
		fmt.Fprintln(stderr, "usage: nakama bench relay [flags]; run \"nakama bench relay -h\" for the flags")
		return errors.New("bench: name a benchmark (relay)")
	}
	return benchRelay(ctx, args[1:], stdout, stderr)
}

// relayConfig is what the relay flags say.
type relayConfig struct {
	url, serverKey string
	json           bool
	messages       int
	window         int
	rounds         int
	idle           int
	frame          time.Duration
}

// benchRelay relays match data between two players through a server,
// alternating our client (Tick, then AutoDispatch) with a naive one built
// into this binary, and prints the client's costs per message.
func benchRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg relayConfig
	fs.StringVar(&cfg.url, "url", "", "server to relay through (default: nakamatest, started as a child process)")
	fs.StringVar(&cfg.serverKey, "server-key", nakama.DefaultServerKey, "server key")
	format := fs.String("format", "protobuf", "socket format: protobuf or json")
	fs.IntVar(&cfg.messages, "messages", 20000, "messages relayed per contender and round")
	fs.IntVar(&cfg.window, "window", 50, "messages in flight (sent, not yet received)")
	fs.IntVar(&cfg.rounds, "rounds", 5, "measured rounds (after one warm-up round)")
	fs.IntVar(&cfg.idle, "idle", 1000, "idle sockets connected per contender to measure memory (0: skip)")
	fs.DurationVar(&cfg.frame, "frame", time.Millisecond, "Tick mode: the game loop's sleep when a Tick ran nothing")
	only := fs.String("contenders", "tick,auto,naive", "which contenders run, comma-separated (the naive client always does: ratios need it)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *format {
	case "protobuf":
	case "json":
		cfg.json = true
	default:
		return fmt.Errorf("bench relay: -format must be protobuf or json, not %q", *format)
	}
	if cfg.messages <= 0 || cfg.window <= 0 || cfg.rounds <= 0 || cfg.idle < 0 || cfg.frame < 0 {
		return errors.New("bench relay: -messages, -window and -rounds must be positive, -idle and -frame not negative")
	}

	var contenders []relayContender
	for _, name := range strings.Split(*only, ",") {
		switch strings.TrimSpace(name) {
		case "tick":
			contenders = append(contenders, &oursContender{cfg: &cfg, auto: false})
		case "auto":
			contenders = append(contenders, &oursContender{cfg: &cfg, auto: true})
		case "naive":
		default:
			return fmt.Errorf("bench relay: unknown contender %q in -contenders (tick, auto, naive)", strings.TrimSpace(name))
		}
	}
	contenders = append(contenders, &naiveContender{cfg: &cfg})

	where := cfg.url
	if cfg.url == "" {
		url, stop, err := startChildServer(ctx, cfg.serverKey)
		if err != nil {
			return err
		}
		defer stop()
		cfg.url = url
		where = "nakamatest in a child process, " + url
	}
	client, err := nakama.NewClient(cfg.url, cfg.serverKey, nil)
	if err != nil {
		return err
	}
	if err := client.Healthcheck(ctx); err != nil {
		return fmt.Errorf("bench relay: server not reachable: %w", err)
	}

	fmt.Fprintf(stdout, "relay: %s, %d-byte match data, %d messages per round, window %d, %d rounds + 1 warm-up\n",
		*format, relayDataSize, cfg.messages, cfg.window, cfg.rounds)
	fmt.Fprintf(stdout, "server: %s\nclient: %s %s/%s, GOMAXPROCS %d, %d CPUs\n\n",
		where, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())

	for _, c := range contenders {
		sessions, err := relaySessions(ctx, client, 2)
		if err != nil {
			return err
		}
		defer c.close() // also what open connected before it failed
		// Goroutines inherit the label, so -cpuprofile can be split by
		// contender: go tool pprof -tagfocus contender=naive ...
		err = nil
		pprof.Do(ctx, contenderLabel(c), func(ctx context.Context) { err = c.open(ctx, sessions[0], sessions[1]) })
		if err != nil {
			return fmt.Errorf("bench relay: %s: %w", c.name(), err)
		}
	}

	results := make([][]relaySample, len(contenders))
	for round := 0; round <= cfg.rounds; round++ {
		if round == 1 && *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		for i := range contenders {
			// Rotate the order so no contender always runs first.
			k := (i + round) % len(contenders)
			var s relaySample
			pprof.Do(ctx, contenderLabel(contenders[k]), func(ctx context.Context) {
				s, err = measureRelay(ctx, contenders[k], cfg.messages, cfg.window)
			})
			if err != nil {
				return fmt.Errorf("bench relay: %s: %w", contenders[k].name(), err)
			}
			if round > 0 {
				results[k] = append(results[k], s)
			}
		}
	}
	printRelay(stdout, contenders, results)

	if cfg.idle > 0 {
		fmt.Fprintf(stdout, "\nidle: %d connected sockets per contender, heap and stacks after GC (the RSS delta is the OS's view,\n"+
			"blurred by freed memory the runtime reuses)\n", cfg.idle)
		fmt.Fprintf(stdout, "  %-22s %12s %12s %12s %14s\n", "", "KiB/socket", "heap KiB", "stack KiB", "goroutines")
		type idler struct {
			name string
			idle func(ctx context.Context, sess *nakama.Session, n int) (func(), error)
		}
		var idlers []idler
		for _, c := range contenders {
			idlers = append(idlers, idler{c.name(), c.idle})
		}
		// The adapter's share of our socket, apart from the WebSocket layer.
		idlers = append(idlers, idler{"gonakama adapter only", func(ctx context.Context, sess *nakama.Session, n int) (func(), error) {
			return idleAdapters(ctx, cfg.url, sess, n)
		}})
		for _, c := range idlers {
			sessions, err := relaySessions(ctx, client, 1)
			if err != nil {
				return err
			}
			m, err := measureIdle(ctx, c.idle, sessions[0], cfg.idle)
			if err != nil {
				return fmt.Errorf("bench relay: idle %s: %w", c.name, err)
			}
			fmt.Fprintf(stdout, "  %-22s %12.1f %12.1f %12.1f %14.2f   (RSS %.1f KiB/socket)\n", c.name,
				m.heap+m.stack, m.heap, m.stack, m.goroutines, m.rss)
		}
	}
	return nil
}

// contenderLabel names c's goroutines in CPU profiles: tick, auto or naive.
func contenderLabel(c relayContender) pprof.LabelSet {
	name := "naive"
	if o, ok := c.(*oursContender); ok {
		name = "tick"
		if o.auto {
			name = "auto"
		}
	}
	return pprof.Labels("contender", name)
}

// relayContender is one client under test: two players in one match.
type relayContender interface {
	name() string
	// open connects the players and puts them in one relayed match.
	open(ctx context.Context, a, b *nakama.Session) error
	// relay has the first player send n messages, at most window of them
	// not yet received, and returns once the second received them all.
	relay(ctx context.Context, n, window int) error
	// idle connects n sockets as sess and returns what closes them.
	idle(ctx context.Context, sess *nakama.Session, n int) (func(), error)
	close()
}

const relayDataSize = 64

// relaySessions authenticates n new devices.
func relaySessions(ctx context.Context, c nakama.Client, n int) ([]*nakama.Session, error) {
	out := make([]*nakama.Session, n)
	for i := range out {
		var id [16]byte
		_, _ = rand.Read(id[:])
		s, err := c.AuthenticateDevice(ctx, "bench-"+hex.EncodeToString(id[:]), nil)
		if err != nil {
			return nil, fmt.Errorf("bench relay: authenticate: %w", err)
		}
		out[i] = s
	}
	return out, nil
}

// relaySample is one contender's round, per message.
type relaySample struct {
	cpu, rate, reads, writes, allocs, nvcsw float64
	hasCPU, hasSyscalls                     bool
}

// measureRelay runs one round of c and measures it. Everything in this
// process counts: both players, their goroutines and the runtime.
func measureRelay(ctx context.Context, c relayContender, n, window int) (relaySample, error) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	cpu0, cs0, okCPU := procUsage()
	r0, w0, okS := procSyscalls()
	t0 := time.Now()
	if err := c.relay(ctx, n, window); err != nil {
		return relaySample{}, err
	}
	wall := time.Since(t0)
	cpu1, cs1, _ := procUsage()
	r1, w1, _ := procSyscalls()
	runtime.ReadMemStats(&m1)
	f := float64(n)
	return relaySample{
		cpu:    float64(cpu1-cpu0) / float64(time.Microsecond) / f,
		rate:   f / wall.Seconds(),
		reads:  float64(r1-r0) / f,
		writes: float64(w1-w0) / f,
		allocs: float64(m1.Mallocs-m0.Mallocs) / f,
		nvcsw:  float64(cs1-cs0) / f,
		hasCPU: okCPU, hasSyscalls: okS,
	}, nil
}

// printRelay prints each contender's medians and, for each figure, the
// median of its per-round ratios to the naive client's (the last
// contender), so that both ran under the same load.
func printRelay(w io.Writer, contenders []relayContender, results [][]relaySample) {
	base := results[len(results)-1]
	fmt.Fprintf(w, "per message, median of the rounds (x: median of the per-round ratios to %s)\n", contenders[len(contenders)-1].name())
	fmt.Fprintf(w, "  %-22s %16s %16s %16s %16s %12s %10s\n", "", "CPU µs", "write syscalls", "read syscalls", "allocs", "ctx switches", "msg/s")
	for i, c := range contenders {
		rs := results[i]
		col := func(get func(relaySample) float64, ok bool, prec int) string {
			if !ok {
				return "n/a"
			}
			med := median(rs, get)
			if i == len(contenders)-1 {
				return fmt.Sprintf("%.*f", prec, med)
			}
			ratios := make([]float64, len(rs))
			for k := range rs {
				if b := get(base[k]); b != 0 {
					ratios[k] = get(rs[k]) / b
				}
			}
			slices.Sort(ratios)
			return fmt.Sprintf("%.*f (%.2fx)", prec, med, ratios[len(ratios)/2])
		}
		fmt.Fprintf(w, "  %-22s %16s %16s %16s %16s %12s %10s\n", c.name(),
			col(func(s relaySample) float64 { return s.cpu }, rs[0].hasCPU, 1),
			col(func(s relaySample) float64 { return s.writes }, rs[0].hasSyscalls, 2),
			col(func(s relaySample) float64 { return s.reads }, rs[0].hasSyscalls, 2),
			col(func(s relaySample) float64 { return s.allocs }, true, 1),
			fmt.Sprintf("%.2f", median(rs, func(s relaySample) float64 { return s.nvcsw })),
			fmt.Sprintf("%.0f", median(rs, func(s relaySample) float64 { return s.rate })))
	}
	// The spread of the CPU ratio says how far one median can be trusted
	// on a machine shared with other work.
	for i, c := range contenders[:len(contenders)-1] {
		if !results[i][0].hasCPU {
			break
		}
		ratios := make([]float64, len(base))
		for k := range base {
			ratios[k] = results[i][k].cpu / base[k].cpu
		}
		slices.Sort(ratios)
		fmt.Fprintf(w, "  %-22s CPU ratio min %.2fx, median %.2fx, max %.2fx over %d rounds\n", c.name(),
			ratios[0], ratios[len(ratios)/2], ratios[len(ratios)-1], len(ratios))
	}
}

func median(rs []relaySample, get func(relaySample) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = get(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// idleCost is the cost of one idle connected socket, in KiB and goroutines.
type idleCost struct{ heap, stack, rss, goroutines float64 }

type memPoint struct {
	heap, stack, rss int64
	goroutines       int
}

func memNow() memPoint {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	rss, _ := procRSS()
	return memPoint{heap: int64(m.HeapAlloc), stack: int64(m.StackInuse), rss: rss, goroutines: runtime.NumGoroutine()}
}

// settled waits until the goroutine count stops changing (the HTTP
// transport's goroutines end a little after each handshake), for a second
// at most.
func settled() memPoint {
	p := memNow()
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		q := memNow()
		if q.goroutines == p.goroutines {
			return q
		}
		p = q
	}
	return p
}

func measureIdle(ctx context.Context, idle func(context.Context, *nakama.Session, int) (func(), error),
	sess *nakama.Session, n int) (idleCost, error) {
	before := settled()
	closeAll, err := idle(ctx, sess, n)
	if err != nil {
		return idleCost{}, err
	}
	after := settled()
	closeAll()
	f, kib := float64(n), 1024.0
	return idleCost{
		heap:       float64(after.heap-before.heap) / kib / f,
		stack:      float64(after.stack-before.stack) / kib / f,
		rss:        float64(after.rss-before.rss) / kib / f,
		goroutines: float64(after.goroutines-before.goroutines) / f,
	}, nil
}

// startChildServer runs this binary's serve command on a free port in a
// child process, so its CPU is not the client's, and returns its URL and
// what stops it.
func startChildServer(ctx context.Context, serverKey string) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("bench relay: cannot start nakamatest: %w", err)
	}
	cmd := exec.Command(exe, "serve", "-addr", "127.0.0.1:0", "-server-key", serverKey)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("bench relay: cannot start nakamatest: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), " listening on "); ok {
				// "URL and gRPC on ADDR": the URL is the first word.
				url, _, _ := strings.Cut(rest, " ")
				urls <- url
				break
			}
		}
		close(urls)
		_, _ = io.Copy(io.Discard, out) // until the child exits
	}()
	select {
	case url, ok := <-urls:
		if ok {
			return url, stop, nil
		}
		err = errors.New("bench relay: nakamatest did not say where it listens")
	case <-time.After(30 * time.Second):
		err = errors.New("bench relay: nakamatest did not start within 30 s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	stop()
	return "", nil, err
}
