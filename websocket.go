package nakama

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gonakama/nakama/internal/wire"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// WebSocket is a Socket over any SocketAdapter (a WebSocketAdapter unless
// SocketOptions.Adapter says otherwise). Make one with NewWebSocket or
// DefaultClient.NewSocket, set its handlers, then Connect.
//
// Every method is safe for concurrent use, handlers included: a handler may
// make requests on the socket, Connect again or Close it.
//
// # Goroutines and Close
//
// An idle connected socket costs one goroutine: the adapter's read loop,
// which decodes frames, hands answers to the requests waiting for them and
// queues everything else as events. Other goroutines exist only while they
// have work: a writer while frames wait to be written (the sender that
// finds none running starts one, and it writes everything queued as one
// batch per turn), with AutoDispatch a dispatcher while events wait for
// their handlers, a finisher while a
// connection shuts down, and a reconnecter while SocketOptions.Reconnect
// redials. Heartbeats of every socket of the process share one timer and
// one goroutine, which runs only while some socket is connected.
//
// At most SocketOptions.MaxRequestsInFlight requests wait for answers at a
// time (DefaultMaxRequestsInFlight), so that a burst never overflows the
// server's per-session outgoing queue, which closes the connection when
// full; further callers wait for a slot within their context. A request
// whose answer does not come within SocketOptions.RequestTimeout fails with
// ErrRequestTimeout.
//
// The connection lasts until Close, or until the link fails (a read or
// write error, a close frame from the server, a heartbeat timeout). Close is
// required to release it, is idempotent, and returns after the connection's
// goroutines have exited and the OnDisconnect handler has been queued and,
// with AutoDispatch, run; Done is closed at the same point. Close called
// while the dispatcher runs a handler (from that handler, typically) cannot
// wait for the dispatcher, which exits once the handler returns: wait for
// Done from elsewhere if that matters. After a disconnect, Connect may be
// called again; handlers stay set.
//
// # Events
//
// Handlers run in the order their messages arrived: on the goroutine that
// calls Tick (the game-loop model; nothing runs until it does), or with
// AutoDispatch on one goroutine of the socket at a time. With the native
// WebSocketAdapter, the read goroutine that finds no dispatcher running
// becomes it and runs the handlers itself: waking another goroutine for
// each event would cost more than a handler typically does. While it does,
// the connection is not read, until something waits on it (a request, a
// Close, the heartbeat's pong, from the handler or from any goroutine):
// reading is then handed to a new read goroutine, and later events wait in
// the queue, in order. So a handler may make requests and wait for other
// goroutines' requests; one that blocks on something else holds up
// reading for one keepalive interval at most. A panicking handler is
// recovered and reported to OnError as an error wrapping ErrHandlerPanic.
// The event queue is bounded by count and by bytes (EventQueueSize,
// EventQueueBytes); events that do not fit are dropped, counted, and
// reported to OnError (ErrEventQueueFull) at the next Tick or dispatcher
// turn, before the connection's OnDisconnect at the latest.
//
// With SocketOptions.Reconnect set, a connection lost for any reason but
// Close is redialled with backoff, and what the socket had joined is
// restored: see ReconnectConfig, OnReconnecting and OnReconnected.
type WebSocket struct {
	endpoint string
	opts     SocketOptions
	format   wire.Format
	adapter  SocketAdapter

	mu         sync.Mutex
	conn       *sockConn
	connecting bool
	// down is Done's channel for the current lifetime: from Connect until
	// the socket is down for good (no reconnect under way).
	down chan struct{}
	// session and connOpts are the last Connect's, for reconnecting.
	session  *Session
	connOpts ConnectOptions
	// closed is set by Close and cleared by Connect: no reconnect follows.
	closed bool
	// rc is set while the socket reconnects.
	rc *sockReconnect

	h      sockHandlers
	q      sockEventQueue
	track  sockTracked
	tickMu sync.Mutex
	// tickBuf is Tick's batch, kept between calls; guarded by tickMu.
	tickBuf []sockEvent
}

var _ Socket = (*WebSocket)(nil)

// NewWebSocket returns a socket for the server at serverURL: the same
// http(s) address a Client uses (DefaultServerURL when empty, a path prefix
// allowed), or a ws(s) address. The socket connects to its /ws route. opts
// may be nil; it is copied.
func NewWebSocket(serverURL string, opts *SocketOptions) (*WebSocket, error) {
	if serverURL == "" {
		serverURL = DefaultServerURL
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("nakama: bad server URL: %w", err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("nakama: bad server URL %q: scheme must be http, https, ws or wss", redactURL(serverURL))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("nakama: bad server URL %q: no host", redactURL(serverURL))
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	if !strings.HasSuffix(u.Path, "/ws") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/ws"
		u.RawPath = ""
	}
	s := &WebSocket{endpoint: u.String()}
	if opts != nil {
		s.opts = *opts
	}
	s.opts = s.opts.withDefaults()
	s.adapter = s.opts.Adapter
	if s.adapter == nil {
		s.adapter = NewWebSocketAdapter(nil)
	}
	s.format = s.opts.Format.wire()
	s.q.init(s)
	s.track.on = s.opts.Reconnect != nil
	return s, nil
}

// NewSocket returns a WebSocket for the server this client talks to, which
// refreshes the session through the client before it connects (and
// reconnects) when the token is about to expire: SocketOptions.Client is
// set to c. It fails when the client's adapter does not say its server's
// address (a RESTAdapter does); use NewWebSocket then. opts may be nil; it
// is copied.
func (c *DefaultClient) NewSocket(opts *SocketOptions) (*WebSocket, error) {
	a, ok := c.Adapter().(interface{ ServerURL() string })
	if !ok {
		return nil, fmt.Errorf("nakama: NewSocket: the client's %T does not report its server URL; use NewWebSocket", c.Adapter())
	}
	var o SocketOptions
	if opts != nil {
		o = *opts
	}
	o.Client = c
	return NewWebSocket(a.ServerURL(), &o)
}

// Endpoint returns the address the socket dials, without a query.
func (s *WebSocket) Endpoint() string { return s.endpoint }

// Format returns the socket's wire format.
func (s *WebSocket) Format() SocketFormat { return s.opts.Format }

// sockRefreshMargin: a token that expires within it is refreshed before a
// dial when the socket knows the client, so that it does not expire during
// the handshake.
const sockRefreshMargin = 30 * time.Second

// Connect opens the socket as session's user. ctx bounds only the dial and
// handshake (and the session refresh before it); the connection then lasts
// until Close or a disconnect. It fails when the socket is already
// connected or reconnecting.
//
// When SocketOptions.Client is set (DefaultClient.NewSocket sets it), a
// session whose token expires within 30 s is refreshed first; otherwise an
// expired session fails at once, without dialing, with an error matching
// ErrSessionExpired. A handshake the server refuses is a *SocketDialError,
// which wraps a *Error when the server said why (errors.Is(err,
// ErrUnauthenticated) for a bad or expired token). The OnConnect handler is
// queued before any event of the new connection.
func (s *WebSocket) Connect(ctx context.Context, session *Session, opts *ConnectOptions) error {
	if session == nil {
		return &OpError{Op: "Connect", Err: ErrNilSession}
	}
	var o ConnectOptions
	if opts != nil {
		o = *opts
	}
	s.mu.Lock()
	prev := s.conn
	if s.connecting || s.rc != nil || (prev != nil && !prev.isDone()) {
		s.mu.Unlock()
		return &OpError{Op: "Connect", Err: errors.New("socket already connected or reconnecting")}
	}
	s.connecting = true
	s.closed = false
	if s.down == nil || sockIsClosed(s.down) {
		s.down = make(chan struct{})
	}
	s.mu.Unlock()

	if prev != nil {
		<-prev.finished
	}
	err := s.freshen(ctx, session, false)
	var c *sockConn
	if err == nil {
		c, err = s.dial(ctx, session, &o)
	}

	s.mu.Lock()
	s.connecting = false
	if err != nil {
		s.mu.Unlock()
		s.maybeDown()
		return &OpError{Op: "Connect", Err: err}
	}
	s.conn = c
	s.session, s.connOpts = session, o
	s.track.reset()
	s.mu.Unlock()
	c.start()
	return nil
}

// freshen makes sure session's token will pass the handshake: refreshed
// through SocketOptions.Client when it is about to expire (or always, with
// force, after the server refused it), or refused when it has expired.
func (s *WebSocket) freshen(ctx context.Context, session *Session, force bool) error {
	if cl := s.opts.Client; cl != nil && session.RefreshToken() != "" && !session.RefreshExpired() &&
		(force || session.ExpiresWithin(sockRefreshMargin)) {
		if err := cl.SessionRefresh(ctx, session, nil); err != nil && (force || session.Expired()) {
			return err
		}
	}
	if session.Expired() {
		return fmt.Errorf("%w: token expired at %s; refresh it (SessionRefresh) or authenticate again before connecting",
			ErrSessionExpired, session.ExpiresAt().UTC().Format(time.RFC3339))
	}
	return nil
}

// dial opens a connection for session; the caller starts it.
func (s *WebSocket) dial(ctx context.Context, session *Session, o *ConnectOptions) (*sockConn, error) {
	c := newSockConn(s)
	err := s.adapter.Connect(ctx, &SocketConnectParams{
		Endpoint:     s.endpoint,
		Token:        session.Token(),
		Format:       s.opts.Format,
		AppearOnline: o.AppearOnline,
		Lang:         o.Lang,
	}, c)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// IsConnected reports whether the socket is open: connected, and not yet
// closed or disconnected (a socket reconnecting is not connected).
func (s *WebSocket) IsConnected() bool {
	s.mu.Lock()
	c, rc := s.conn, s.rc
	s.mu.Unlock()
	return c != nil && rc == nil && !c.isDone()
}

// Close closes the connection with a close handshake (bounded in time),
// stops a reconnect under way, fails every waiting request with a
// *CloseError, queues the OnDisconnect handler, and returns once the
// socket's goroutines have exited; see the type's doc for the one
// exception. It is idempotent, and does nothing on a socket that is not
// connected. Close does not stop a Connect in progress: cancel its context
// instead. In a browser (js/wasm) it returns at once and finishes on a
// goroutine, so that a JavaScript event callback may call it; OnDisconnect
// says when it is done.
func (s *WebSocket) Close() error {
	s.mu.Lock()
	s.closed = true
	down := s.down
	s.mu.Unlock()
	sockFinishClose(func() {
		for {
			s.stopReconnect()
			c := s.current()
			if c == nil {
				return
			}
			c.shutdown(&CloseError{Code: sockCloseNormal, Reason: "closed by the client"}, true)
			<-c.finished
			// A link lost just before Close may have started a reconnect,
			// which may have dialled before it was stopped: close that too.
			s.mu.Lock()
			again := s.rc != nil || s.conn != c
			s.mu.Unlock()
			if !again {
				break
			}
		}
		if down != nil && !s.q.inHandler.Load() {
			<-down
		}
	})
	return nil
}

// stopReconnect stops a reconnect under way and waits for it.
func (s *WebSocket) stopReconnect() {
	s.mu.Lock()
	rc := s.rc
	s.mu.Unlock()
	if rc != nil {
		rc.cancel()
		<-rc.done
	}
}

// Done returns a channel that is closed once the socket is down for good:
// its connection ended (by Close, or a disconnect no reconnect follows),
// its goroutines exited and, with AutoDispatch, the OnDisconnect handler
// ran. Each Connect starts a new lifetime with a new channel; before the
// first, Done's channel is already closed.
func (s *WebSocket) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down == nil {
		s.down = make(chan struct{})
		close(s.down)
	}
	return s.down
}

// maybeDown closes Done's channel when nothing of the socket runs any more.
func (s *WebSocket) maybeDown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down == nil || sockIsClosed(s.down) || s.connecting || s.rc != nil {
		return
	}
	if s.conn != nil && !sockIsClosed(s.conn.finished) {
		return
	}
	if s.opts.AutoDispatch && s.q.busy() {
		return
	}
	close(s.down)
}

func (s *WebSocket) current() *sockConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// live returns the connection to send on. While the socket reconnects it
// waits (within ctx) for the new connection, or fails at once with
// ErrReconnecting under ReconnectConfig.FailFast.
func (s *WebSocket) live(ctx context.Context) (*sockConn, error) {
	for {
		s.mu.Lock()
		c, rc := s.conn, s.rc
		s.mu.Unlock()
		if rc == nil {
			if c == nil {
				return nil, errSockNotConnected
			}
			if c.isDone() && c.err.Reconnecting && !sockIsClosed(c.finished) {
				// Lost, and its finisher is about to start the reconnect:
				// wait for that rather than fail with the old connection.
				if s.opts.Reconnect.FailFast {
					return nil, ErrReconnecting
				}
				// The finisher lends too, but a handler run inline may
				// have begun after it did, and be this caller.
				s.q.lend()
				select {
				case <-c.finished:
					continue
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return c, nil
		}
		if s.opts.Reconnect.FailFast {
			return nil, ErrReconnecting
		}
		s.q.lend()
		select {
		case <-rc.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// request sends env and returns the server's answer; the server's error
// envelope becomes a *SocketError. Errors are wrapped with op.
func (s *WebSocket) request(ctx context.Context, op string, env *rtapi.Envelope) (*rtapi.Envelope, error) {
	c, err := s.live(ctx)
	if err != nil {
		return nil, &OpError{Op: op, Err: err}
	}
	return c.ask(ctx, op, env)
}

// ask is request on c.
func (c *sockConn) ask(ctx context.Context, op string, env *rtapi.Envelope) (*rtapi.Envelope, error) {
	resp, err := c.request(ctx, env)
	if err != nil {
		return nil, &OpError{Op: op, Err: err}
	}
	if e, ok := resp.Message.(*rtapi.Envelope_Error); ok {
		return nil, &OpError{Op: op, Err: newSocketError(e.Error)}
	}
	return resp, nil
}

// sockAsk sends env and returns its answer, which must be of type W.
func sockAsk[W any](ctx context.Context, s *WebSocket, op string, env *rtapi.Envelope) (W, error) {
	resp, err := s.request(ctx, op, env)
	return sockAnswer[W](op, resp, err)
}

// sockAnswer checks that resp, the answer to op, is of type W.
func sockAnswer[W any](op string, resp *rtapi.Envelope, err error) (W, error) {
	var zero W
	if err != nil {
		return zero, err
	}
	w, ok := any(resp.Message).(W)
	if !ok {
		return zero, &OpError{Op: op, Err: sockUnexpectedReply(resp)}
	}
	return w, nil
}

// sockAskEmpty sends env and waits for the empty answer.
func sockAskEmpty(ctx context.Context, s *WebSocket, op string, env *rtapi.Envelope) error {
	resp, err := s.request(ctx, op, env)
	return sockEmptyAnswer(op, resp, err)
}

func sockEmptyAnswer(op string, resp *rtapi.Envelope, err error) error {
	if err != nil {
		return err
	}
	if resp.Message != nil {
		return &OpError{Op: op, Err: sockUnexpectedReply(resp)}
	}
	return nil
}

var errSockNotConnected = fmt.Errorf("%w: not connected", ErrSocketClosed)

// Ping sends a ping and waits for the server's pong.
func (s *WebSocket) Ping(ctx context.Context) error {
	_, err := sockAsk[*rtapi.Envelope_Pong](ctx, s, "Ping", sockPingEnvelope())
	return err
}

// sockConn is one connection of a WebSocket: its requests, its write queue
// and its heartbeat. It is the adapter's handler.
type sockConn struct {
	s *WebSocket

	// done is closed by shutdown; err and graceful are set before.
	done     chan struct{}
	doneOnce sync.Once
	err      *CloseError
	graceful bool
	// finished is closed when the finisher is done: adapter closed,
	// writer gone, disconnect queued.
	finished   chan struct{}
	finishOnce sync.Once

	// The write queue; a writer runs only while it holds frames.
	wmu     sync.Mutex
	wq      []*[]byte
	wspare  []*[]byte // the previous batch's slice, reused
	writing bool
	wclosed bool          // set by the finisher: no frame is queued any more
	wroom   chan struct{} // made by a sender waiting for room, closed at the next turn
	widle   chan struct{} // made by the finisher, closed when the writer exits
	frames  [][]byte      // the writer's batch for adapter.Send; only a writer touches it
	// writeFn is writeLoop as a func value made once, so that starting a
	// writer allocates nothing (a go statement with a fresh method value
	// would allocate a closure each time).
	writeFn func()

	nextCID atomic.Uint64
	pmu     sync.Mutex
	pending map[uint64]*sockPending
	// slots bounds the requests in flight; nil for no bound.
	slots chan struct{}

	// hb is the heartbeat's state, guarded by sockHeart.mu.
	hb sockBeat

	// Events the adapter reports before Connect returns wait in early, so
	// that OnConnect comes first.
	emu     sync.Mutex
	started atomic.Bool
	early   []sockEvent
}

type sockPending struct {
	ch    chan *rtapi.Envelope
	timer *time.Timer // the request timeout, stopped while pooled
}

// sockBeatPending stands in the pending map for a heartbeat ping: its pong
// goes to the heartbeat, not to a waiting request.
var sockBeatPending = &sockPending{}

var sockPendingPool = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &sockPending{ch: make(chan *rtapi.Envelope, 1), timer: t}
}}

// sockBufPool holds encode buffers; those larger than sockMaxPooledBuf are not
// kept, so one large message does not pin memory.
var sockBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const sockMaxPooledBuf = 64 << 10

func sockGetBuf() *[]byte { return sockBufPool.Get().(*[]byte) }

func sockPutBuf(b *[]byte) {
	if cap(*b) > sockMaxPooledBuf {
		return
	}
	*b = (*b)[:0]
	sockBufPool.Put(b)
}

func newSockConn(s *WebSocket) *sockConn {
	c := &sockConn{
		s:        s,
		done:     make(chan struct{}),
		finished: make(chan struct{}),
		pending:  make(map[uint64]*sockPending),
	}
	if n := s.opts.MaxRequestsInFlight; n > 0 {
		c.slots = make(chan struct{}, n)
	}
	c.writeFn = c.writeLoop
	return c
}

// start schedules the heartbeat and releases the events that arrived
// during Connect, after OnConnect.
func (c *sockConn) start() {
	if !c.s.opts.Keepalive.Disable {
		sockHeart.add(c)
	}
	c.emu.Lock()
	c.s.q.push(sockEvent{kind: sockEvConnect}, true)
	for _, ev := range c.early {
		c.queue(ev, nil)
	}
	c.early = nil
	c.started.Store(true)
	c.emu.Unlock()
	if c.isDone() {
		// It ended before it started: the finisher queues the disconnect,
		// so it starts after the connect is queued.
		c.finishOnce.Do(func() { go c.finish() })
	}
}

func (c *sockConn) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// shutdown ends the connection for cause; the first cause wins. It never
// blocks, so the read loop and the heartbeat may call it: a finisher
// goroutine closes the adapter and queues the disconnect.
func (c *sockConn) shutdown(cause *CloseError, graceful bool) {
	c.doneOnce.Do(func() {
		if !graceful {
			cause.Reconnecting = c.s.willReconnect()
		}
		c.err = cause
		c.graceful = graceful
		close(c.done)
		if c.started.Load() {
			c.finishOnce.Do(func() { go c.finish() })
		}
	})
}

// sockFlushTimeout bounds how long Close lets the writer flush the frames
// queued before it.
const sockFlushTimeout = 5 * time.Second

// finish runs once the connection is done: it stops the heartbeat, lets
// the writer flush (after Close) or drop what is queued, closes the
// adapter, queues the disconnect (after any drop report of the
// connection), then reconnects when that is on.
func (c *sockConn) finish() {
	s := c.s
	if !s.opts.Keepalive.Disable {
		sockHeart.remove(c)
	}
	idle := c.writerIdle()
	// Closing the adapter waits for its read loop, which may be running
	// handlers inline (one of which may be waiting for this very close).
	s.q.lend()
	if c.graceful {
		t := time.NewTimer(sockFlushTimeout)
		select {
		case <-idle:
		case <-t.C:
			_ = s.adapter.CloseNow() // a write is stuck: unblock it
		}
		t.Stop()
		<-idle
		_ = s.adapter.Close()
	} else {
		_ = s.adapter.CloseNow()
		<-idle
	}
	rc := s.startReconnect(c)
	s.q.push(sockEvent{kind: sockEvDisconnect, err: c.err}, true)
	close(c.finished)
	if rc != nil {
		s.reconnect(rc, c.err)
	}
	s.maybeDown()
}

func (c *sockConn) encode(env *rtapi.Envelope) (*[]byte, error) {
	b := sockGetBuf()
	out, err := c.s.format.Append((*b)[:0], env)
	*b = out
	if err != nil {
		sockPutBuf(b)
		return nil, fmt.Errorf("nakama: encoding %T: %w", env.Message, err)
	}
	if err := c.checkSize(len(out)); err != nil {
		sockPutBuf(b)
		return nil, err
	}
	return b, nil
}

func (c *sockConn) checkSize(n int) error {
	if max := c.s.opts.MaxMessageSize; max > 0 && n > max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooBig, n, max)
	}
	return nil
}

// push queues a frame for writing, starting a writer when none runs; the
// frame is the writer's from then on. With wait, it first waits (within
// ctx) while WriteQueueSize frames are queued; the heartbeat does not.
func (c *sockConn) push(ctx context.Context, b *[]byte, wait bool) error {
	c.wmu.Lock()
	for wait && len(c.wq) >= c.s.opts.WriteQueueSize && !c.wclosed {
		if c.wroom == nil {
			c.wroom = make(chan struct{})
		}
		room := c.wroom
		c.wmu.Unlock()
		c.s.q.lend()
		select {
		case <-room:
		case <-ctx.Done():
			sockPutBuf(b)
			return ctx.Err()
		case <-c.done:
			sockPutBuf(b)
			return c.err
		}
		c.wmu.Lock()
	}
	if c.wclosed {
		c.wmu.Unlock()
		sockPutBuf(b)
		return c.err
	}
	c.wq = append(c.wq, b)
	start := !c.writing
	c.writing = true
	c.wmu.Unlock()
	if start {
		go c.writeFn()
	}
	return nil
}

// sockMaxKeptBatch: batch slices larger than this are not kept once the
// writer is idle, so a burst does not pin memory on an idle socket.
const sockMaxKeptBatch = 64

// writeLoop writes what is queued, all of it in one Send per turn, so
// that concurrent senders share one wake-up and one Send, and exits when
// the queue is empty. After Close it flushes what was queued before;
// after a failure it drops it.
func (c *sockConn) writeLoop() {
	var batch []*[]byte
	for {
		c.wmu.Lock()
		if batch != nil {
			c.wspare = batch[:0]
		}
		if c.wroom != nil {
			close(c.wroom) // room again (or the end): let waiting senders look
			c.wroom = nil
		}
		if len(c.wq) == 0 || (c.isDone() && !c.graceful) {
			for i, b := range c.wq {
				sockPutBuf(b)
				c.wq[i] = nil
			}
			c.wq = c.wq[:0]
			if cap(c.wq) > sockMaxKeptBatch {
				c.wq = nil
			}
			if cap(c.wspare) > sockMaxKeptBatch {
				c.wspare = nil
			}
			if cap(c.frames) > sockMaxKeptBatch {
				c.frames = nil
			}
			c.writing = false
			if c.widle != nil {
				close(c.widle)
				c.widle = nil
			}
			c.wmu.Unlock()
			return
		}
		batch, c.wq, c.wspare = c.wq, c.wspare, nil
		c.wmu.Unlock()

		frames := c.frames[:0]
		for _, b := range batch {
			frames = append(frames, *b)
		}
		err := c.s.adapter.Send(context.Background(), frames)
		clear(frames)
		c.frames = frames[:0]
		for i, b := range batch {
			sockPutBuf(b)
			batch[i] = nil
		}
		if err != nil {
			c.shutdown(&CloseError{Code: sockCloseAbnormal, Err: fmt.Errorf("write: %w", err)}, false)
		}
	}
}

// writerIdle stops the queue from taking frames and returns a channel
// closed once the writer has exited (at once when none runs).
func (c *sockConn) writerIdle() <-chan struct{} {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wclosed = true
	if !c.writing {
		return sockClosedChan
	}
	if c.widle == nil {
		c.widle = make(chan struct{})
	}
	return c.widle
}

var sockClosedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

func (c *sockConn) sendFrame(ctx context.Context, b *[]byte) error {
	if c.isDone() {
		sockPutBuf(b)
		return c.err
	}
	if err := c.checkSize(len(*b)); err != nil {
		sockPutBuf(b)
		return err
	}
	return c.push(ctx, b, true)
}

// request takes a slot, registers for the answer to env under a fresh cid,
// then sends env and waits for the answer, ctx, the request timeout or the
// end of the connection.
func (c *sockConn) request(ctx context.Context, env *rtapi.Envelope) (*rtapi.Envelope, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.isDone() {
		return nil, c.err
	}
	if c.slots != nil {
		select {
		case c.slots <- struct{}{}:
		default:
			c.s.q.lend() // slots come back with answers, which must be read
			select {
			case c.slots <- struct{}{}:
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.done:
				return nil, c.err
			}
		}
		defer func() { <-c.slots }()
	}
	id := c.nextCID.Add(1)
	env.Cid = strconv.FormatUint(id, 10)
	b, err := c.encode(env)
	if err != nil {
		return nil, err
	}
	p := sockPendingPool.Get().(*sockPending)
	c.pmu.Lock()
	c.pending[id] = p
	c.pmu.Unlock()
	if err := c.push(ctx, b, true); err != nil {
		c.forget(id, p)
		return nil, err
	}
	return c.await(ctx, id, p)
}

// await waits for the answer registered under id as p, ctx, the request
// timeout or the end of the connection.
func (c *sockConn) await(ctx context.Context, id uint64, p *sockPending) (*rtapi.Envelope, error) {
	var timeout <-chan time.Time
	if d := c.s.opts.RequestTimeout; d > 0 {
		p.timer.Reset(d)
		timeout = p.timer.C
	}
	c.s.q.lend() // the answer must be read, maybe by the caller's own goroutine
	select {
	case resp := <-p.ch:
		p.timer.Stop()
		sockPendingPool.Put(p)
		return resp, nil
	case <-ctx.Done():
		c.forget(id, p)
		return nil, ctx.Err()
	case <-c.done:
		// An answer read before the end of the connection wins: the
		// server may answer, then close (as it does for a message a
		// runtime hook disabled).
		if resp := c.forget(id, p); resp != nil {
			return resp, nil
		}
		return nil, c.err
	case <-timeout:
		c.forget(id, p)
		return nil, fmt.Errorf("%w: no answer within %v", ErrRequestTimeout, c.s.opts.RequestTimeout)
	}
}

// forget drops a request's registration. If the read loop took it first,
// its answer is on the way: it is drained, so that p can be reused, and
// returned.
func (c *sockConn) forget(id uint64, p *sockPending) *rtapi.Envelope {
	p.timer.Stop()
	c.pmu.Lock()
	_, ok := c.pending[id]
	delete(c.pending, id)
	c.pmu.Unlock()
	var resp *rtapi.Envelope
	if !ok {
		resp = <-p.ch
	}
	sockPendingPool.Put(p)
	return resp
}

func sockPingEnvelope() *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_Ping{Ping: &rtapi.Ping{}}}
}

// sendPing sends the heartbeat's ping, without waiting: its pong goes to
// sockHeart.pong, its absence is noticed by the heartbeat's deadline.
func (c *sockConn) sendPing() {
	if c.isDone() {
		return
	}
	id := c.nextCID.Add(1)
	env := sockPingEnvelope()
	env.Cid = strconv.FormatUint(id, 10)
	b, err := c.encode(env)
	if err != nil {
		return // a ping always encodes
	}
	c.pmu.Lock()
	c.pending[id] = sockBeatPending
	c.pmu.Unlock()
	_ = c.push(context.Background(), b, false)
}

// OnFrame is the adapter's report of a frame: an answer goes to the request
// waiting for it, anything else becomes an event.
func (c *sockConn) OnFrame(frame []byte) {
	if ev, ok := c.frameEvent(frame); ok {
		c.report(ev)
	}
}

// sockInlineHandler is implemented by a SocketAdapterHandler that can run
// the handlers of a frame's event on the adapter's read goroutine, as the
// dispatcher of AutoDispatch: handing each event to a goroutine of its own
// costs a wake-up of another thread, more than a handler typically takes.
// The native WebSocketAdapter's read loop calls it instead of OnFrame, with
// spare, which starts another read loop on the same connection. Before
// anything waits on the connection while the handlers run (a handler's
// request, Close, the heartbeat's pong), spare is called, at most once,
// and onFrameInline then returns false: the calling loop must end without
// reading again. So the connection is read whenever something waits for
// it, and events keep their order (while the lent run goes on, events of
// the spare loop wait in the queue for it).
type sockInlineHandler interface {
	onFrameInline(frame []byte, spare func()) (keepReading bool)
}

func (c *sockConn) onFrameInline(frame []byte, spare func()) bool {
	ev, ok := c.frameEvent(frame)
	if !ok {
		return true
	}
	if !c.started.Load() {
		c.report(ev) // held until Connect returns: OnConnect comes first
		return true
	}
	return !c.queue(ev, spare) || !c.s.runDispatch()
}

// frameEvent reads a frame: an answer goes to the request waiting for it
// (ok false), anything else is returned as an event.
func (c *sockConn) frameEvent(frame []byte) (ev sockEvent, ok bool) {
	env, err := c.s.format.Decode(frame)
	if err != nil {
		return sockEvent{kind: sockEvError, err: fmt.Errorf("%w: undecodable %s frame of %d bytes: %v",
			ErrBadResponse, c.s.format, len(frame), err)}, true
	}
	if env.Cid != "" {
		id, err := strconv.ParseUint(env.Cid, 10, 64)
		if err == nil {
			c.pmu.Lock()
			p := c.pending[id]
			delete(c.pending, id)
			c.pmu.Unlock()
			switch p {
			case nil:
				// No one waits: the request was cancelled. Drop it.
			case sockBeatPending:
				sockHeart.pong(c)
			default:
				p.ch <- env
			}
			return sockEvent{}, false
		}
	}
	switch m := env.Message.(type) {
	case *rtapi.Envelope_Error:
		return sockEvent{kind: sockEvError, err: newSocketError(m.Error)}, true
	case nil:
		return sockEvent{kind: sockEvError, err: fmt.Errorf("%w: frame with no known message (cid %q)", ErrBadResponse, env.Cid)}, true
	default:
		if !isSockEvent(env.Message) {
			return sockEvent{kind: sockEvError, err: fmt.Errorf("%w: unexpected %T (cid %q)", ErrBadResponse, env.Message, env.Cid)}, true
		}
		if pc, ok := m.(*rtapi.Envelope_PartyClose); ok {
			c.s.track.partyGone(pc.PartyClose.GetPartyId())
		}
		return sockEvent{kind: sockEvMessage, msg: env.Message, size: len(frame)}, true
	}
}

// OnError is the adapter's report of a problem the connection survives.
func (c *sockConn) OnError(err error) { c.report(sockEvent{kind: sockEvError, err: err}) }

// OnClose is the adapter's report of the end of the connection.
func (c *sockConn) OnClose(err error) {
	var ce *CloseError
	if !errors.As(err, &ce) {
		ce = &CloseError{Code: sockCloseAbnormal, Err: err}
	} else {
		cp := *ce // shutdown may mark it: keep the adapter's value intact
		ce = &cp
	}
	c.shutdown(ce, false)
}

// report queues ev, or holds it until start when Connect has not returned.
func (c *sockConn) report(ev sockEvent) {
	if c.started.Load() {
		c.queue(ev, nil)
		return
	}
	c.emu.Lock()
	if !c.started.Load() {
		c.early = append(c.early, ev)
		c.emu.Unlock()
		return
	}
	c.queue(ev, nil)
	c.emu.Unlock()
}

// queue queues ev for the handlers, applying the overflow policy. From a
// read loop that can lend its reading to spare, it reports whether the
// caller is to run the handlers inline (see sockEventQueue.pushFrom).
func (c *sockConn) queue(ev sockEvent, spare func()) (inline bool) {
	fit, inline := c.s.q.pushFrom(ev, false, spare)
	if !fit && c.s.opts.DisconnectOnQueueFull {
		c.shutdown(&CloseError{Code: sockClosePolicy, Err: ErrEventQueueFull}, false)
	}
	return inline
}
