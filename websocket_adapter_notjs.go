//go:build !js

package nakama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/gonakama/nakama/internal/wsclient"
)

// WebSocketAdapter is the default SocketAdapter: the client side of RFC
// 6455, after an HTTP/1.1 upgrade made by net/http (so the user's
// http.Client, its proxy and TLS settings apply; wss:// is TLS). In js/wasm
// builds it uses the browser's WebSocket instead.
//
// It is built to be light while idle: an idle connection holds no buffer
// (its read goroutine waits on a 128-byte array in the connection, then
// reads from a pooled buffer while messages keep coming) and one goroutine,
// the read loop, which also answers pings. The frames of one Send are
// masked into one pooled buffer and leave in one network write. Its
// methods are safe for concurrent use, within the SocketAdapter contract.
type WebSocketAdapter struct {
	opts WebSocketAdapterOptions

	mu       sync.Mutex
	conn     *wsclient.Conn
	typ      wsclient.MessageType
	readDone chan struct{}
}

var _ SocketAdapter = (*WebSocketAdapter)(nil)

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

	limit := a.opts.ReadLimit
	if limit < 0 {
		limit = 0 // wsclient: no limit
	}
	conn, resp, err := wsclient.Dial(ctx, p.URL(), &wsclient.DialOptions{
		HTTPClient: a.opts.HTTPClient, Header: a.opts.HTTPHeader, ReadLimit: limit})
	if err != nil {
		return newSocketDialError(err, resp, p.Token)
	}
	typ := wsclient.Binary
	if p.Format == SocketJSON {
		typ = wsclient.Text
	}
	done := make(chan struct{})
	a.mu.Lock()
	a.conn, a.typ, a.readDone = conn, typ, done
	a.mu.Unlock()
	go a.readLoop(conn, h, done)
	return nil
}

// readLoop reads messages until the connection ends. A handler that runs
// events inline (sockInlineHandler) may hand the reading over to a new
// loop, started by spare; this one then ends at once.
func (a *WebSocketAdapter) readLoop(conn *wsclient.Conn, h SocketAdapterHandler, done chan struct{}) {
	ih, _ := h.(sockInlineHandler)
	var spare func()
	if ih != nil {
		spare = func() { go a.readLoop(conn, h, done) }
	}
	for {
		_, p, err := conn.Read()
		if err != nil {
			h.OnClose(sockCloseErrorFrom(err))
			close(done)
			return
		}
		if ih == nil {
			h.OnFrame(p)
		} else if !ih.onFrameInline(p, spare) {
			return
		}
	}
}

// sockCloseErrorFrom turns a read error into a *CloseError.
func sockCloseErrorFrom(err error) *CloseError {
	var ce *wsclient.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Reason: ce.Reason}
	}
	code := sockCloseAbnormal
	if errors.Is(err, wsclient.ErrMessageTooBig) {
		code = wsclient.StatusMessageTooBig
	}
	return &CloseError{Code: code, Err: fmt.Errorf("read: %w", err)}
}

// Send writes each frame as one message, all of them in one network write
// (up to 32 KiB a write). ctx is not used: a write ends when it is done or
// when Close or CloseNow drops the connection.
func (a *WebSocketAdapter) Send(_ context.Context, frames [][]byte) error {
	a.mu.Lock()
	conn, typ := a.conn, a.typ
	a.mu.Unlock()
	if conn == nil {
		return errSockNotConnected
	}
	return conn.Write(typ, frames...)
}

// Close sends a normal close and waits (5 s at most for each step) for the
// server's, then for the read goroutine.
func (a *WebSocketAdapter) Close() error {
	return a.close(func(c *wsclient.Conn) error { return c.Close(wsclient.StatusNormal, "") })
}

// CloseNow drops the connection and waits for the read goroutine.
func (a *WebSocketAdapter) CloseNow() error {
	return a.close((*wsclient.Conn).CloseNow)
}

func (a *WebSocketAdapter) close(f func(*wsclient.Conn) error) error {
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
