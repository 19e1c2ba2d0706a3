package nakama

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"syscall/js"
	"time"
)

// WebSocketAdapterOptions configures a WebSocketAdapter. The zero value is
// ready to use.
//
// In a browser the browser makes the handshake, with its own headers and
// cookies, so only ReadLimit remains.
type WebSocketAdapterOptions struct {
	// ReadLimit is the largest message the adapter reads; a larger one
	// closes the connection, reported with code 1009. Default
	// DefaultSocketReadLimit; negative for no limit.
	ReadLimit int64
}

// WebSocketAdapter is a SocketAdapter over the browser's WebSocket (in
// js/wasm builds), through syscall/js, so a program links neither net/http
// nor a WebSocket library. Protobuf travels in binary messages
// (ArrayBuffers), JSON in text messages.
//
// The browser's events are never handled inside its callbacks: each
// callback only queues what arrived, and one goroutine per connection hands
// it to the SocketAdapterHandler, in order, so a handler that blocks cannot
// stall the browser's event loop. Close and CloseNow both start the
// browser's close handshake (code 1000) and report the end at once, without
// waiting for the server's answer, which only a later JavaScript task could
// bring. Send waits while the browser holds more than a megabyte not yet
// sent, the only back-pressure a browser WebSocket gives.
//
// A refused handshake is all a browser tells, without the server's answer;
// the adapter then asks the server once with a plain request, so that a
// rejected token still comes back as a *SocketDialError wrapping a *Error
// with code Unauthenticated.
type WebSocketAdapter struct {
	opts WebSocketAdapterOptions

	mu   sync.Mutex
	conn *jsSocket
}

var _ SocketAdapter = (*WebSocketAdapter)(nil)

// NewWebSocketAdapter returns an adapter; opts may be nil and is copied.
func NewWebSocketAdapter(opts *WebSocketAdapterOptions) *WebSocketAdapter {
	a := &WebSocketAdapter{}
	if opts != nil {
		a.opts = *opts
	}
	if a.opts.ReadLimit == 0 {
		a.opts.ReadLimit = DefaultSocketReadLimit
	}
	return a
}

// jsSocketHighWater is how many bytes the browser may hold unsent before
// Send waits for it to drain.
const jsSocketHighWater = 1 << 20

// jsSocket is one browser WebSocket and the queue between its callbacks and
// the goroutine that reports to the handler.
type jsSocket struct {
	ws    js.Value
	h     SocketAdapterHandler
	text  bool
	limit int64
	funcs []js.Func

	// opened is closed by the open event; failed receives the close event
	// that came instead.
	opened chan struct{}
	failed chan *CloseError

	mu       sync.Mutex
	events   []jsSocketEvent
	ended    bool // the end is queued: nothing more is
	detached bool // the callbacks are released
	wake     chan struct{}
	readDone chan struct{}
}

// jsSocketEvent is a frame, or the end when end is set.
type jsSocketEvent struct {
	frame []byte
	end   error
}

// Connect opens a browser WebSocket to p.URL(); ctx bounds only the
// handshake. Errors never hold the token.
func (a *WebSocketAdapter) Connect(ctx context.Context, p *SocketConnectParams, h SocketAdapterHandler) error {
	a.mu.Lock()
	if a.conn != nil {
		if !a.conn.isEnded() {
			a.mu.Unlock()
			return errors.New("nakama: socket adapter already connected")
		}
		a.conn = nil // ended without a Close: its goroutine is gone or going
	}
	a.mu.Unlock()

	c := &jsSocket{h: h, text: p.Format == SocketJSON, limit: a.opts.ReadLimit,
		opened: make(chan struct{}), failed: make(chan *CloseError, 1),
		wake: make(chan struct{}, 1), readDone: make(chan struct{})}
	if err := c.dial(ctx, p); err != nil {
		return err
	}
	a.mu.Lock()
	a.conn = c
	a.mu.Unlock()
	go c.readLoop()
	return nil
}

func (c *jsSocket) dial(ctx context.Context, p *SocketConnectParams) error {
	ctor := js.Global().Get("WebSocket")
	if ctor.Type() != js.TypeFunction {
		return jsDialError(errors.New("this JavaScript environment has no WebSocket"), p.Token, nil)
	}
	if err := ctx.Err(); err != nil {
		return jsDialError(err, p.Token, nil)
	}
	if err := jsTry(func() { c.ws = ctor.New(p.URL()) }); err != nil {
		return jsDialError(err, p.Token, nil) // the browser's message quotes the URL
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.on("open", func(js.Value) { close(c.opened) })
	c.on("message", c.onMessage)
	c.on("close", c.onClose)
	// A browser follows an error event with a close event, which says
	// more; Node's WebSocket sends only the error for a refused handshake.
	c.on("error", func(js.Value) {
		select {
		case <-c.opened:
		default:
			c.fail(&CloseError{Code: sockCloseAbnormal})
		}
	})
	select {
	case <-c.opened:
		return nil
	case ce := <-c.failed:
		c.detach()
		return jsDialError(fmt.Errorf("handshake failed (close code %d)", ce.Code), p.Token, jsRefusal(ctx, p))
	case <-ctx.Done():
		c.detach()
		_ = jsTry(func() { c.ws.Call("close") })
		return jsDialError(ctx.Err(), p.Token, nil)
	}
}

// on sets the handler of one event of the socket; detach releases them.
func (c *jsSocket) on(event string, f func(ev js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(jsArg(args))
		return nil
	})
	c.funcs = append(c.funcs, fn)
	c.ws.Set("on"+event, fn)
}

// detach unhooks and releases the event handlers, once: after it the
// browser calls none of them.
func (c *jsSocket) detach() {
	c.mu.Lock()
	done := c.detached
	c.detached = true
	c.mu.Unlock()
	if done {
		return
	}
	for _, ev := range []string{"onopen", "onmessage", "onclose", "onerror"} {
		c.ws.Set(ev, js.Null())
	}
	for _, fn := range c.funcs {
		fn.Release()
	}
}

// onMessage runs in the browser's message event: it copies the frame and
// queues it, or ends the connection when the frame is over the limit.
func (c *jsSocket) onMessage(ev js.Value) {
	data := ev.Get("data")
	var frame []byte
	var n int
	if data.Type() == js.TypeString {
		frame = []byte(data.String())
		n = len(frame)
	} else {
		n = data.Get("byteLength").Int()
	}
	if c.limit >= 0 && int64(n) > c.limit {
		c.queue(jsSocketEvent{end: &CloseError{Code: 1009,
			Err: fmt.Errorf("read: %w: %d bytes, limit %d", ErrMessageTooBig, n, c.limit)}})
		// A browser may send only 1000 or 3000-4999; the reason says why.
		_ = jsTry(func() { c.ws.Call("close", 1000, "message too big") })
		c.detach()
		return
	}
	if frame == nil {
		frame = make([]byte, n)
		js.CopyBytesToGo(frame, jsUint8Array.New(data))
	}
	c.queue(jsSocketEvent{frame: frame})
}

// onClose runs in the browser's close event, the last one of a socket.
func (c *jsSocket) onClose(ev js.Value) {
	ce := &CloseError{Code: ev.Get("code").Int(), Reason: ev.Get("reason").String()}
	if ce.Code == sockCloseAbnormal {
		ce.Err = errors.New("read: connection lost")
	}
	select {
	case <-c.opened:
		c.queue(jsSocketEvent{end: ce})
	default:
		c.fail(ce)
	}
	c.detach()
}

// fail reports a handshake that failed; the first report is kept.
func (c *jsSocket) fail(ce *CloseError) {
	select {
	case c.failed <- ce:
	default:
	}
}

// queue queues a frame or the end for the handler; nothing is queued
// after the end, so the first cause wins.
func (c *jsSocket) queue(ev jsSocketEvent) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.events = append(c.events, ev)
	c.ended = ev.end != nil
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *jsSocket) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// readLoop hands queued events to the handler until the end.
func (c *jsSocket) readLoop() {
	defer close(c.readDone)
	var batch []jsSocketEvent
	for range c.wake {
		c.mu.Lock()
		batch, c.events = c.events, batch[:0]
		c.mu.Unlock()
		for i, ev := range batch {
			if ev.end != nil {
				c.h.OnClose(ev.end)
				return
			}
			c.h.OnFrame(ev.frame)
			batch[i] = jsSocketEvent{}
		}
	}
}

// Send writes each frame as one message: text for JSON, binary for
// protobuf. It then waits, while ctx allows, for the browser to send what
// it holds beyond a megabyte.
func (a *WebSocketAdapter) Send(ctx context.Context, frames [][]byte) error {
	a.mu.Lock()
	c := a.conn
	a.mu.Unlock()
	if c == nil {
		return errSockNotConnected
	}
	for _, f := range frames {
		if c.isEnded() {
			return ErrSocketClosed
		}
		var err error
		if c.text {
			err = jsTry(func() { c.ws.Call("send", string(f)) })
		} else {
			b := jsUint8Array.New(len(f))
			js.CopyBytesToJS(b, f)
			err = jsTry(func() { c.ws.Call("send", b) })
		}
		if err != nil {
			return err
		}
	}
	for c.ws.Get("bufferedAmount").Int() > jsSocketHighWater && !c.isEnded() {
		// The browser has no event for a drained buffer: poll it.
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// Close starts the close handshake (code 1000), reports the end with
// ErrSocketClosed and returns once the handler has had it. It waits for no
// browser event, so it may run in a JavaScript event callback.
func (a *WebSocketAdapter) Close() error { return a.close() }

// CloseNow is Close: a browser has no way to drop a connection without the
// close handshake.
func (a *WebSocketAdapter) CloseNow() error { return a.close() }

func (a *WebSocketAdapter) close() error {
	a.mu.Lock()
	c := a.conn
	a.mu.Unlock()
	if c == nil {
		return nil
	}
	c.queue(jsSocketEvent{end: ErrSocketClosed})
	c.detach()
	_ = jsTry(func() { c.ws.Call("close", 1000) })
	<-c.readDone
	a.mu.Lock()
	if a.conn == c {
		a.conn = nil
	}
	a.mu.Unlock()
	return nil
}

// jsDialError is a failed Connect, with the token removed from every
// message; refusal is the server's answer, when known.
func jsDialError(err error, token string, refusal *Error) error {
	msg := trimPrefix(err.Error())
	if token != "" && (strings.Contains(msg, token) || strings.Contains(msg, url.QueryEscape(token))) {
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, token, "REDACTED"), url.QueryEscape(token), "REDACTED")
		err = errors.New(msg)
	}
	e := &SocketDialError{msg: msg, errs: []error{err}}
	if refusal != nil {
		e.HTTPStatus = refusal.HTTPStatus
		e.msg += fmt.Sprintf(": server answered HTTP %d", refusal.HTTPStatus)
		e.errs = append(e.errs, refusal)
	}
	return e
}

// jsRefusal asks the server why it refused a handshake: a browser does not
// say. The server checks the token before the upgrade, so a plain GET of
// the socket's URL gets the same refusal; 400 is its answer to any request
// that cannot upgrade, and tells nothing. It returns nil when the server
// gave no other answer within the handshake's time, at most 5 seconds.
func jsRefusal(ctx context.Context, p *SocketConnectParams) *Error {
	u := "http" + strings.TrimPrefix(p.URL(), "ws")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ans, err := jsFetch(ctx, "GET", u, nil, nil, func(int) int64 { return 256 })
	if err != nil || ans.status < 401 || ans.status > 599 {
		return nil
	}
	msg := strings.TrimSpace(string(ans.body))
	if p.Token != "" {
		msg = strings.ReplaceAll(msg, p.Token, "REDACTED")
	}
	return &Error{Code: sockCodeFromHTTP(ans.status), Message: clipString(msg, 200), HTTPStatus: ans.status}
}
