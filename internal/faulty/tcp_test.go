package faulty

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer echoes every line it reads back; it stops with the test.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(c, c)
				_ = c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func proxy(t *testing.T) *Proxy {
	t.Helper()
	p, err := Listen(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *Proxy) *client {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// Every read is bounded, so a broken proxy fails the test, not hangs it.
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{c, bufio.NewReader(c)}
}

// mustFail checks that a connection through p is reset: while dialing, or
// at its first read.
func mustFail(t *testing.T, p *Proxy) {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		return // reset before the dial returned
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errTimeout(err) == err {
		t.Fatalf("read from a connection that should be reset: %v", err)
	}
}

func (c *client) roundTrip(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := c.r.ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("echo of %q: %q, %v", line, got, err)
	}
}

// waitConns waits until the proxy holds n open connections.
func waitConns(t *testing.T, p *Proxy, n int) []*Conn {
	t.Helper()
	var conns []*Conn
	if err := p.Await(testCtx(t), func() bool { conns = p.Conns(); return len(conns) == n }); err != nil {
		t.Fatalf("proxy holds %d connections, want %d", len(p.Conns()), n)
	}
	return conns
}

func TestProxyPassAndCounters(t *testing.T) {
	p := proxy(t)
	c := dial(t, p)
	c.roundTrip(t, "hello")
	waitConns(t, p, 1)
	// Bytes are counted just after they are forwarded, in either
	// direction, so the echo may reach the client before the line it
	// echoes, or the echo itself, is counted.
	if err := p.Await(testCtx(t), func() bool { return p.Bytes(Up) >= 6 && p.Bytes(Down) >= 6 }); err != nil {
		t.Fatalf("bytes up %d down %d: %v", p.Bytes(Up), p.Bytes(Down), err)
	}
	if p.Accepted() != 1 || p.Bytes(Up) != 6 || p.Bytes(Down) != 6 || p.Bytes(Both) != 12 {
		t.Errorf("accepted %d, bytes up %d down %d", p.Accepted(), p.Bytes(Up), p.Bytes(Down))
	}
	if b := p.Conns()[0].Bytes(Both); b != 12 {
		t.Errorf("connection bytes %d", b)
	}
}

// A blackholed link stays open and forwards nothing; what it swallowed is
// gone even after Pass.
func TestProxyBlackhole(t *testing.T) {
	p := proxy(t)
	c := dial(t, p)
	c.roundTrip(t, "before")
	p.Blackhole(Down)
	if _, err := io.WriteString(c, "lost\n"); err != nil {
		t.Fatal(err)
	}
	// The echo came back and was swallowed: wait for it to be counted.
	if err := p.Await(testCtx(t), func() bool { return p.Discarded(Down) >= 5 }); err != nil {
		t.Fatalf("discarded %d bytes", p.Discarded(Down))
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if n, err := c.r.Read(make([]byte, 1)); n != 0 || !errors.Is(err, errTimeout(err)) {
		t.Fatalf("read through a blackhole: %d bytes, %v", n, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p.Pass()
	c.roundTrip(t, "after")
}

// errTimeout returns err when it is a timeout, so errors.Is reads well.
func errTimeout(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return err
	}
	return errors.New("not a timeout")
}

// A stalled link holds what is sent and delivers it on Pass.
func TestProxyStall(t *testing.T) {
	p := proxy(t)
	c := dial(t, p)
	c.roundTrip(t, "one")
	conn := waitConns(t, p, 1)[0]
	conn.Stall(Up)
	if _, err := io.WriteString(c, "held\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if n, _ := c.r.Read(make([]byte, 1)); n != 0 {
		t.Fatal("a stalled link forwarded data")
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if up := p.Bytes(Up); up != 4 {
		t.Errorf("forwarded %d bytes up while stalled", up)
	}
	conn.Pass()
	if got, err := c.r.ReadString('\n'); got != "held\n" {
		t.Fatalf("after the stall: %q, %v", got, err)
	}
}

func TestProxyDelay(t *testing.T) {
	p := proxy(t)
	p.Delay(Down, 30*time.Millisecond)
	c := dial(t, p)
	start := time.Now()
	c.roundTrip(t, "slow")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("round trip took %v through a 30ms delay", d)
	}
}

// Cut resets both sides: the client's read fails at once.
func TestProxyCut(t *testing.T) {
	p := proxy(t)
	c := dial(t, p)
	c.roundTrip(t, "x")
	conn := waitConns(t, p, 1)[0]
	p.Cut()
	<-conn.Done()
	_, err := c.r.ReadByte()
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Fatalf("read after a cut: %v", err)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Logf("the platform reported the cut as %v, not a reset", err)
	}
	waitConns(t, p, 0)
	// The proxy still accepts.
	dial(t, p).roundTrip(t, "y")
}

func TestProxyRefuse(t *testing.T) {
	p := proxy(t)
	p.Refuse(true)
	mustFail(t, p)
	if p.Accepted() != 1 || len(p.Conns()) != 0 {
		t.Errorf("accepted %d, open %d", p.Accepted(), len(p.Conns()))
	}
	p.Pass()
	dial(t, p).roundTrip(t, "z")
}

// A target that is down: the client's connection is reset.
func TestProxyTargetDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	_ = ln.Close()
	p, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustFail(t, p)
}

// Close ends stalled and blackholed links too, and waits for them (goleak
// checks the rest).
func TestProxyCloseWhileStalled(t *testing.T) {
	p := proxy(t)
	c := dial(t, p)
	c.roundTrip(t, "a")
	p.Stall(Both)
	_, _ = io.WriteString(c, "b\n")
	p.Blackhole(Up)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := c.r.ReadByte(); err == nil {
		t.Fatal("read after Close succeeded")
	}
}
