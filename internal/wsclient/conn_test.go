package wsclient

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// hangGuard bounds how long a test waits for something that must happen,
// so that a hang fails the test instead of the whole run. It is no timing
// assertion: everything awaited here happens in microseconds.
const hangGuard = 10 * time.Second

// await receives from ch, failing the test if nothing comes.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("%s: nothing after %v", what, hangGuard)
		panic("unreachable")
	}
}

// peer starts an httptest server whose handler accepts a WebSocket with
// coder/websocket (no read limit) and runs fn; it returns the ws:// URL.
// The server closes at the end of the test, after fn returns.
func peer(t *testing.T, fn func(ctx context.Context, c *websocket.Conn)) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(accepting(t, ctx, fn))
	t.Cleanup(func() { cancel(); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// accepting is a handler that accepts a WebSocket with coder/websocket (no
// read limit) and runs fn with ctx.
func accepting(t *testing.T, ctx context.Context, fn func(ctx context.Context, c *websocket.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		fn(ctx, c)
	}
}

// echo is a peer handler that sends every message back, of its type.
func echo(ctx context.Context, c *websocket.Conn) {
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return
		}
		if c.Write(ctx, typ, p) != nil {
			return
		}
	}
}

func mustDial(t *testing.T, u string, o *DialOptions) *Conn {
	t.Helper()
	c, resp, err := Dial(context.Background(), u, o)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial: status %d", resp.StatusCode)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// pattern is n bytes that differ from any shifted copy of themselves, so a
// lost, doubled or reordered chunk shows.
func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7+i/251) ^ seed
	}
	return p
}

// textPattern is n bytes of UTF-8 text, with multi-byte runes.
func textPattern(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		if i%5 == 0 {
			b.WriteString("é")
		} else {
			b.WriteByte('a' + byte(i%26))
		}
	}
	p := b.Bytes()[:n]
	for i := len(p) - 1; !utf8.Valid(p); i-- {
		p[i] = 'z' // do not end inside a rune
	}
	return p
}

var sizes = []int{0, 1, 125, 126, 127, 4095, 4096, 8191, 8192, 8193, 65535, 65536, 1 << 20}

func TestEchoSizes(t *testing.T) {
	u := peer(t, echo)
	c := mustDial(t, u, nil)
	for _, typ := range []MessageType{Binary, Text} {
		for _, n := range sizes {
			p := pattern(n, byte(n))
			if typ == Text {
				p = textPattern(n)
			}
			if err := c.Write(typ, p); err != nil {
				t.Fatalf("write %v %d: %v", typ, n, err)
			}
			gt, got, err := c.Read()
			if err != nil {
				t.Fatalf("read %v %d: %v", typ, n, err)
			}
			if gt != typ || !bytes.Equal(got, p) {
				t.Fatalf("echo of %v %d bytes: got %v %d bytes, equal %v", typ, n, gt, len(got), bytes.Equal(got, p))
			}
		}
	}
	closeHandshake(t, c)
}

// closeHandshake closes c normally while a Read runs, as Close requires,
// and checks that both ends agree.
func closeHandshake(t *testing.T, c *Conn) {
	t.Helper()
	readErr := readAll(c)
	if err := c.Close(StatusNormal, ""); err != nil {
		t.Fatalf("close: %v", err)
	}
	var ce *CloseError
	if err := await(t, readErr, "read during close"); !errors.As(err, &ce) || ce.Code != StatusNormal {
		t.Fatalf("read during close: %v, want the peer's close 1000", err)
	}
}

// readAll reads c until it fails, in a goroutine, and sends the error.
func readAll(c *Conn) <-chan error {
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.Read(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	return readErr
}

// TestWriteBatch checks that one Write of several frames arrives as that
// many messages, in order, across the sendFlush boundary.
func TestWriteBatch(t *testing.T) {
	u := peer(t, echo)
	c := mustDial(t, u, nil)
	var frames [][]byte
	for i, n := range []int{3, 0, 20000, 125, 126, 30000, 70000, 1} {
		frames = append(frames, pattern(n, byte(i)))
	}
	if err := c.Write(Binary, frames...); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		_, got, err := c.Read()
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if !bytes.Equal(got, f) {
			t.Fatalf("message %d: got %d bytes, want %d", i, len(got), len(f))
		}
	}
	if err := c.Write(Binary); err != nil {
		t.Fatalf("write of no frames: %v", err)
	}
}

// TestFragmentedFromServer has coder/websocket's Writer send each Write as
// a frame, the first a text or binary frame and the rest continuations.
func TestFragmentedFromServer(t *testing.T) {
	parts := [][]byte{[]byte("héllo, "), {}, []byte(strings.Repeat("x", 9000)), []byte("wörld")}
	u := peer(t, func(ctx context.Context, c *websocket.Conn) {
		for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
			w, err := c.Writer(ctx, typ)
			if err != nil {
				t.Error(err)
				return
			}
			for _, p := range parts {
				if _, err := w.Write(p); err != nil {
					t.Error(err)
					return
				}
			}
			if err := w.Close(); err != nil {
				t.Error(err)
				return
			}
		}
		echo(ctx, c)
	})
	c := mustDial(t, u, nil)
	want := bytes.Join(parts, nil)
	for _, typ := range []MessageType{Text, Binary} {
		gt, got, err := c.Read()
		if err != nil {
			t.Fatal(err)
		}
		if gt != typ || !bytes.Equal(got, want) {
			t.Fatalf("got %v %q..., want %v %q...", gt, got[:min(20, len(got))], typ, want[:20])
		}
	}
}

func TestPingFromServer(t *testing.T) {
	pinged := make(chan error, 1)
	u := peer(t, func(ctx context.Context, c *websocket.Conn) {
		ctx = c.CloseRead(ctx) // reads, so that the pong reaches Ping
		for range 3 {
			if err := c.Ping(ctx); err != nil {
				pinged <- err
				return
			}
		}
		pinged <- c.Close(websocket.StatusNormalClosure, "pinged")
	})
	c := mustDial(t, u, nil)
	_, _, err := c.Read()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != StatusNormal || ce.Reason != "pinged" {
		t.Fatalf("read: %v, want the peer's close 1000 (pinged)", err)
	}
	if err := await(t, pinged, "server ping"); err != nil {
		t.Fatalf("server: %v", err)
	}
}

func TestCloseByServer(t *testing.T) {
	closed := make(chan error, 1)
	u := peer(t, func(ctx context.Context, c *websocket.Conn) {
		closed <- c.Close(4001, "server says bye")
	})
	c := mustDial(t, u, nil)
	_, _, err := c.Read()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "server says bye" {
		t.Fatalf("read: %v, want the peer's close 4001", err)
	}
	if !strings.Contains(err.Error(), "4001") || !strings.Contains(err.Error(), "server says bye") {
		t.Errorf("error %q does not say the code and reason", err)
	}
	// The server's Close waits for our echo: nil means it came.
	if err := await(t, closed, "server close"); err != nil {
		t.Fatalf("server close: %v", err)
	}
	if _, _, err2 := c.Read(); err2 != err {
		t.Errorf("second read: %v, want the same error %v", err2, err)
	}
	if err := c.Write(Text, []byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after close: %v, want net.ErrClosed", err)
	}
	if err := c.Close(StatusNormal, ""); err != nil {
		t.Errorf("close after the peer's: %v", err)
	}
}

func TestCloseByClient(t *testing.T) {
	got := make(chan error, 1)
	u := peer(t, func(ctx context.Context, c *websocket.Conn) {
		_, _, err := c.Read(ctx)
		got <- err
	})
	c := mustDial(t, u, nil)
	readErr := readAll(c)
	if err := c.Close(4002, "client says bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	err := await(t, got, "server read")
	if websocket.CloseStatus(err) != 4002 {
		t.Fatalf("server read: %v, want close 4002", err)
	}
	var sce websocket.CloseError
	if errors.As(err, &sce) && sce.Reason != "client says bye" {
		t.Errorf("server saw reason %q", sce.Reason)
	}
	var ce *CloseError
	if err := await(t, readErr, "client read"); !errors.As(err, &ce) {
		t.Fatalf("client read: %v, want the server's close", err)
	}
	if err := c.Close(StatusNormal, ""); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestReadLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts []int // the frames of the message the server sends
	}{
		{"one frame", []int{1001}},
		{"one big frame", []int{100000}},
		{"fragments", []int{600, 0, 401}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srvErr := make(chan error, 1)
			u := peer(t, func(ctx context.Context, c *websocket.Conn) {
				// Two messages at the limit, then one over it.
				for range 2 {
					if err := c.Write(ctx, websocket.MessageBinary, make([]byte, 1000)); err != nil {
						srvErr <- err
						return
					}
				}
				w, err := c.Writer(ctx, websocket.MessageBinary)
				if err != nil {
					srvErr <- err
					return
				}
				for _, n := range tc.parts {
					w.Write(make([]byte, n)) // fails once the client has closed
				}
				w.Close()
				_, _, err = c.Read(ctx)
				srvErr <- err
			})
			c := mustDial(t, u, &DialOptions{ReadLimit: 1000})
			for range 2 {
				if _, p, err := c.Read(); err != nil || len(p) != 1000 {
					t.Fatalf("read at the limit: %d bytes, %v", len(p), err)
				}
			}
			_, _, err := c.Read()
			if !errors.Is(err, ErrMessageTooBig) || !strings.Contains(err.Error(), "1000") {
				t.Fatalf("read over the limit: %v, want ErrMessageTooBig saying the limit", err)
			}
			if err := await(t, srvErr, "server read"); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
				t.Fatalf("server read: %v, want close 1009", err)
			}
		})
	}
}

// TestConcurrentWriters has writers share a connection while Read runs:
// every message must arrive whole, each writer's in its order.
func TestConcurrentWriters(t *testing.T) {
	const writers, perWriter = 6, 150
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	u := peer(t, func(ctx context.Context, c *websocket.Conn) {
		// Pings meanwhile, from another goroutine (Ping needs this one
		// reading), have the client answer while its writers write.
		pingCtx, stopPing := context.WithCancel(ctx)
		var pings sync.WaitGroup
		pings.Go(func() {
			for pingCtx.Err() == nil {
				c.Ping(pingCtx)
			}
		})
		defer pings.Wait()
		defer stopPing()
		next := make([]uint32, writers)
		n := 0
		for n < writers*perWriter {
			_, p, err := c.Read(ctx)
			if err != nil {
				res <- result{n, err}
				return
			}
			if len(p) < 8 {
				res <- result{n, fmt.Errorf("message of %d bytes", len(p))}
				return
			}
			w, seq := binary.BigEndian.Uint32(p), binary.BigEndian.Uint32(p[4:])
			if w >= writers || seq != next[w] || !bytes.Equal(p[8:], pattern(len(p)-8, byte(seq))) {
				res <- result{n, fmt.Errorf("message %d: writer %d seq %d (want %d), %d bytes", n, w, seq, next[w%writers], len(p))}
				return
			}
			next[w]++
			n++
		}
		stopPing()
		pings.Wait()
		res <- result{n, c.Close(websocket.StatusNormalClosure, "")}
	})
	c := mustDial(t, u, nil)
	readErr := readAll(c)
	msg := func(w, seq int) []byte {
		p := binary.BigEndian.AppendUint32(nil, uint32(w))
		p = binary.BigEndian.AppendUint32(p, uint32(seq))
		return append(p, pattern((seq*977)%20000, byte(seq))...)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for seq := 0; seq < perWriter; {
				k := min(1+seq%3, perWriter-seq) // one to three messages a Write
				var frames [][]byte
				for i := range k {
					frames = append(frames, msg(w, seq+i))
				}
				if err := c.Write(Binary, frames...); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				seq += k
			}
		})
	}
	wg.Wait()
	r := await(t, res, "server")
	if r.err != nil || r.n != writers*perWriter {
		t.Fatalf("server got %d messages: %v", r.n, r.err)
	}
	var ce *CloseError
	if err := await(t, readErr, "client read"); !errors.As(err, &ce) || ce.Code != StatusNormal {
		t.Fatalf("client read: %v", err)
	}
}

// TestCloseNowUnblocksRead drops the connection while Read waits: the
// peer's ping, answered, shows that Read is in its loop.
func TestCloseNowUnblocksRead(t *testing.T) {
	c, rc := dialRaw(t, 0)
	readErr := readAll(c)
	rc.Write(frame(0x80|opPing, []byte("here?")))
	if b0, p, err := rc.readFrame(); err != nil || b0 != 0x80|opPong || string(p) != "here?" {
		t.Fatalf("pong: %#x %q, %v", b0, p, err)
	}
	if err := c.CloseNow(); err != nil {
		t.Fatal(err)
	}
	if err := await(t, readErr, "read after CloseNow"); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read: %v, want net.ErrClosed", err)
	}
	if err := c.Write(Binary, []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after CloseNow: %v, want net.ErrClosed", err)
	}
	if err := c.Close(StatusNormal, ""); err != nil {
		t.Fatalf("close after CloseNow: %v", err)
	}
	if _, _, err := rc.readFrame(); err == nil {
		t.Fatal("a frame after CloseNow")
	}
}

// TestCloseNowUnblocksWrite drops the connection while a Write is stuck
// in the middle of a message (a pipe takes only what its peer reads).
func TestCloseNowUnblocksWrite(t *testing.T) {
	cp, sp := net.Pipe()
	defer sp.Close()
	c := New(cp, 0)
	writeErr := make(chan error, 1)
	go func() { writeErr <- c.Write(Binary, make([]byte, 1<<20)) }()
	if _, err := sp.Read(make([]byte, 1)); err != nil { // the Write has begun
		t.Fatal(err)
	}
	c.CloseNow()
	if err := await(t, writeErr, "write after CloseNow"); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write: %v, want the pipe's closed error", err)
	}
	if err := c.Write(Binary, []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("a later write: %v, want net.ErrClosed", err)
	}
}
