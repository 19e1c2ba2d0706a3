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
	// It does nothing in a browser.
	HTTPClient *http.Client
	// HTTPHeader is added to the handshake request. It does nothing in a
	// browser.
	HTTPHeader http.Header
}

// WebSocketAdapter is a SocketAdapter over github.com/coder/websocket, which
// uses the browser's WebSocket when built for js/wasm. It reads on one
// goroutine per connection, reusing its read buffer, and writes each frame as
// one message. Its methods are safe for concurrent use, within the
// SocketAdapter contract.
type WebSocketAdapter struct {
	opts WebSocketAdapterOptions

	mu       sync.Mutex
	conn     *websocket.Conn
	typ      websocket.MessageType
	readDone chan struct{}
}

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

	conn, resp, err := websocket.Dial(ctx, p.URL(), sockDialOptions(&a.opts))
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
	a.conn, a.typ, a.readDone = conn, typ, done
	a.mu.Unlock()
	go a.readLoop(conn, h, done)
	return nil
}

// readLoop reads messages into one reused buffer until the connection ends.
func (a *WebSocketAdapter) readLoop(conn *websocket.Conn, h SocketAdapterHandler, done chan struct{}) {
	defer close(done)
	var buf bytes.Buffer
	for {
		// A context that never ends: an ended read context would close
		// the connection. Close and CloseNow unblock the read.
		_, r, err := conn.Reader(context.Background())
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			h.OnClose(sockCloseErrorFrom(err))
			return
		}
		h.OnFrame(buf.Bytes())
		if buf.Cap() > 64<<10 {
			buf = bytes.Buffer{} // do not hold on to one huge message's memory
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

// Send writes each frame as one message. The context is passed to the
// write, and so may close the connection if it ends mid-write.
func (a *WebSocketAdapter) Send(ctx context.Context, frames [][]byte) error {
	a.mu.Lock()
	conn, typ := a.conn, a.typ
	a.mu.Unlock()
	if conn == nil {
		return errSockNotConnected
	}
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
