//go:build !js

package nakama

import (
	"bytes"
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

// sockRecorder is a connection that records each write.
type sockRecorder struct {
	writes [][]byte
	err    error
}

func (r *sockRecorder) Read([]byte) (int, error) { return 0, errors.New("not readable") }
func (r *sockRecorder) Close() error             { return nil }
func (r *sockRecorder) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

// sockTestFrame is a masked client frame of opcode op with n payload bytes.
func sockTestFrame(op byte, n int) []byte {
	f := []byte{0x80 | op}
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	f = append(f, 1, 2, 3, 4) // mask key
	return append(f, bytes.Repeat([]byte{0x88}, n)...)
}

// TestSockCorkControlFrames checks that a pong written while corked goes
// out at once, even when the data frame before it came in pieces whose
// bytes look like frame headers, and that the data frames follow at uncork.
func TestSockCorkControlFrames(t *testing.T) {
	for _, size := range []int{10, 300, 70000} {
		r := &sockRecorder{}
		c := &sockCorkConn{rwc: r}
		c.cork()
		data := sockTestFrame(0x2, size)
		// Written in pieces, as coder/websocket's buffered writer does
		// with a frame larger than its buffer.
		for p := data; len(p) > 0; {
			n := min(len(p), 4096)
			if _, err := c.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		pong := sockTestFrame(0xA, 4)
		if _, err := c.Write(pong); err != nil {
			t.Fatal(err)
		}
		if size < sockCorkMax && (len(r.writes) != 1 || !bytes.Equal(r.writes[0], pong)) {
			t.Fatalf("%d-byte frame: %d writes before uncork, want the pong alone", size, len(r.writes))
		}
		data2 := sockTestFrame(0x2, 5)
		if _, err := c.Write(data2); err != nil {
			t.Fatal(err)
		}
		if err := c.uncork(); err != nil {
			t.Fatal(err)
		}
		var data1 []byte
		for _, w := range r.writes {
			if !bytes.Equal(w, pong) {
				data1 = append(data1, w...)
			}
		}
		if want := append(bytes.Clone(data), data2...); !bytes.Equal(data1, want) {
			t.Fatalf("%d-byte frame: data written as %d bytes, want %d in order", size, len(data1), len(want))
		}
		if c.buf != nil {
			t.Fatal("buffer kept after uncork")
		}
	}
}

// TestSockCorkLostHeader checks that once a header is split between writes
// the connection stops guessing and keeps everything in order.
func TestSockCorkLostHeader(t *testing.T) {
	r := &sockRecorder{}
	c := &sockCorkConn{rwc: r}
	c.cork()
	f := sockTestFrame(0x2, 200)
	for _, p := range [][]byte{f[:1], f[1:], sockTestFrame(0xA, 0)} {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.writes) != 0 {
		t.Fatalf("%d writes before uncork, want none", len(r.writes))
	}
	r.err = errSockTestWrite
	if err := c.uncork(); !errors.Is(err, errSockTestWrite) {
		t.Fatalf("uncork: %v, want the write's error", err)
	}
}
