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
// SocketOptions.Adapter says otherwise). Make one with NewWebSocket, set its
// handlers, then Connect.
//
// Every method is safe for concurrent use, handlers included: a handler may
// make requests on the socket, Connect again or Close it.
//
// # Goroutines and Close
//
// While connected, a WebSocket runs the adapter's read loop, one writer, one
// keeper (heartbeat, then shutdown) and, with AutoDispatch, one dispatcher.
// The read loop decodes frames, hands answers to the requests waiting for
// them and queues everything else as events; it never waits for a handler.
// The connection lasts until Close, or until the link fails (a read or
// write error, a close frame from the server, a heartbeat timeout). Close is
// required to release it, is idempotent, and returns after all those
// goroutines have exited and the OnDisconnect handler has been queued (and,
// with AutoDispatch, run). Called from a handler running on the dispatcher,
// it cannot wait for that goroutine, which exits when the handler returns.
// After a disconnect, Connect may be called again; handlers stay set.
//
// # Events
//
// Handlers run in the order their messages arrived: on the goroutine that
// calls Tick (the game-loop model; nothing runs until it does), or with
// AutoDispatch on one goroutine of the socket. A panicking handler is
// recovered and reported to OnError as an error wrapping ErrHandlerPanic.
// See SocketOptions.EventQueueSize for what happens when handlers fall
// behind.
type WebSocket struct {
	endpoint string
	opts     SocketOptions
	format   wire.Format
	adapter  SocketAdapter

	mu         sync.Mutex
	conn       *sockConn
	connecting bool
	// dispatcher, when running, is closed as the dispatcher exits.
	dispatcher     chan struct{}
	dispatcherGoid atomic.Uint64

	h      sockHandlers
	q      sockEventQueue
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
	s.opts.Keepalive = s.opts.Keepalive.withDefaults()
	if s.opts.EventQueueSize <= 0 {
		s.opts.EventQueueSize = DefaultEventQueueSize
	}
	if s.opts.WriteQueueSize <= 0 {
		s.opts.WriteQueueSize = DefaultWriteQueueSize
	}
	if s.opts.MaxMessageSize == 0 {
		s.opts.MaxMessageSize = DefaultMaxMessageSize
	}
	s.adapter = s.opts.Adapter
	if s.adapter == nil {
		s.adapter = NewWebSocketAdapter(nil)
	}
	s.format = s.opts.Format.wire()
	s.q.init(s.opts.EventQueueSize)
	return s, nil
}

// Endpoint returns the address the socket dials, without a query.
func (s *WebSocket) Endpoint() string { return s.endpoint }

// Format returns the socket's wire format.
func (s *WebSocket) Format() SocketFormat { return s.opts.Format }

// Connect opens the socket as session's user. ctx bounds only the dial and
// handshake; the connection then lasts until Close or a disconnect. It fails
// when the socket is already connected. A handshake the server refuses is
// a *SocketDialError, which wraps a *Error when the server said why
// (errors.Is(err, ErrUnauthenticated) for a bad or expired token). The OnConnect
// handler is queued before any event of the new connection.
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
	if s.connecting || (prev != nil && !prev.isDone()) {
		s.mu.Unlock()
		return &OpError{Op: "Connect", Err: errors.New("socket already connected")}
	}
	s.connecting = true
	s.mu.Unlock()

	if prev != nil {
		<-prev.finished
	}
	c := newSockConn(s)
	err := s.adapter.Connect(ctx, &SocketConnectParams{
		Endpoint:     s.endpoint,
		Token:        session.Token(),
		Format:       s.opts.Format,
		AppearOnline: o.AppearOnline,
		Lang:         o.Lang,
	}, c)

	s.mu.Lock()
	s.connecting = false
	if err != nil {
		s.mu.Unlock()
		s.q.wake() // a dispatcher waiting for this Connect may now exit
		return &OpError{Op: "Connect", Err: err}
	}
	s.conn = c
	var startDispatcher chan struct{}
	if s.opts.AutoDispatch && s.dispatcher == nil {
		startDispatcher = make(chan struct{})
		s.dispatcher = startDispatcher
	}
	s.mu.Unlock()

	c.start()
	if startDispatcher != nil {
		go s.dispatchLoop(startDispatcher)
	}
	return nil
}

// IsConnected reports whether the socket is open: connected, and not yet
// closed or disconnected.
func (s *WebSocket) IsConnected() bool {
	c := s.current()
	return c != nil && !c.isDone()
}

// Close closes the connection with a close handshake (bounded in time),
// fails every waiting request with a *CloseError, queues the OnDisconnect
// handler, and returns once every goroutine the socket started has exited;
// see the type's doc for the one exception. It is idempotent, and does
// nothing on a socket that is not connected. Close does not stop a Connect
// in progress: cancel its context instead. In a browser (js/wasm) it
// returns at once and finishes on a goroutine, so that a JavaScript event
// callback may call it; OnDisconnect says when it is done.
func (s *WebSocket) Close() error {
	s.mu.Lock()
	c := s.conn
	d := s.dispatcher
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	c.shutdown(&CloseError{Code: sockCloseNormal, Reason: "closed by the client"}, true)
	sockFinishClose(func() {
		<-c.finished
		if d != nil {
			if g := sockGoid(); g == 0 || s.dispatcherGoid.Load() != g {
				<-d
			}
		}
	})
	return nil
}

func (s *WebSocket) current() *sockConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// request sends env and returns the server's answer; the server's error
// envelope becomes a *SocketError. Errors are wrapped with op.
func (s *WebSocket) request(ctx context.Context, op string, env *rtapi.Envelope) (*rtapi.Envelope, error) {
	c := s.current()
	if c == nil {
		return nil, &OpError{Op: op, Err: errSockNotConnected}
	}
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
	var zero W
	resp, err := s.request(ctx, op, env)
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
	_, err := sockAsk[*rtapi.Envelope_Pong](ctx, s, "Ping", &rtapi.Envelope{Message: &rtapi.Envelope_Ping{Ping: &rtapi.Ping{}}})
	return err
}

// sockConn is one connection of a WebSocket: its requests, its write queue
// and its goroutines. It is the adapter's handler.
type sockConn struct {
	s *WebSocket

	// done is closed by shutdown; err is set before.
	done     chan struct{}
	doneOnce sync.Once
	err      error
	graceful bool
	// finished is closed when the keeper is done: adapter closed, writer
	// gone, disconnect queued.
	finished chan struct{}

	wq chan *[]byte
	// writerDone is closed when the writer exits.
	writerDone chan struct{}
	nextCID    atomic.Uint64
	pmu        sync.Mutex
	pending    map[uint64]*sockPending

	// Events the adapter reports before Connect returns wait in early, so
	// that OnConnect comes first.
	emu     sync.Mutex
	started atomic.Bool
	early   []sockEvent
}

type sockPending struct{ ch chan *rtapi.Envelope }

var sockPendingPool = sync.Pool{New: func() any { return &sockPending{ch: make(chan *rtapi.Envelope, 1)} }}

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
	return &sockConn{
		s:          s,
		done:       make(chan struct{}),
		finished:   make(chan struct{}),
		wq:         make(chan *[]byte, s.opts.WriteQueueSize),
		writerDone: make(chan struct{}),
		pending:    make(map[uint64]*sockPending),
	}
}

// start runs the connection's goroutines and releases the events that
// arrived during Connect, after OnConnect.
func (c *sockConn) start() {
	c.emu.Lock()
	c.s.q.push(sockEvent{kind: sockEvConnect}, true)
	for _, ev := range c.early {
		c.queue(ev)
	}
	c.early = nil
	c.started.Store(true)
	c.emu.Unlock()
	// The keeper queues the disconnect, so it starts after the connect
	// is queued, even when the connection already ended.
	go c.writeLoop()
	go c.keep()
}

func (c *sockConn) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// shutdown ends the connection for cause (a *CloseError); the first cause
// wins. It never blocks, so the read loop may call it.
func (c *sockConn) shutdown(cause *CloseError, graceful bool) {
	c.doneOnce.Do(func() {
		c.err = cause
		c.graceful = graceful
		close(c.done)
	})
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

// enqueue hands a frame to the writer, waiting while the write queue is
// full. The frame is the writer's from then on.
func (c *sockConn) enqueue(ctx context.Context, b *[]byte) error {
	select {
	case c.wq <- b:
		return nil
	default:
	}
	select {
	case c.wq <- b:
		return nil
	case <-ctx.Done():
		sockPutBuf(b)
		return ctx.Err()
	case <-c.done:
		sockPutBuf(b)
		return c.err
	}
}

func (c *sockConn) sendFrame(ctx context.Context, b *[]byte) error {
	if c.isDone() {
		sockPutBuf(b)
		return c.err
	}
	if err := c.checkSize(len(*b)); err != nil {
		sockPutBuf(b)
		return err
	}
	return c.enqueue(ctx, b)
}

// request registers for the answer to env under a fresh cid, then sends env
// and waits for the answer, ctx or the end of the connection.
func (c *sockConn) request(ctx context.Context, env *rtapi.Envelope) (*rtapi.Envelope, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.isDone() {
		return nil, c.err
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
	if err := c.enqueue(ctx, b); err != nil {
		c.forget(id, p)
		return nil, err
	}
	select {
	case resp := <-p.ch:
		sockPendingPool.Put(p)
		return resp, nil
	case <-ctx.Done():
		c.forget(id, p)
		return nil, ctx.Err()
	case <-c.done:
		c.forget(id, p)
		return nil, c.err
	}
}

// forget drops a request's registration. If the read loop took it first,
// its answer is on the way and is drained, so that p can be reused.
func (c *sockConn) forget(id uint64, p *sockPending) {
	c.pmu.Lock()
	_, ok := c.pending[id]
	delete(c.pending, id)
	c.pmu.Unlock()
	if !ok {
		<-p.ch
	}
	sockPendingPool.Put(p)
}

// writeLoop writes queued frames, taking every frame queued so far in one
// batch, so that concurrent senders share one wake-up and one Send.
func (c *sockConn) writeLoop() {
	defer close(c.writerDone)
	const maxBatch = 64
	batch := make([]*[]byte, 0, maxBatch)
	frames := make([][]byte, 0, maxBatch)
	for {
		select {
		case b := <-c.wq:
			batch = append(batch, b)
		case <-c.done:
			// After Close, write what was queued before it (the keeper
			// bounds the time this may take); otherwise the link is gone.
			if !c.graceful {
				return
			}
			select {
			case b := <-c.wq:
				batch = append(batch, b)
			default:
				return
			}
		}
	more:
		for len(batch) < maxBatch {
			select {
			case b := <-c.wq:
				batch = append(batch, b)
			default:
				break more
			}
		}
		for _, b := range batch {
			frames = append(frames, *b)
		}
		err := c.s.adapter.Send(context.Background(), frames)
		for i, b := range batch {
			sockPutBuf(b)
			batch[i] = nil
			frames[i] = nil
		}
		batch, frames = batch[:0], frames[:0]
		if err != nil {
			c.shutdown(&CloseError{Code: sockCloseAbnormal, Err: fmt.Errorf("write: %w", err)}, false)
			return
		}
	}
}

// sockFlushTimeout bounds how long Close lets the writer flush the frames
// queued before it.
const sockFlushTimeout = 5 * time.Second

func sockPingEnvelope() *rtapi.Envelope {
	return &rtapi.Envelope{Message: &rtapi.Envelope_Ping{Ping: &rtapi.Ping{}}}
}

// keep runs the heartbeat until the connection ends, then closes the
// adapter, waits for the writer and queues the disconnect.
func (c *sockConn) keep() {
	defer func() {
		close(c.finished)
		// The dispatcher exits once the connection is finished and the
		// queue empty: let it see the former.
		c.s.q.wake()
	}()
	k := c.s.opts.Keepalive
	if !k.Disable {
		t := time.NewTimer(k.Interval)
	beat:
		for {
			select {
			case <-c.done:
				break beat
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), k.Timeout)
			_, err := c.request(ctx, sockPingEnvelope())
			cancel()
			if err != nil && ctx.Err() != nil && !c.isDone() {
				c.shutdown(&CloseError{Code: sockCloseAbnormal,
					Err: fmt.Errorf("%w: no pong within %v", ErrHeartbeatTimeout, k.Timeout)}, false)
				break
			}
			t.Reset(k.Interval)
		}
		t.Stop()
	} else {
		<-c.done
	}
	if c.graceful {
		t := time.NewTimer(sockFlushTimeout)
		select {
		case <-c.writerDone:
		case <-t.C:
			_ = c.s.adapter.CloseNow() // a write is stuck: unblock it
		}
		t.Stop()
		<-c.writerDone
		_ = c.s.adapter.Close()
	} else {
		_ = c.s.adapter.CloseNow()
		<-c.writerDone
	}
	c.s.q.push(sockEvent{kind: sockEvDisconnect, err: c.err}, true)
}

// OnFrame is the adapter's report of a frame: an answer goes to the request
// waiting for it, anything else becomes an event.
func (c *sockConn) OnFrame(frame []byte) {
	env, err := c.s.format.Decode(frame)
	if err != nil {
		c.report(sockEvent{kind: sockEvError, err: fmt.Errorf("%w: undecodable %s frame of %d bytes: %v",
			ErrBadResponse, c.s.format, len(frame), err)})
		return
	}
	if env.Cid != "" {
		id, err := strconv.ParseUint(env.Cid, 10, 64)
		if err == nil {
			c.pmu.Lock()
			p := c.pending[id]
			delete(c.pending, id)
			c.pmu.Unlock()
			if p != nil {
				p.ch <- env
			}
			// No one waits: the request was cancelled. Drop it.
			return
		}
	}
	switch m := env.Message.(type) {
	case *rtapi.Envelope_Error:
		c.report(sockEvent{kind: sockEvError, err: newSocketError(m.Error)})
	case nil:
		c.report(sockEvent{kind: sockEvError, err: fmt.Errorf("%w: frame with no known message (cid %q)", ErrBadResponse, env.Cid)})
	default:
		if !isSockEvent(env.Message) {
			c.report(sockEvent{kind: sockEvError, err: fmt.Errorf("%w: unexpected %T (cid %q)", ErrBadResponse, env.Message, env.Cid)})
			return
		}
		c.report(sockEvent{kind: sockEvMessage, msg: env.Message})
	}
}

// OnError is the adapter's report of a problem the connection survives.
func (c *sockConn) OnError(err error) { c.report(sockEvent{kind: sockEvError, err: err}) }

// OnClose is the adapter's report of the end of the connection.
func (c *sockConn) OnClose(err error) {
	var ce *CloseError
	if !errors.As(err, &ce) {
		ce = &CloseError{Code: sockCloseAbnormal, Err: err}
	}
	c.shutdown(ce, false)
}

// report queues ev, or holds it until start when Connect has not returned.
func (c *sockConn) report(ev sockEvent) {
	if c.started.Load() {
		c.queue(ev)
		return
	}
	c.emu.Lock()
	if !c.started.Load() {
		c.early = append(c.early, ev)
		c.emu.Unlock()
		return
	}
	c.queue(ev)
	c.emu.Unlock()
}

// queue queues ev for the handlers, applying the overflow policy.
func (c *sockConn) queue(ev sockEvent) {
	if !c.s.q.push(ev, false) && c.s.opts.DisconnectOnQueueFull {
		c.shutdown(&CloseError{Code: sockClosePolicy, Err: ErrEventQueueFull}, false)
	}
}
