package faulty

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// WSRelay is a scripted WebSocket peer in front of a real one, in the
// spirit of pgx's pgmock: it accepts WebSocket connections, relays each,
// message by message, to the same path and query on its target, and lets a
// test slip messages of its own (malformed, unknown, oversized, of the
// wrong frame type) in between the target's, at message boundaries. Its
// methods are safe for concurrent use.
type WSRelay struct {
	target *url.URL
	srv    *httptest.Server

	mu     sync.Mutex
	conns  []*WSConn
	closed bool
	events notifier
	wg     sync.WaitGroup
}

// NewWSRelay starts a relay on a loopback port to the WebSocket server at
// target, an http or ws base URL such as a nakamatest server's. Close it
// when done.
func NewWSRelay(target string) (*WSRelay, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	r := &WSRelay{target: u}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r, nil
}

// URL returns the relay's base URL, http://host:port.
func (r *WSRelay) URL() string { return r.srv.URL }

// Conns returns the open relayed connections, oldest first.
func (r *WSRelay) Conns() []*WSConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.conns)
}

// Await returns once cond holds, or with ctx's error; it checks cond now
// and whenever a connection opens or closes.
func (r *WSRelay) Await(ctx context.Context, cond func() bool) error {
	return r.events.await(ctx, cond)
}

// Close drops every relayed connection and returns once every goroutine of
// the relay has exited. It is idempotent.
func (r *WSRelay) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	conns := slices.Clone(r.conns)
	r.mu.Unlock()
	for _, c := range conns {
		c.drop()
	}
	r.srv.Close()
	r.wg.Wait()
}

// WSConn is one relayed connection.
type WSConn struct {
	client, target *websocket.Conn
	wmu            sync.Mutex // serialises writes to the client
}

// Inject sends b to the client as one message, binary or text, between
// two of the target's messages.
func (c *WSConn) Inject(ctx context.Context, binary bool, b []byte) error {
	typ := websocket.MessageText
	if binary {
		typ = websocket.MessageBinary
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.client.Write(ctx, typ, b)
}

func (c *WSConn) drop() {
	_ = c.client.CloseNow()
	_ = c.target.CloseNow()
}

func (r *WSRelay) serve(w http.ResponseWriter, req *http.Request) {
	u := *r.target
	u.Path = strings.TrimSuffix(u.Path, "/") + req.URL.Path
	u.RawQuery = req.URL.RawQuery
	target, resp, err := websocket.Dial(req.Context(), u.String(), nil)
	if err != nil {
		status := http.StatusBadGateway
		if resp != nil && resp.StatusCode != 0 {
			status = resp.StatusCode // the target's refusal, a 401 say
		}
		http.Error(w, "relay: "+err.Error(), status)
		return
	}
	client, err := websocket.Accept(w, req, nil)
	if err != nil {
		_ = target.CloseNow()
		return
	}
	// The relay judges no sizes: the client's limit is under test.
	target.SetReadLimit(-1)
	client.SetReadLimit(-1)
	c := &WSConn{client: client, target: target}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		c.drop()
		return
	}
	r.conns = append(r.conns, c)
	r.wg.Add(1)
	r.mu.Unlock()
	r.events.notify()
	defer func() {
		r.mu.Lock()
		r.conns = slices.DeleteFunc(r.conns, func(x *WSConn) bool { return x == c })
		r.mu.Unlock()
		r.events.notify()
		r.wg.Done()
	}()

	up := make(chan struct{})
	go func() {
		defer close(up)
		relay(client, target, nil)
	}()
	relay(target, client, &c.wmu)
	<-up
}

// relay copies messages from src to dst until either ends, then passes a
// close frame on (or drops dst) and closes src.
func relay(src, dst *websocket.Conn, wmu *sync.Mutex) {
	ctx := context.Background()
	for {
		typ, b, err := src.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				_ = dst.Close(ce.Code, ce.Reason)
			} else {
				_ = dst.CloseNow()
			}
			_ = src.CloseNow()
			return
		}
		if wmu != nil {
			wmu.Lock()
		}
		err = dst.Write(ctx, typ, b)
		if wmu != nil {
			wmu.Unlock()
		}
		if err != nil {
			_ = src.CloseNow()
			_ = dst.CloseNow()
			return
		}
	}
}
