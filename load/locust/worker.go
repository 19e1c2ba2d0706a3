// Package locust runs a load scenario as a worker of a Locust master
// (https://locust.io, tested with Locust 2.12), so one master spreads
// players over many machines, aggregates their statistics and shows them in
// its web UI.
//
// The worker speaks Locust's worker protocol: a ZeroMQ DEALER socket to
// the master's ROUTER (port 5557 by default), carrying msgpack arrays of
// (type, data, node id). It announces itself (client_ready), runs as many
// players as the master's spawn messages ask (the master paces the ramp),
// sends a heartbeat every second and its statistics every three, in the
// format of Locust's own workers, and stops or quits when told. The
// master's locustfile only has to define a user class; its tasks never run
// on Go workers.
//
// Every operation of the run is a Locust request: the name is the
// operation ("match.data", "rpc.socket", ...), the type "WS" for socket
// operations and "REST" for the others. Locust keeps response times in
// milliseconds, rounded as its own workers round them.
package locust

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/gonakama/nakama/load"
	"github.com/vmihailenco/msgpack/v5"
)

// Intervals of Locust's worker protocol (locust/runners.py).
const (
	heartbeatInterval = time.Second
	statsInterval     = 3 * time.Second
	connectTimeout    = 5 * time.Second
	connectRetries    = 60
)

// WorkerOptions are RunWorker's optional settings. The zero value is ready
// to use.
type WorkerOptions struct {
	// ID is the worker's node id. Default: the host name, "_", and 32 random
	// hex digits, as Locust's workers name themselves.
	ID string
	// Load configures each run; its Observe and OnProgress are called as
	// well as the worker's own.
	Load *load.Options
}

// Result is what a worker did.
type Result struct {
	// ID is the worker's node id and Index the number the master gave it.
	ID    string `json:"id"`
	Index int    `json:"index"`
	// Reports has one report per run: from a spawn until the master's stop
	// or quit.
	Reports []*load.Report `json:"reports"`
	// ReportedRequests counts the requests (successes and failures) the
	// worker sent to the master in its statistics.
	ReportedRequests int64 `json:"reported_requests"`
}

// RunWorker connects to the Locust master at master (tcp://host:port) and
// runs sc's workload against the Nakama server at serverURL for as long as
// the master says, with the player count it says. sc.Players and
// sc.SpawnRate are ignored (the master decides both); sc.Duration and
// sc.Messages still end a run early, and the worker then quits. Player i
// of worker k signs in as player i of seed sc.Seed+"-w"+k, so the workers
// of a master never share accounts. It returns when the master sends quit
// or ctx ends (the worker then tells the master it quits).
func RunWorker(ctx context.Context, master, serverURL, serverKey string, sc *load.Scenario, opts *WorkerOptions) (*Result, error) {
	if sc == nil {
		return nil, errors.New("locust: nil scenario")
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(master, "tcp://") {
		return nil, fmt.Errorf("locust: master address %q: want tcp://host:port", master)
	}
	w := &worker{master: master, url: serverURL, key: serverKey, sc: *sc, agg: newAggregate()}
	if opts != nil {
		w.opts = *opts
	}
	if w.opts.Load != nil {
		w.loadOpts = *w.opts.Load
	}
	if w.opts.ID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 16)
		rand.Read(b)
		w.opts.ID = host + "_" + hex.EncodeToString(b)
	}
	w.res.ID = w.opts.ID
	w.res.Index = -1
	// The connection outlives ctx by a little, so the worker can still say
	// it quits; it ends, with its reader, before RunWorker returns.
	var cancel context.CancelFunc
	w.sockCtx, cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if w.sock != nil {
			w.sock.Close()
		}
		cancel()
		w.readers.Wait()
	}()
	if err := w.dial(ctx); err != nil {
		return nil, err
	}
	err := w.loop(ctx)
	return &w.res, err
}

type worker struct {
	master, url, key string
	sc               load.Scenario
	opts             WorkerOptions
	loadOpts         load.Options
	agg              *aggregate
	res              Result

	sockCtx context.Context
	sock    zmq4.Socket
	in      chan message
	readers sync.WaitGroup
	// gen counts connections, so the reader of a replaced one is ignored.
	gen atomic.Int64

	run      *load.Runner
	state    string
	classes  map[string]int64
	lastSpwn float64
	progress atomic.Pointer[load.Progress]
}

// message is one message of the protocol.
type message struct {
	Type string
	Data any
	gen  int64
	err  error
}

// dial opens the DEALER socket and starts its reader. The dialling stops
// when ctx ends.
func (w *worker) dial(ctx context.Context) error {
	// A worker may start before its master: keep dialling for a minute.
	sock := zmq4.NewDealer(w.sockCtx, zmq4.WithID(zmq4.SocketIdentity(w.opts.ID)),
		zmq4.WithDialerRetry(500*time.Millisecond), zmq4.WithDialerMaxRetries(120))
	stop := context.AfterFunc(ctx, func() { sock.Close() })
	err := sock.Dial(w.master)
	stop()
	if ctx.Err() != nil {
		err = ctx.Err() // the dial failed because ctx ended
	}
	if err != nil {
		sock.Close()
		return fmt.Errorf("locust: dialling the master: %w", err)
	}
	w.sock = sock
	gen := w.gen.Add(1)
	if w.in == nil {
		w.in = make(chan message, 16)
	}
	in, done := w.in, w.sockCtx.Done()
	w.readers.Add(1)
	go func() {
		defer w.readers.Done()
		for {
			m, err := sock.Recv()
			if err != nil {
				select {
				case in <- message{gen: gen, err: err}:
				case <-done:
				}
				return
			}
			msg := message{gen: gen}
			if len(m.Frames) == 0 {
				continue
			}
			var v []any
			if err := msgpack.Unmarshal(m.Frames[len(m.Frames)-1], &v); err != nil || len(v) != 3 {
				continue // not Locust's; its own workers log and skip these too
			}
			msg.Type, _ = v[0].(string)
			msg.Data = v[1]
			select {
			case in <- msg:
			case <-done:
				return
			}
		}
	}()
	return nil
}

func (w *worker) send(typ string, data any) error {
	b, err := msgpack.Marshal([]any{typ, data, w.opts.ID})
	if err != nil {
		return fmt.Errorf("locust: encoding %s: %w", typ, err)
	}
	if err := w.sock.Send(zmq4.NewMsg(b)); err != nil {
		return fmt.Errorf("locust: sending %s: %w", typ, err)
	}
	return nil
}

// connect announces the worker until the master acknowledges it.
func (w *worker) connect(ctx context.Context) error {
	for try := 0; ; try++ {
		// -1 is the version the master accepts without comparing it.
		if err := w.send("client_ready", -1); err != nil {
			return err
		}
		t := time.NewTimer(connectTimeout)
		for {
			select {
			case m := <-w.in:
				if m.gen != w.gen.Load() {
					continue
				}
				if m.err != nil {
					t.Stop()
					return fmt.Errorf("locust: waiting for the master: %w", m.err)
				}
				if m.Type == "ack" {
					t.Stop()
					if d, ok := m.Data.(map[string]any); ok {
						if i, ok := toInt(d["index"]); ok {
							w.res.Index = int(i)
						}
					}
					return nil
				}
				continue
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			break
		}
		if try >= connectRetries {
			return fmt.Errorf("locust: no answer from the master at %s after %d tries", w.master, try+1)
		}
	}
}

func (w *worker) loop(ctx context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	w.state = "ready"
	hb := time.NewTicker(heartbeatInterval)
	defer hb.Stop()
	st := time.NewTicker(statsInterval)
	defer st.Stop()
	for {
		var runDone <-chan struct{}
		if w.run != nil {
			runDone = w.run.Done()
		}
		select {
		case <-ctx.Done():
			w.stopRun()
			w.sendStats()
			w.send("quit", nil)
			return nil
		case <-runDone:
			// The scenario's own bound ended the run: the worker leaves.
			w.stopRun()
			w.sendStats()
			return w.send("quit", nil)
		case <-hb.C:
			if err := w.heartbeat(); err != nil {
				return err
			}
		case <-st.C:
			if err := w.sendStats(); err != nil {
				return err
			}
		case m := <-w.in:
			if m.gen != w.gen.Load() {
				continue
			}
			if m.err != nil {
				w.stopRun()
				return fmt.Errorf("locust: connection to the master: %w", m.err)
			}
			quit, err := w.handle(ctx, m)
			if err != nil || quit {
				return err
			}
		}
	}
}

// handle acts on one message from the master; quit says the worker is done.
func (w *worker) handle(ctx context.Context, m message) (quit bool, err error) {
	switch m.Type {
	case "spawn":
		return false, w.spawn(ctx, m.Data)
	case "stop":
		w.stopRun()
		if err := w.sendStats(); err != nil {
			return false, err
		}
		if err := w.send("client_stopped", nil); err != nil {
			return false, err
		}
		w.state = "ready"
		return false, w.send("client_ready", -1)
	case "quit":
		// The master waits half a second for the last statistics, so they go
		// before the players stop; what they do while stopping goes
		// unreported.
		err := w.sendStats()
		w.stopRun()
		return true, err
	case "reconnect":
		w.sock.Close()
		w.sock = nil
		if err := w.dial(ctx); err != nil {
			return false, err
		}
		return false, w.connect(ctx)
	}
	return false, nil // ack repeats, heartbeats of newer masters, custom messages
}

func (w *worker) spawn(ctx context.Context, data any) error {
	if err := w.send("spawning", nil); err != nil {
		return err
	}
	job, _ := data.(map[string]any)
	ts, _ := toFloat(job["timestamp"])
	if ts <= w.lastSpwn {
		return nil // an older spawn, delivered late
	}
	w.lastSpwn = ts
	classes := map[string]int64{}
	var total int64
	if c, ok := job["user_classes_count"].(map[string]any); ok {
		for name, v := range c {
			n, _ := toInt(v)
			classes[name] = n
			total += n
		}
	}
	w.classes = classes
	if w.run == nil {
		w.agg.reset()
		sc := w.sc
		sc.Players = 0
		sc.SpawnRate = -1 // the master paces the ramp
		sc.Seed = fmt.Sprintf("%s-w%d", orDefault(sc.Seed, "default"), max(w.res.Index, 0))
		opts := w.loadOpts
		observe, onProgress := opts.Observe, opts.OnProgress
		opts.Observe = func(s load.Sample) {
			w.agg.add(s)
			if observe != nil {
				observe(s)
			}
		}
		opts.OnProgress = func(p load.Progress) {
			w.progress.Store(&p)
			if onProgress != nil {
				onProgress(p)
			}
		}
		r, err := load.Start(ctx, w.url, w.key, &sc, &opts)
		if err != nil {
			return err
		}
		w.run = r
	}
	w.run.SetPlayers(int(total))
	w.state = "running"
	return w.send("spawning_complete", map[string]any{"user_classes_count": classes, "user_count": total})
}

// stopRun ends the current run, if any, and keeps its report.
func (w *worker) stopRun() {
	if w.run == nil {
		return
	}
	w.run.Stop()
	w.res.Reports = append(w.res.Reports, w.run.Wait())
	w.run = nil
	w.classes = nil
}

func (w *worker) heartbeat() error {
	var cpu float64
	var rss uint64
	if p := w.progress.Load(); p != nil && w.run != nil {
		cpu, rss = p.CPUPercent, p.RSS
	}
	return w.send("heartbeat", map[string]any{
		"state": w.state, "current_cpu_usage": cpu, "current_memory_usage": rss,
	})
}

func (w *worker) sendStats() error {
	stats, total, errs, n := w.agg.take()
	classes := w.classes
	if classes == nil {
		classes = map[string]int64{}
	}
	var users int64
	for _, c := range classes {
		users += c
	}
	if err := w.send("stats", map[string]any{
		"stats": stats, "stats_total": total, "errors": errs,
		"user_classes_count": classes, "user_count": users,
	}); err != nil {
		return err
	}
	w.res.ReportedRequests += n
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if i, ok := toInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

// aggregate gathers samples between two statistics reports, as a Locust
// worker's RequestStats does; take empties it.
type aggregate struct {
	mu      sync.Mutex
	entries map[string]*entry
	total   *entry
	errors  map[string]map[string]any
}

func newAggregate() *aggregate {
	a := &aggregate{}
	a.reset()
	return a
}

func (a *aggregate) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.resetLocked()
}

func (a *aggregate) resetLocked() {
	a.entries = make(map[string]*entry)
	a.total = newEntry("Aggregated", "")
	a.errors = make(map[string]map[string]any)
}

// entry is one Locust StatsEntry, in its serialised form's fields.
type entry struct {
	name, method      string
	start, last       float64
	requests, fails   int64
	totalMS, min, max float64
	times             map[int64]int64
	perSec, failSec   map[int64]int64
}

func newEntry(name, method string) *entry {
	return &entry{name: name, method: method, start: now(), min: -1,
		times: map[int64]int64{}, perSec: map[int64]int64{}, failSec: map[int64]int64{}}
}

func now() float64 { return float64(time.Now().UnixNano()) / 1e9 }

// method is a sample's Locust request type.
func method(op string) string {
	switch {
	case op == load.OpAuth, op == load.OpRPCREST, strings.HasPrefix(op, "leaderboard."):
		return "REST"
	}
	return "WS"
}

func (a *aggregate) add(s load.Sample) {
	t := now()
	ms := float64(s.Latency) / float64(time.Millisecond)
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.entries[s.Op]
	if e == nil {
		e = newEntry(s.Op, method(s.Op))
		a.entries[s.Op] = e
	}
	for _, e := range []*entry{e, a.total} {
		e.log(t, ms, s.Err != nil)
	}
	if s.Err != nil {
		msg := s.Code.String() + ": " + s.Err.Error()
		key := s.Op + "." + msg
		if er := a.errors[key]; er != nil {
			er["occurrences"] = er["occurrences"].(int64) + 1
		} else {
			a.errors[key] = map[string]any{"method": method(s.Op), "name": s.Op, "error": msg, "occurrences": int64(1)}
		}
	}
}

// log records one request as Locust's StatsEntry.log (and log_error) do; a
// failure counts as a request too.
func (e *entry) log(t, ms float64, failed bool) {
	sec := int64(t)
	e.requests++
	e.perSec[sec]++
	e.last = t
	if failed {
		e.fails++
		e.failSec[sec]++
	}
	e.totalMS += ms
	if e.min < 0 || ms < e.min {
		e.min = ms
	}
	e.max = max(e.max, ms)
	e.times[roundMS(ms)]++
}

// roundMS rounds a response time as Locust does before counting it: to the
// millisecond under 100 ms, then to two significant digits up to 10 s, and
// to the second beyond.
func roundMS(ms float64) int64 {
	r := func(unit float64) int64 { return int64(unit * float64(int64(ms/unit+0.5))) }
	switch {
	case ms < 100:
		return r(1)
	case ms < 1000:
		return r(10)
	case ms < 10000:
		return r(100)
	}
	return r(1000)
}

func (e *entry) serialize() map[string]any {
	var last, min any
	if e.requests > 0 {
		last, min = e.last, e.min
	}
	var method any = e.method
	if e.method == "" {
		method = nil
	}
	return map[string]any{
		"name": e.name, "method": method,
		"last_request_timestamp": last, "start_time": e.start,
		"num_requests": e.requests, "num_none_requests": int64(0), "num_failures": e.fails,
		"total_response_time": e.totalMS, "max_response_time": e.max, "min_response_time": min,
		"total_content_length": int64(0),
		"response_times":       e.times, "num_reqs_per_sec": e.perSec, "num_fail_per_sec": e.failSec,
	}
}

// take returns the entries, the total and the errors gathered since the
// last take, and the requests they count, and starts afresh.
func (a *aggregate) take() (entries []map[string]any, total map[string]any, errs map[string]any, n int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	entries = []map[string]any{}
	for _, e := range a.entries {
		entries = append(entries, e.serialize())
	}
	total, n = a.total.serialize(), a.total.requests
	errs = make(map[string]any, len(a.errors))
	for k, v := range a.errors {
		errs[k] = v
	}
	a.resetLocked()
	return entries, total, errs, n
}
