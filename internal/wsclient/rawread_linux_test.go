//go:build linux && !386 && !s390x

package wsclient

import (
	"bytes"
	"context"
	cryptotls "crypto/tls"
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
			if tc, ok := got.(*cryptotls.Conn); ok {
				got = tc.NetConn()
			}
			r, ok := got.(*rawReadConn)
			if !ok {
				t.Fatalf("the handshake went over a %T, want *rawReadConn", got)
			}
			if _, ok := r.NetConn().(*net.TCPConn); !ok {
				t.Fatalf("rawReadConn.NetConn is a %T, want *net.TCPConn", r.NetConn())
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
			checkRaw(t, r)
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
		checkRaw(t, c)
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
		_, err := c.Read(make([]byte, 8))
		checkPlainErr(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("closed while waiting", func(t *testing.T) {
		c, _ := tcpPair(t)
		r := c.(*rawReadConn)
		parked := make(chan struct{}, 1)
		r.parked = func() { parked <- struct{}{} }
		done := make(chan error, 1)
		go func() { _, err := c.Read(make([]byte, 8)); done <- err }()
		<-parked
		c.Close()
		checkPlainErr(t, <-done, net.ErrClosed)
	})
	t.Run("closed before", func(t *testing.T) {
		c, _ := tcpPair(t)
		c.Close()
		_, err := c.Read(make([]byte, 8))
		checkPlainErr(t, err, net.ErrClosed)
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
					return
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
	t.Run("one read after another", func(t *testing.T) {
		// Each read must leave the connection free for the next to take
		// the raw path.
		c, s := tcpPair(t)
		r := c.(*rawReadConn)
		for i := range 5 {
			s.Write([]byte{byte(i)})
			before := r.raws
			var b [1]byte
			if n, err := c.Read(b[:]); n != 1 || err != nil || b[0] != byte(i) {
				t.Fatalf("read %d: %d bytes %v, %v", i, n, b, err)
			}
			if r.raws == before {
				t.Fatalf("read %d took the plain path", i)
			}
		}
	})
	t.Run("blocking socket", func(t *testing.T) {
		// A raw read of a blocking socket would hold its thread in the
		// kernel and stall the collector: such a socket keeps plain reads.
		_, s := tcpPair(t)
		rc, err := s.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		rc.Control(func(fd uintptr) {
			if err := syscall.SetNonblock(int(fd), false); err != nil {
				t.Fatal(err)
			}
		})
		if c := fastConn(s); c != net.Conn(s) {
			t.Fatalf("fastConn(blocking socket) = %T, want the connection itself", c)
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

// checkPlainErr fails unless err is what a plain TCP connection's Read
// gives: an *net.OpError for "read" that wraps target.
func checkPlainErr(t *testing.T, err, target error) {
	t.Helper()
	var op *net.OpError
	if !errors.Is(err, target) || !errors.As(err, &op) || op.Op != "read" {
		t.Fatalf("read: %v; want a read *net.OpError wrapping %v", err, target)
	}
}

// checkRaw fails unless c's reads went through the raw callback.
func checkRaw(t *testing.T, c net.Conn) {
	t.Helper()
	if r := c.(*rawReadConn); r.raws == 0 {
		t.Fatal("no read took the raw path")
	}
}
