//go:build !js

package nakama

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// WebSocketAdapterOptions configures a WebSocketAdapter. The zero value is
// ready to use.
type WebSocketAdapterOptions struct {
	// ReadLimit is the largest message the adapter reads; a larger one
	// closes the connection (code 1009). Default DefaultSocketReadLimit;
	// negative for no limit.
	ReadLimit int64
	// HTTPClient makes the handshake request. Default http.DefaultClient.
	// Its Transport must answer a switch to WebSocket with a writable body,
	// as http.Transport does; the adapter wraps that body (the connection)
	// to gather the writes of one Send, and leaves the client itself
	// unchanged. It does nothing in a browser.
	HTTPClient *http.Client
	// HTTPHeader is added to the handshake request. It does nothing in a
	// browser.
	HTTPHeader http.Header
}

// WebSocketAdapter is a SocketAdapter over github.com/coder/websocket, which
// uses the browser's WebSocket when built for js/wasm. It reads on one
// goroutine per connection, and writes each frame as one message; natively,
// the frames of one Send leave in one network write. Between messages it
// holds no buffer of its own. Its methods are safe for concurrent use,
// within the SocketAdapter contract.
type WebSocketAdapter struct {
	opts WebSocketAdapterOptions

	mu       sync.Mutex
	conn     *websocket.Conn
	batch    sockBatcher
	typ      websocket.MessageType
	readDone chan struct{}
}

// sockBatcher gathers the writes of one Send into one network write: the
// native connection under coder/websocket is one (websocket_adapter_notjs.go).
// The dial's context carries a *sockBatcher that its transport fills in.
type sockBatcher interface {
	cork()
	uncork() error
}

type sockBatcherKey struct{}

var _ SocketAdapter = (*WebSocketAdapter)(nil)

// NewWebSocketAdapter returns an adapter; opts may be nil and is copied.
func NewWebSocketAdapter(opts *WebSocketAdapterOptions) *WebSocketAdapter {
	a := &WebSocketAdapter{}
	if opts != nil {
		a.opts = *opts
		a.opts.HTTPHeader = opts.HTTPHeader.Clone()
	}
	if a.opts.ReadLimit == 0 {
		a.opts.ReadLimit = DefaultSocketReadLimit
	}
	return a
}

// Connect dials p.URL(); ctx bounds only the handshake. Errors never hold
// the token.
func (a *WebSocketAdapter) Connect(ctx context.Context, p *SocketConnectParams, h SocketAdapterHandler) error {
	a.mu.Lock()
	if a.conn != nil {
		if !sockIsClosed(a.readDone) {
			a.mu.Unlock()
			return errors.New("nakama: socket adapter already connected")
		}
		// The previous connection ended without a Close: release it.
		_ = a.conn.CloseNow()
		a.conn = nil
	}
	a.mu.Unlock()

	var batch sockBatcher
	dctx := context.WithValue(ctx, sockBatcherKey{}, &batch)
	conn, resp, err := websocket.Dial(dctx, p.URL(), sockDialOptions(&a.opts))
	if err != nil {
		return newSocketDialError(err, resp, p.Token)
	}
	limit := a.opts.ReadLimit
	if limit < 0 {
		limit = -1 // coder/websocket: no limit
	}
	conn.SetReadLimit(limit)
	typ := websocket.MessageBinary
	if p.Format == SocketJSON {
		typ = websocket.MessageText
	}
	done := make(chan struct{})
	a.mu.Lock()
	a.conn, a.batch, a.typ, a.readDone = conn, batch, typ, done
	a.mu.Unlock()
	go a.readLoop(conn, h, done)
	return nil
}

// sockReadPool holds the read loops' message buffers: a connection takes
// one per message, so that an idle one holds none.
var sockReadPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readLoop reads messages until the connection ends.
func (a *WebSocketAdapter) readLoop(conn *websocket.Conn, h SocketAdapterHandler, done chan struct{}) {
	defer close(done)
	for {
		// A context that never ends: an ended read context would close
		// the connection. Close and CloseNow unblock the read.
		_, r, err := conn.Reader(context.Background())
		if err != nil {
			h.OnClose(sockCloseErrorFrom(err))
			return
		}
		buf := sockReadPool.Get().(*bytes.Buffer)
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			sockReadPool.Put(buf)
			h.OnClose(sockCloseErrorFrom(err))
			return
		}
		h.OnFrame(buf.Bytes())
		if buf.Cap() <= 64<<10 { // do not keep one huge message's memory
			sockReadPool.Put(buf)
		}
	}
}

// closeErrorFrom turns a read error into a *CloseError.
func sockCloseErrorFrom(err error) *CloseError {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	code := sockCloseAbnormal
	if errors.Is(err, websocket.ErrMessageTooBig) {
		code = int(websocket.StatusMessageTooBig)
	}
	return &CloseError{Code: code, Err: fmt.Errorf("read: %w", err)}
}

// Send writes each frame as one message; natively, all of them in one
// network write. The context is passed to the writes, and so may close the
// connection if it ends mid-write.
func (a *WebSocketAdapter) Send(ctx context.Context, frames [][]byte) error {
	a.mu.Lock()
	conn, typ, batch := a.conn, a.typ, a.batch
	a.mu.Unlock()
	if conn == nil {
		return errSockNotConnected
	}
	if batch == nil || len(frames) < 2 {
		return sockWriteAll(ctx, conn, typ, frames)
	}
	batch.cork()
	err := sockWriteAll(ctx, conn, typ, frames)
	if uerr := batch.uncork(); err == nil {
		err = uerr
	}
	return err
}

func sockWriteAll(ctx context.Context, conn *websocket.Conn, typ websocket.MessageType, frames [][]byte) error {
	for _, f := range frames {
		if err := conn.Write(ctx, typ, f); err != nil {
			return err
		}
	}
	return nil
}

// Close sends a normal close and waits (5 s at most for each step, as
// coder/websocket does) for the server's, then for the read goroutine.
func (a *WebSocketAdapter) Close() error {
	return a.close(func(c *websocket.Conn) error { return c.Close(websocket.StatusNormalClosure, "") })
}

// CloseNow drops the connection and waits for the read goroutine.
func (a *WebSocketAdapter) CloseNow() error {
	return a.close((*websocket.Conn).CloseNow)
}

func (a *WebSocketAdapter) close(f func(*websocket.Conn) error) error {
	a.mu.Lock()
	conn, done := a.conn, a.readDone
	a.mu.Unlock()
	if conn == nil {
		return nil
	}
	err := f(conn)
	<-done
	a.mu.Lock()
	if a.conn == conn {
		a.conn = nil
	}
	a.mu.Unlock()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func newSocketDialError(err error, resp *http.Response, token string) error {
	redact := func(s string) string {
		if token == "" {
			return s
		}
		s = strings.ReplaceAll(s, token, "REDACTED")
		return strings.ReplaceAll(s, url.QueryEscape(token), "REDACTED")
	}
	e := &SocketDialError{msg: redact(trimPrefix(err.Error()))}
	cause := err
	if token != "" && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), url.QueryEscape(token))) {
		cause = errors.New(e.msg)
		var ue *url.Error
		if errors.As(err, &ue) {
			r := &url.Error{Op: ue.Op, URL: redact(ue.URL), Err: ue.Err}
			if !strings.Contains(r.Error(), token) {
				cause = r
			}
		}
	}
	e.errs = append(e.errs, cause)
	if resp != nil && resp.StatusCode != 0 && resp.StatusCode != http.StatusSwitchingProtocols {
		e.HTTPStatus = resp.StatusCode
		msg := ""
		if resp.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			if utf8.Valid(b) {
				msg = strings.TrimSpace(redact(string(b)))
			}
		}
		e.errs = append(e.errs, &Error{Code: sockCodeFromHTTP(resp.StatusCode), Message: msg, HTTPStatus: resp.StatusCode})
	}
	return e
}
