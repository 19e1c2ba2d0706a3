package load

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonakama/nakama"
)

// Options are a run's optional settings. The zero value is ready to use.
type Options struct {
	// Client configures the REST client the players share. Default: retries
	// off (a load test wants to see failures, not hide them) and an HTTP
	// transport that keeps up to 1024 idle connections to the server, so
	// thousands of players do not open, close and strand ports in
	// TIME_WAIT for every request.
	Client *nakama.ClientOptions
	// Socket configures every player's socket; it is copied and
	// AutoDispatch is always on. Default: protobuf, default limits.
	Socket *nakama.SocketOptions
	// Observe, when set, receives every sample as it is recorded, from many
	// goroutines at once; it must be quick and safe for concurrent use.
	Observe func(Sample)
	// OnProgress, when set, is called every ProgressInterval while the run
	// lasts, and once at its end, on one goroutine of the runner.
	OnProgress func(Progress)
	// ProgressInterval is how often OnProgress runs. Default one second.
	ProgressInterval time.Duration
}

// Progress is a run's state as OnProgress sees it.
type Progress struct {
	Elapsed time.Duration
	// Players is the count asked for; Connected the players whose socket
	// is up now.
	Players, Connected int
	// Sent, Received and Errors count since the start; the rates are over
	// the last interval.
	Sent, Received, Errors     int64
	SentPerSec, ReceivedPerSec float64
	// P50 and P99 are the latencies so far of every operation but auth and
	// connect.
	P50, P99 time.Duration
	// RSS is the process's resident memory, 0 where unknown; CPUPercent
	// the process's CPU use over the last interval (100 is one core).
	RSS        uint64
	CPUPercent float64
	// Done is true for the call made as the run ends.
	Done bool

	cpu time.Duration // CPU used since the start
}

// Runner is a run in progress, made by Start. Its methods are safe for
// concurrent use. Every goroutine it starts has exited when Wait returns.
type Runner struct {
	url    string
	client *nakama.DefaultClient
	sc     Scenario
	opts   Options
	sock   nakama.SocketOptions
	stats  *stats

	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time
	cpu0   cpuTimes
	rss0   uint64
	fdMax  uint64

	mu     sync.Mutex
	target int
	slots  []context.CancelFunc
	wake   chan struct{}
	wg     sync.WaitGroup

	connected atomic.Int64
	// playing counts players inside Play; once the message budget is
	// spent (exhausted), the run ends when it falls to zero, so requests
	// in flight are answered and counted, or after budgetGrace.
	playing   atomic.Int64
	exhausted atomic.Bool
	graceMu   sync.Mutex
	grace     *time.Timer
	// peak is the most players connected at once; rssAtPeak the RSS
	// sampled when that many were last seen.
	peak      atomic.Int64
	rssMu     sync.Mutex
	rssAtPeak uint64
	rssPeakN  int64

	done   chan struct{}
	report *Report
}

// Run runs sc against the server at serverURL with serverKey until a bound
// of the scenario (Duration or Messages, one is required) or ctx ends it,
// and returns its report. Ending by ctx is not an error: the report covers
// the run so far. opts may be nil.
func Run(ctx context.Context, serverURL, serverKey string, sc *Scenario, opts *Options) (*Report, error) {
	r, err := start(ctx, serverURL, serverKey, sc, opts, true)
	if err != nil {
		return nil, err
	}
	return r.Wait(), nil
}

// Start begins running sc and returns at once. Unlike Run it accepts a
// scenario with no bound: the run then lasts until Stop or ctx ends it.
// The player count starts at sc.Players and follows SetPlayers. opts may
// be nil.
func Start(ctx context.Context, serverURL, serverKey string, sc *Scenario, opts *Options) (*Runner, error) {
	return start(ctx, serverURL, serverKey, sc, opts, false)
}

func start(ctx context.Context, serverURL, serverKey string, sc *Scenario, opts *Options, bounded bool) (*Runner, error) {
	if sc == nil {
		return nil, errors.New("load: nil scenario")
	}
	if err := sc.validate(bounded); err != nil {
		return nil, err
	}
	r := &Runner{url: serverURL, sc: sc.withDefaults(), stats: newStats(),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.ProgressInterval <= 0 {
		r.opts.ProgressInterval = time.Second
	}
	var co nakama.ClientOptions
	if r.opts.Client != nil {
		co = *r.opts.Client
	} else {
		co.DisableRetry = true
	}
	if co.REST.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 1024
		co.REST.HTTPClient = &http.Client{Transport: tr}
	}
	client, err := nakama.NewClient(serverURL, serverKey, &co)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if r.opts.Socket != nil {
		r.sock = *r.opts.Socket
	}
	r.sock.AutoDispatch = true
	// Check the address once, here, rather than as every player's error.
	if _, err := nakama.NewWebSocket(serverURL, &r.sock); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	r.client = client
	r.fdMax = fileLimit()
	r.cpu0, r.rss0 = cpuNow(), rssNow()
	r.target = r.sc.Players

	if r.sc.Duration > 0 {
		r.ctx, r.cancel = context.WithTimeout(ctx, r.sc.Duration)
	} else {
		r.ctx, r.cancel = context.WithCancel(ctx)
	}
	r.start = time.Now()
	r.wg.Add(1)
	go r.spawner()
	go r.supervise()
	return r, nil
}

// SetPlayers changes how many players run: new ones start at the
// scenario's spawn rate, and the players of the highest indices stop at
// once when n is lower.
func (r *Runner) SetPlayers(n int) {
	if n < 0 {
		n = 0
	}
	r.mu.Lock()
	r.target = n
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Players returns the count asked for and the players connected now.
func (r *Runner) Players() (target, connected int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.target, int(r.connected.Load())
}

// Stop ends the run; Wait then returns its report. It is idempotent.
func (r *Runner) Stop() { r.cancel() }

// Done is closed once the run has ended and its report is ready.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Wait waits for the run to end (its bound, Stop, or Start's ctx), every
// player to close its socket and every goroutine of the run to exit, and
// returns the report.
func (r *Runner) Wait() *Report {
	<-r.done
	return r.report
}

// supervise reports progress while the run lasts, then waits for the
// players and writes the report.
func (r *Runner) supervise() {
	t := time.NewTicker(r.opts.ProgressInterval)
	defer t.Stop()
	var last Progress
	for running := true; running; {
		select {
		case <-t.C:
			last = r.progress(last, false)
		case <-r.ctx.Done():
			running = false
		}
	}
	r.graceMu.Lock()
	if r.grace != nil {
		r.grace.Stop()
	}
	r.graceMu.Unlock()
	r.wg.Wait()
	r.progress(last, true)
	r.report = r.buildReport()
	close(r.done)
}

func (r *Runner) progress(last Progress, done bool) Progress {
	rss, cpu := rssNow(), cpuNow()
	n := r.connected.Load()
	r.rssMu.Lock()
	if n > 0 && n >= r.rssPeakN {
		r.rssPeakN, r.rssAtPeak = n, rss
	}
	r.rssMu.Unlock()
	if r.opts.OnProgress == nil {
		return last
	}
	target, connected := r.Players()
	h := r.stats.merged()
	p := Progress{
		Elapsed: time.Since(r.start), Players: target, Connected: connected,
		Sent: r.stats.sent.Load(), Received: r.stats.received.Load(), Errors: r.stats.errors.Load(),
		P50: time.Duration(h.ValueAtQuantile(50)) * time.Microsecond,
		P99: time.Duration(h.ValueAtQuantile(99)) * time.Microsecond,
		RSS: rss, Done: done,
	}
	p.cpu = cpu.user + cpu.sys - r.cpu0.user - r.cpu0.sys
	if dt := (p.Elapsed - last.Elapsed).Seconds(); dt > 0 {
		p.SentPerSec = float64(p.Sent-last.Sent) / dt
		p.ReceivedPerSec = float64(p.Received-last.Received) / dt
		p.CPUPercent = 100 * (p.cpu - last.cpu).Seconds() / dt
	}
	r.opts.OnProgress(p)
	return p
}

// spawner starts and stops players to follow the target, pacing starts at
// the spawn rate.
func (r *Runner) spawner() {
	defer r.wg.Done()
	var interval time.Duration
	if r.sc.SpawnRate > 0 {
		interval = time.Duration(float64(time.Second) / r.sc.SpawnRate)
	}
	next := time.Now()
	for {
		r.mu.Lock()
		target, running := r.target, len(r.slots)
		for ; running > target; running-- {
			r.slots[running-1]()
			r.slots = r.slots[:running-1]
		}
		if running < target {
			ctx, cancel := context.WithCancel(r.ctx)
			r.slots = append(r.slots, cancel)
			r.wg.Add(1)
			go r.play(ctx, running)
		}
		r.mu.Unlock()
		if running < target {
			if now := time.Now(); next.Before(now) {
				next = now
			}
			next = next.Add(interval)
			if sleep(r.ctx, time.Until(next)) != nil {
				return
			}
			continue
		}
		select {
		case <-r.wake:
		case <-r.ctx.Done():
			return
		}
	}
}

// The pause before a player that failed to sign in, connect or play tries
// again, doubling up to the maximum.
const (
	retryMin = 500 * time.Millisecond
	retryMax = 10 * time.Second
)

// play runs player i until ctx ends: sign in, connect, play, and again
// after a failure or a disconnect.
func (r *Runner) play(ctx context.Context, i int) {
	defer r.wg.Done()
	h := fnv.New64a()
	h.Write([]byte(r.sc.Seed))
	p := &Player{
		Index: i, DeviceID: deviceID(r.sc.Seed, i), Client: r.client, run: r,
		ns: "load-" + r.sc.Seed, rand: rand.New(rand.NewPCG(h.Sum64(), uint64(i))),
	}
	pause := retryMin
	for ctx.Err() == nil {
		if r.exhausted.Load() {
			<-ctx.Done()
			return
		}
		if err := r.session(ctx, p); err == nil {
			pause = retryMin
			continue
		}
		if sleep(ctx, pause/2+time.Duration(p.rand.Int64N(int64(pause)))) != nil {
			return
		}
		pause = min(2*pause, retryMax)
	}
}

// session signs p in (unless its session is still good), connects a socket
// and plays until ctx ends or the socket drops.
func (r *Runner) session(ctx context.Context, p *Player) error {
	if p.Session == nil || p.Session.ExpiresWithin(30*time.Second) {
		start := time.Now()
		s, err := r.client.AuthenticateDevice(ctx, p.DeviceID, nil)
		p.Record(ctx, OpAuth, start, err)
		if err != nil {
			return err
		}
		p.Session = s
	}
	sock, err := nakama.NewWebSocket(r.url, &r.sock)
	if err != nil {
		return err // checked in Start; cannot happen
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The handler may run after Play has returned, or before: the drop is
	// judged after Play, and the handler only keeps its cause.
	var cause atomic.Pointer[error]
	sock.OnDisconnect(func(err error) {
		if err != nil {
			cause.CompareAndSwap(nil, &err)
		}
		cancel()
	})
	start := time.Now()
	err = sock.Connect(ctx, p.Session, nil)
	p.Record(ctx, OpConnect, start, err)
	if err != nil {
		if errors.Is(err, nakama.ErrUnauthenticated) {
			p.Session = nil
		}
		return err
	}
	p.Socket = sock
	r.connect(1)
	defer func() {
		sock.Close()
		r.connect(-1)
	}()
	r.playing.Add(1)
	err = r.sc.Workload.Play(pctx, p)
	if r.playing.Add(-1) == 0 && r.exhausted.Load() {
		r.cancel()
	}
	switch {
	case ctx.Err() != nil || errors.Is(err, errStopped):
		return nil
	case !sock.IsConnected():
		// The socket dropped, which counts once, whatever requests it cut.
		// Pause before the next connection, so that a server dropping
		// everyone is not answered with a storm of reconnections.
		why := err
		if c := cause.Load(); c != nil {
			why = *c
		}
		if why == nil {
			why = nakama.ErrSocketClosed
		}
		err = fmt.Errorf("socket dropped: %w", why)
		r.record(Sample{Op: OpDisconnect, Err: err, Code: nakama.CodeOf(err)})
		return errDropped
	case err != nil:
		p.RecordLatency(ctx, OpPlay, 0, err)
	}
	return err
}

var errDropped = errors.New("load: socket dropped")

// OpDisconnect counts sockets the server or the network closed.
const OpDisconnect = "disconnect"

func (r *Runner) connect(d int64) {
	n := r.connected.Add(d)
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

func (r *Runner) record(s Sample) {
	r.stats.record(s)
	if r.opts.Observe != nil {
		r.opts.Observe(s)
	}
}

// sent counts n messages about to be sent and ends the run once the budget
// is spent: the message that would exceed it is refused.
func (r *Runner) sent(n int64) bool {
	total := r.stats.sent.Add(n)
	if r.sc.Messages > 0 && total > r.sc.Messages {
		r.stats.sent.Add(-n)
		r.exhaust()
		return false
	}
	return true
}

// budgetGrace bounds the wait for players to finish once the message
// budget is spent.
const budgetGrace = 2 * time.Second

func (r *Runner) exhaust() {
	if r.exhausted.Swap(true) {
		return
	}
	r.graceMu.Lock()
	r.grace = time.AfterFunc(budgetGrace, r.cancel)
	r.graceMu.Unlock()
}
