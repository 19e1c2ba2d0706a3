// Package faulty injects network faults for tests, in the spirit of pgx's
// faultyconn: a TCP proxy whose links can be cut, blackholed, stalled or
// slowed (Proxy); an HTTP handler that answers as a broken proxy or a
// failing server would (Handler); and a WebSocket relay that slips frames
// of a test's own between a real server's (WSRelay).
//
// Both are for tests only. Every goroutine they start ends by Close, which
// waits for it, so a test that closes them leaves nothing behind for goleak.
package faulty

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Direction names one or both directions of a proxied link.
type Direction uint8

const (
	// Up is the client-to-target direction: requests.
	Up Direction = 1 << iota
	// Down is the target-to-client direction: answers and events.
	Down
	// Both is Up and Down.
	Both = Up | Down
)

func (d Direction) index() []int {
	var i []int
	if d&Up != 0 {
		i = append(i, 0)
	}
	if d&Down != 0 {
		i = append(i, 1)
	}
	return i
}

// mode is what a link does with the bytes it reads in one direction.
type mode uint8

const (
	pass      mode = iota // forward them
	blackhole             // read and discard them: the link looks alive
	stall                 // stop reading; TCP flow control holds the peer
)

// link is the state of both directions of a connection, index 0 Up.
type link struct {
	mode  [2]mode
	delay [2]time.Duration
}

// dialTimeout bounds the proxy's dial of its target.
const dialTimeout = 5 * time.Second

// Proxy is a TCP proxy on a loopback port that forwards every connection to
// a target address, and can break them on demand. Settings made on the
// Proxy apply to its open connections and to those it accepts later;
// settings made on one Conn apply to that connection only. All methods are
// safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener

	mu     sync.Mutex
	conns  []*Conn // open, in accept order
	def    link    // for new connections
	refuse bool
	closed bool

	accepted  atomic.Int64
	bytes     [2]atomic.Int64
	discarded [2]atomic.Int64
	events    notifier
	wg        sync.WaitGroup
}

// Listen starts a proxy on 127.0.0.1 (a free port) that forwards to target,
// a host:port. Close it when done.
func Listen(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns "http://" and the proxy's address, for HTTP targets.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Accepted returns how many connections the proxy has accepted, refused
// ones included.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Bytes returns how many bytes the proxy forwarded in dir over all its
// connections.
func (p *Proxy) Bytes(dir Direction) int64 { return sum(&p.bytes, dir) }

// Discarded returns how many bytes a blackhole swallowed in dir over all
// its connections.
func (p *Proxy) Discarded(dir Direction) int64 { return sum(&p.discarded, dir) }

func sum(c *[2]atomic.Int64, dir Direction) int64 {
	var n int64
	for _, i := range dir.index() {
		n += c[i].Load()
	}
	return n
}

// Conns returns the open connections, oldest first.
func (p *Proxy) Conns() []*Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.conns)
}

// Await returns once cond holds, or with ctx's error. It checks cond now
// and after every change of the proxy's counters and connections, so a
// test waits for a connection, or for bytes to pass, without polling.
func (p *Proxy) Await(ctx context.Context, cond func() bool) error {
	return p.events.await(ctx, cond)
}

// Pass restores normal forwarding, without delay, on every connection and
// for new ones, and accepts new connections again.
func (p *Proxy) Pass() {
	p.mu.Lock()
	p.refuse = false
	p.mu.Unlock()
	p.update(func(l *link) { *l = link{} })
}

// Blackhole makes every connection, and new ones, read and discard what
// arrives in dir: nothing is forwarded and nothing is closed, as when a
// route dies without a reset. The discarded bytes are lost for good.
func (p *Proxy) Blackhole(dir Direction) { p.update(setMode(dir, blackhole)) }

// Stall makes every connection, and new ones, stop reading in dir until
// Pass: nothing is lost, and the sender is held by TCP flow control once
// the buffers fill.
func (p *Proxy) Stall(dir Direction) { p.update(setMode(dir, stall)) }

// Delay holds each chunk read in dir for d before forwarding it, on every
// connection and new ones; 0 removes the delay.
func (p *Proxy) Delay(dir Direction, d time.Duration) { p.update(setDelay(dir, d)) }

// Cut closes every open connection abruptly, on both sides, with a TCP
// reset. New connections are still accepted.
func (p *Proxy) Cut() {
	for _, c := range p.Conns() {
		c.Cut()
	}
}

// Refuse makes the proxy reset every new connection as soon as it is
// accepted (on), or accept them again (off). Open connections go on.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Close stops accepting, closes every connection and returns once every
// goroutine of the proxy has exited. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	conns := slices.Clone(p.conns)
	p.mu.Unlock()
	err := p.ln.Close()
	for _, c := range conns {
		c.close(false)
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) update(f func(*link)) {
	p.mu.Lock()
	f(&p.def)
	conns := slices.Clone(p.conns)
	p.mu.Unlock()
	for _, c := range conns {
		c.update(f)
	}
}

func setMode(dir Direction, m mode) func(*link) {
	return func(l *link) {
		for _, i := range dir.index() {
			l.mode[i] = m
		}
	}
}

func setDelay(dir Direction, d time.Duration) func(*link) {
	return func(l *link) {
		for _, i := range dir.index() {
			l.delay[i] = d
		}
	}
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.accepted.Add(1)
		p.events.notify()
		p.mu.Lock()
		refuse, closed, def := p.refuse, p.closed, p.def
		p.mu.Unlock()
		if refuse || closed {
			reset(client)
			continue
		}
		server, err := net.DialTimeout("tcp", p.target, dialTimeout)
		if err != nil {
			reset(client) // the target is down: the client sees a reset
			continue
		}
		c := &Conn{p: p, client: client, server: server, link: def, changed: make(chan struct{}), closed: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			reset(client)
			reset(server)
			continue
		}
		p.conns = append(p.conns, c)
		p.wg.Add(2)
		p.mu.Unlock()
		p.events.notify()
		go c.pump(0, client, server)
		go c.pump(1, server, client)
	}
}

// reset closes c with a TCP reset rather than a FIN where it can.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// Conn is one proxied connection. Its settings override the proxy's for
// this connection until the proxy's next setting. Its methods are safe for
// concurrent use.
type Conn struct {
	p              *Proxy
	client, server net.Conn

	mu      sync.Mutex
	link    link
	changed chan struct{} // closed and replaced on every change of link

	closeOnce sync.Once
	closed    chan struct{}
	bytes     [2]atomic.Int64
}

// Pass restores normal forwarding without delay on this connection.
func (c *Conn) Pass() { c.update(func(l *link) { *l = link{} }) }

// Blackhole discards what arrives in dir on this connection; see
// Proxy.Blackhole.
func (c *Conn) Blackhole(dir Direction) { c.update(setMode(dir, blackhole)) }

// Stall stops reading in dir on this connection until Pass; see
// Proxy.Stall.
func (c *Conn) Stall(dir Direction) { c.update(setMode(dir, stall)) }

// Delay holds each chunk read in dir for d on this connection.
func (c *Conn) Delay(dir Direction, d time.Duration) { c.update(setDelay(dir, d)) }

// Cut closes this connection abruptly, on both sides, with a TCP reset.
func (c *Conn) Cut() { c.close(true) }

// Bytes returns how many bytes this connection forwarded in dir.
func (c *Conn) Bytes(dir Direction) int64 { return sum(&c.bytes, dir) }

// Done is closed once the connection is closed, by either side or a Cut.
func (c *Conn) Done() <-chan struct{} { return c.closed }

func (c *Conn) update(f func(*link)) {
	c.mu.Lock()
	f(&c.link)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

func (c *Conn) state(i int) (mode, time.Duration, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link.mode[i], c.link.delay[i], c.changed
}

// close closes both sides once; with rst, each with a TCP reset.
func (c *Conn) close(rst bool) {
	c.closeOnce.Do(func() {
		if rst {
			reset(c.client)
			reset(c.server)
		} else {
			_ = c.client.Close()
			_ = c.server.Close()
		}
		close(c.closed)
		c.p.mu.Lock()
		c.p.conns = slices.DeleteFunc(c.p.conns, func(x *Conn) bool { return x == c })
		c.p.mu.Unlock()
		c.p.events.notify()
	})
}

// pump copies direction i from src to dst under the link's mode until
// either side ends, then closes the connection: a half-closed link is not
// worth modelling for the protocols under test.
func (c *Conn) pump(i int, src, dst net.Conn) {
	defer c.p.wg.Done()
	defer c.close(false)
	buf := make([]byte, 32<<10)
	for {
		if !c.await(i) {
			return
		}
		n, err := src.Read(buf)
		if n > 0 && !c.forward(i, buf[:n], dst) {
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				// A reset from one side is passed on as a reset.
				c.close(true)
			}
			return
		}
	}
}

// await returns once direction i may read, or false when the connection
// closed while it stalled.
func (c *Conn) await(i int) bool {
	for {
		m, _, changed := c.state(i)
		if m != stall {
			return true
		}
		select {
		case <-changed:
		case <-c.closed:
			return false
		}
	}
}

// forward hands b on per the link's mode; false when the connection ended.
func (c *Conn) forward(i int, b []byte, dst net.Conn) bool {
	for {
		m, d, changed := c.state(i)
		switch m {
		case blackhole:
			c.p.discarded[i].Add(int64(len(b)))
			c.p.events.notify()
			return true
		case stall:
			// Read before the stall began: hold it until the link passes.
			select {
			case <-changed:
				continue
			case <-c.closed:
				return false
			}
		}
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.closed:
				t.Stop()
				return false
			}
		}
		if _, err := dst.Write(b); err != nil {
			return false
		}
		c.bytes[i].Add(int64(len(b)))
		c.p.bytes[i].Add(int64(len(b)))
		c.p.events.notify()
		return true
	}
}
