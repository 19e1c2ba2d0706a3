package wsclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestDialRawReads checks that ws:// and wss:// connections read through
// rawReadConn (under TLS for wss), and that messages of every size still
// arrive whole: the largest go past rawReadMax, where reads take the plain
// path.
func TestDialRawReads(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		for {
			typ, p, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, p); err != nil {
				return
			}
		}
	})
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "ws", true: "wss"}[tls], func(t *testing.T) {
			srv := httptest.NewUnstartedServer(echo)
			scheme := "ws"
			if tls {
				srv.StartTLS()
				scheme = "wss"
			} else {
				srv.Start()
			}
			defer srv.Close()

			var got net.Conn
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(i httptrace.GotConnInfo) { got = i.Conn },
			})
			c, _, err := Dial(ctx, scheme+srv.URL[strings.Index(srv.URL, ":"):], &DialOptions{HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if tc, ok := got.(interface{ NetConn() net.Conn }); ok {
				got = tc.NetConn()
			}
			if _, ok := got.(*rawReadConn); !ok {
				t.Fatalf("the handshake went over a %T, want *rawReadConn", got)
			}
			for _, n := range []int{1, 125, 126, 300, bigSize, rawReadMax + 1, 1 << 20} {
				p := bytes.Repeat([]byte{byte(n)}, n)
				if err := c.Write(Binary, p); err != nil {
					t.Fatal(err)
				}
				_, q, err := c.Read()
				if err != nil || !bytes.Equal(p, q) {
					t.Fatalf("%d bytes: read %d bytes, %v", n, len(q), err)
				}
			}
		})
	}
}

// tcpPair returns both ends of a loopback TCP connection, the client's
// through fastConn.
func tcpPair(t *testing.T) (client net.Conn, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	client = fastConn(c)
	if _, ok := client.(*rawReadConn); !ok {
		t.Fatalf("fastConn gave a %T, want *rawReadConn", client)
	}
	return client, s.(*net.TCPConn)
}

// TestRawReadConn checks the answers of raw reads against what a
// net.Conn's users expect of Read.
func TestRawReadConn(t *testing.T) {
	t.Run("not TCP", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		if c := fastConn(a); c != a {
			t.Fatalf("fastConn(pipe) = %T, want the pipe itself", c)
		}
	})
	t.Run("data, then EOF", func(t *testing.T) {
		c, s := tcpPair(t)
		go func() { s.Write([]byte("hello")); s.Close() }()
		b, err := io.ReadAll(c)
		if err != nil || string(b) != "hello" {
			t.Fatalf("read %q, %v; want hello and EOF", b, err)
		}
		if n, err := c.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("after EOF: %d, %v", n, err)
		}
	})
	t.Run("empty buffer", func(t *testing.T) {
		c, _ := tcpPair(t)
		if n, err := c.Read(nil); n != 0 || err != nil {
			t.Fatalf("read into nothing: %d, %v", n, err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		c, _ := tcpPair(t)
		c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := c.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		c, s := tcpPair(t)
		done := make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 8)); done <- err }()
		c.Close() // before or during the read: either way it must say so
		s.Write([]byte("x"))
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read on a closed connection: %v", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		c, s := tcpPair(t)
		s.SetLinger(0)
		s.Close()
		_, err := c.Read(make([]byte, 8))
		var op *net.OpError
		if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &op) {
			t.Fatalf("read after a reset: %v, want an *net.OpError wrapping ECONNRESET", err)
		}
	})
	t.Run("concurrent reads", func(t *testing.T) {
		c, s := tcpPair(t)
		// One reader takes the raw path, the other the plain one; each
		// must get one of the two bytes.
		got := make(chan string, 2)
		for range 2 {
			go func() {
				var b [1]byte
				n, err := c.Read(b[:])
				if err != nil {
					got <- err.Error()
				}
				got <- string(b[:n])
			}()
		}
		s.Write([]byte("a"))
		first := <-got
		s.Write([]byte("b"))
		if second := <-got; first+second != "ab" && first+second != "ba" {
			t.Fatalf("two readers got %q and %q, want a and b", first, second)
		}
	})
	t.Run("big buffer", func(t *testing.T) {
		c, s := tcpPair(t)
		p := bytes.Repeat([]byte("z"), 3*rawReadMax)
		go func() { s.Write(p); s.Close() }()
		b, err := io.ReadAll(io.LimitReader(c, int64(len(p))+1))
		if err != nil || !bytes.Equal(b, p) {
			t.Fatalf("read %d bytes, %v; want %d", len(b), err, len(p))
		}
	})
}
