//go:build !js

package nakama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gonakama/nakama/internal/wire"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// sockCountingConn counts the writes on a connection and fails them once
// told to.
type sockCountingConn struct {
	net.Conn
	writes atomic.Int64
	fail   atomic.Bool
}

var errSockTestWrite = errors.New("test: write refused")

func (c *sockCountingConn) Write(p []byte) (int, error) {
	if c.fail.Load() {
		return 0, errSockTestWrite
	}
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// sockAdapterHandler records what an adapter reports.
type sockAdapterHandler struct {
	closed chan error
}

func (h *sockAdapterHandler) OnFrame([]byte)    {}
func (h *sockAdapterHandler) OnError(error)     {}
func (h *sockAdapterHandler) OnClose(err error) { h.closed <- err }

// TestWebSocketAdapterBatchOneWrite checks that the frames of one Send
// leave in one write on the user's own transport's connection, arrive as
// separate messages in order, and that a failed write is Send's error.
func TestWebSocketAdapterBatchOneWrite(t *testing.T) {
	f := newSockFakeServer(t, func(*sockPeer, *rtapi.Envelope) bool { return true }) // records, answers nothing
	var conn *sockCountingConn
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn = &sockCountingConn{Conn: c}
		return conn, nil
	}}
	defer tr.CloseIdleConnections()
	a := NewWebSocketAdapter(&WebSocketAdapterOptions{HTTPClient: &http.Client{Transport: tr}})
	h := &sockAdapterHandler{closed: make(chan error, 1)}
	err := a.Connect(sockCtx(t), &SocketConnectParams{Endpoint: "ws" + f.url()[len("http"):] + "/ws", Token: sockToken}, h)
	if err != nil {
		t.Fatal(err)
	}
	defer a.CloseNow()
	p := f.peer()

	for _, n := range []int{1, 2, 50} {
		frames := make([][]byte, n)
		for i := range frames {
			frames[i], _ = wire.Protobuf.Append(nil, &rtapi.Envelope{Cid: fmt.Sprint(n, "-", i), Message: &rtapi.Envelope_Ping{Ping: &rtapi.Ping{}}})
		}
		before := conn.writes.Load()
		if err := a.Send(sockCtx(t), frames); err != nil {
			t.Fatal(err)
		}
		if w := conn.writes.Load() - before; w != 1 {
			t.Errorf("Send of %d frames: %d writes, want 1", n, w)
		}
		for i := range frames {
			if env := p.next(t); env.Cid != fmt.Sprint(n, "-", i) {
				t.Fatalf("message %d of %d: got cid %q", i, n, env.Cid)
			}
		}
	}

	conn.fail.Store(true)
	if err := a.Send(sockCtx(t), [][]byte{[]byte("a"), []byte("b")}); !errors.Is(err, errSockTestWrite) {
		t.Fatalf("Send on a failing connection: %v, want the write's error", err)
	}
}
