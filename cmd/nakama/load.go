package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/load"
	"github.com/gonakama/nakama/load/locust"
	"github.com/gonakama/nakama/nakamatest"
)

const loadUsage = `usage: nakama load [flags]

Simulates players against a Nakama server: each signs in with a device id
derived from -seed, connects a socket and runs the scenario, until -duration
or -messages ends the run. Without -url it starts its own nakamatest in a
child process (so the server's CPU is not counted as the client's), with an
RPC "load_echo", a leaderboard "load_scores" and a matchmaker that runs every
second.

Scenarios (-scenario, a comma-separated mix with optional weights, e.g.
"relay:3,chat:1"): relay, chat, rpc, leaderboard, matchmaking.

With -locust-master tcp://host:5557 it runs as a worker of a Locust master,
which decides how many players run and for how long.

flags:
`

// serveChildEnv, when set in the environment, makes the process run the
// load tool's own server instead of its command line. It is checked in
// init so that it works in any binary that links this package, the test
// binary included: that is how load starts its server in another process.
const serveChildEnv = "GONAKAMA_LOAD_SERVE"

func init() {
	if addr := os.Getenv(serveChildEnv); addr != "" {
		if err := serveChild(addr, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "nakama load server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// Fixtures of the load tool's own server.
const (
	loadRPC         = "load_echo"
	loadLeaderboard = "load_scores"
)

// serveChild runs nakamatest with the load fixtures on addr, says where on
// out, and stops when in reaches its end (the parent closed the pipe or
// died).
func serveChild(addr string, in io.Reader, out io.Writer) error {
	srv, err := nakamatest.Run(&nakamatest.Options{Addr: addr})
	if err != nil {
		return err
	}
	defer srv.Close()
	// A real server matches every 15 s; a second keeps short runs useful.
	srv.SetMatchmakerInterval(time.Second)
	srv.RegisterRPC(loadRPC, func(_ context.Context, in nakamatest.RPCRequest) (string, error) { return in.Payload, nil })
	if err := srv.CreateLeaderboard(nakamatest.Leaderboard{ID: loadLeaderboard}); err != nil {
		return err
	}
	fmt.Fprintln(out, "listening", srv.URL())
	_, err = io.Copy(io.Discard, in)
	return err
}

// startServer starts the load server in a child process and returns its
// URL and a function that stops it and says what CPU it used. The child's
// stderr goes to stderr, which must then be safe for concurrent use unless
// it is an *os.File.
func startServer(ctx context.Context, stderr io.Writer) (string, func() *os.ProcessState, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveChildEnv+"=127.0.0.1:0")
	cmd.Stderr = stderr
	if _, ok := stderr.(*os.File); !ok {
		// Hide a ReadFrom (bytes.Buffer's would hold the buffer while the
		// child runs, and drop what others wrote meanwhile).
		cmd.Stderr = struct{ io.Writer }{stderr}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting the server: %w", err)
	}
	stop := func() *os.ProcessState {
		stdin.Close()
		cmd.Wait()
		return cmd.ProcessState
	}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		if url, ok := strings.CutPrefix(l, "listening "); ok {
			return url, stop, nil
		}
		stop()
		return "", nil, fmt.Errorf("the server did not start (it said %q)", l)
	case <-ctx.Done():
		stop()
		return "", nil, ctx.Err()
	}
}

// thinkFlag parses "1s" or "500ms-2s".
type thinkFlag struct{ t *load.ThinkTime }

func (f thinkFlag) String() string {
	if f.t == nil {
		return ""
	}
	return fmt.Sprintf("%v-%v", f.t.Min, f.t.Max)
}

func (f thinkFlag) Set(s string) error {
	lo, hi, ranged := strings.Cut(s, "-")
	a, err := time.ParseDuration(lo)
	if err != nil {
		return err
	}
	b := a
	if ranged {
		if b, err = time.ParseDuration(hi); err != nil {
			return err
		}
	}
	if a < 0 || b < a {
		return fmt.Errorf("think time %q: want min-max with 0 <= min <= max", s)
	}
	*f.t = load.ThinkTime{Min: a, Max: b}
	return nil
}

// loadFlags are the command's settings.
type loadFlags struct {
	url, serverKey, format, scenario, locustMaster string
	json                                           bool
	progress                                       time.Duration
	sc                                             load.Scenario
	relay                                          load.Relay
	chat                                           load.Chat
	rpc                                            load.RPC
	board                                          load.Leaderboard
	mm                                             load.Matchmaking
	think                                          load.ThinkTime
}

func parseLoadFlags(args []string, stderr io.Writer) (*loadFlags, error) {
	f := &loadFlags{}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadUsage); fs.PrintDefaults() }
	fs.StringVar(&f.url, "url", "", "server address; empty starts nakamatest in a child process")
	fs.StringVar(&f.serverKey, "server-key", "defaultkey", "server key")
	fs.StringVar(&f.format, "format", "protobuf", "socket format: protobuf or json")
	fs.StringVar(&f.scenario, "scenario", "relay", "workloads, with optional weights: relay, chat, rpc, leaderboard, matchmaking, e.g. relay:3,rpc:1")
	fs.StringVar(&f.locustMaster, "locust-master", "", "run as a worker of the Locust master at this address (tcp://host:5557)")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON (progress then goes to stderr)")
	fs.DurationVar(&f.progress, "progress", time.Second, "interval of the progress line")
	fs.IntVar(&f.sc.Players, "players", 100, "players at once")
	fs.Float64Var(&f.sc.SpawnRate, "spawn-rate", load.DefaultSpawnRate, "players started per second; negative: all at once")
	fs.DurationVar(&f.sc.Duration, "duration", 0, "run length, ramp-up included (default 30s unless -messages is given; with -locust-master, a cap)")
	fs.Int64Var(&f.sc.Messages, "messages", 0, "end after this many messages sent")
	fs.StringVar(&f.sc.Seed, "seed", "default", "names the accounts (device ids) and shared matches and rooms; reruns reuse them")
	fs.IntVar(&f.relay.Size, "match-size", 4, "relay: players per match")
	fs.Float64Var(&f.relay.Rate, "rate", 10, "relay: messages per second per player")
	fs.IntVar(&f.relay.PayloadSize, "payload", 64, "relay: bytes per message (at least 8)")
	fs.IntVar(&f.chat.RoomSize, "room-size", 10, "chat: players per room")
	fs.StringVar(&f.rpc.ID, "rpc-id", loadRPC, "rpc: the server function")
	fs.StringVar(&f.rpc.Payload, "rpc-payload", "{}", "rpc: its input")
	fs.Float64Var(&f.rpc.REST, "rest", 0.5, "rpc: fraction of calls over REST, the rest over the socket")
	fs.StringVar(&f.board.ID, "leaderboard", loadLeaderboard, "leaderboard: its id")
	fs.Float64Var(&f.board.Reads, "reads", 0.5, "leaderboard: fraction of reads")
	fs.IntVar(&f.mm.Size, "mm-size", 2, "matchmaking: players per match")
	fs.DurationVar(&f.mm.Interval, "mm-interval", 5*time.Second, "matchmaking: time between waves (a real server matches every 15s)")
	fs.Var(thinkFlag{&f.think}, "think", "chat, rpc, leaderboard: pause between actions, as 1s or 500ms-2s (default 1s-2s)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
	}
	f.chat.Think, f.rpc.Think, f.board.Think = f.think, f.think, f.think
	if f.sc.Duration == 0 && f.sc.Messages == 0 {
		f.sc.Duration = 30 * time.Second
		if f.locustMaster != "" {
			f.sc.Duration = time.Hour
		}
	}
	switch f.format {
	case "protobuf", "json":
	default:
		return nil, fmt.Errorf("load: unknown format %q: want protobuf or json", f.format)
	}
	w, err := f.workload()
	if err != nil {
		return nil, err
	}
	f.sc.Workload = w
	return f, nil
}

// workload builds the -scenario mix.
func (f *loadFlags) workload() (load.Workload, error) {
	var mix load.Mix
	for _, item := range strings.Split(f.scenario, ",") {
		name, weight, weighted := strings.Cut(strings.TrimSpace(item), ":")
		part := load.Part{Weight: 1}
		if weighted {
			n, err := strconv.Atoi(weight)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("load: weight %q of %s: want a whole number from 1", weight, name)
			}
			part.Weight = n
		}
		switch name {
		case "relay":
			part.Workload = &f.relay
		case "chat":
			part.Workload = &f.chat
		case "rpc":
			part.Workload = &f.rpc
		case "leaderboard":
			part.Workload = &f.board
		case "matchmaking":
			part.Workload = &f.mm
		default:
			return nil, fmt.Errorf("load: unknown scenario %q: want relay, chat, rpc, leaderboard or matchmaking", name)
		}
		mix = append(mix, part)
	}
	if len(mix) == 1 {
		return mix[0].Workload, nil
	}
	return mix, nil
}

func (f *loadFlags) socketOptions() *nakama.SocketOptions {
	if f.format == "json" {
		return &nakama.SocketOptions{Format: nakama.SocketJSON}
	}
	return nil
}

// loadCmd is the load command.
func loadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseLoadFlags(args, stderr)
	if err != nil {
		return err
	}
	url := f.url
	if url == "" {
		var stop func() *os.ProcessState
		if url, stop, err = startServer(ctx, stderr); err != nil {
			return err
		}
		defer func() {
			if ps := stop(); ps != nil {
				fmt.Fprintf(stderr, "the nakamatest process used %v user + %v system CPU\n",
					ps.UserTime().Round(time.Millisecond), ps.SystemTime().Round(time.Millisecond))
			}
		}()
		fmt.Fprintf(stderr, "started nakamatest in process of its own at %s\n", url)
	}
	progressOut := stdout
	if f.json {
		progressOut = stderr
	}
	opts := &load.Options{
		Socket:           f.socketOptions(),
		ProgressInterval: f.progress,
		OnProgress:       progressPrinter(progressOut),
	}
	var rep *load.Report
	if f.locustMaster != "" {
		res, err := locust.RunWorker(ctx, f.locustMaster, url, f.serverKey, &f.sc, &locust.WorkerOptions{Load: opts})
		if err != nil {
			return err
		}
		if f.json {
			return writeJSON(stdout, res)
		}
		fmt.Fprintf(stdout, "locust worker %s: %d runs, %d requests reported to the master\n", res.ID, len(res.Reports), res.ReportedRequests)
		for _, r := range res.Reports {
			if err := r.WriteText(stdout); err != nil {
				return err
			}
		}
		return nil
	}
	if rep, err = load.Run(ctx, url, f.serverKey, &f.sc, opts); err != nil {
		return err
	}
	if f.json {
		return writeJSON(stdout, rep)
	}
	return rep.WriteText(stdout)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// progressPrinter returns an OnProgress that rewrites one line in place on
// a terminal and prints one line per call elsewhere.
func progressPrinter(w io.Writer) func(load.Progress) {
	tty := isTerminal(w)
	return func(p load.Progress) {
		line := fmt.Sprintf("%6.1fs players %d/%d  sent %.0f/s  recv %.0f/s  errors %d  p50 %s  p99 %s  rss %.0f MiB",
			p.Elapsed.Seconds(), p.Connected, p.Players, p.SentPerSec, p.ReceivedPerSec, p.Errors,
			p.P50, p.P99, float64(p.RSS)/(1<<20))
		switch {
		case !tty:
			fmt.Fprintln(w, line)
		case p.Done:
			fmt.Fprintf(w, "\r%s\x1b[K\n", line)
		default:
			fmt.Fprintf(w, "\r%s\x1b[K", line)
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
