//go:build linux && !386 && !s390x

package wsclient

import (
	"io"
	"net"
	"sync/atomic"
	"syscall"
)

// rawReads says whether this build reads TCP connections through
// rawReadConn: Linux, except 386 and s390x, where socket calls go through
// socketcall and the raw path was not built or tested.
const rawReads = true

// rawReadMax bounds one raw read: the scheduler does not see a raw
// syscall, so a huge copy would run unpreemptible for its whole length.
const rawReadMax = 64 << 10

// rawReadConn is a TCP connection whose reads are raw read(2) calls on its
// non-blocking socket, made from RawConn's callback so that a read that finds
// nothing still parks in the netpoller.
//
// Why: a plain Read enters the scheduler's syscall bookkeeping, and the
// first syscall after the process was idle wakes sysmon, a thread switch.
// A socket that receives small messages one at a time goes idle between
// most of them; in the relay benchmark (cmd/nakama bench relay, real
// server) raw reads cut the client's CPU per message by a quarter with
// AutoDispatch and by two fifths with Tick.
//
// The call must never block, for a raw syscall keeps its thread's share of
// the scheduler and would stall the garbage collector with it: fastConn
// keeps plain reads for a socket already made blocking (an *os.File's Fd
// does that to the descriptor it was duplicated from). recvfrom(2) with
// MSG_DONTWAIT would not need the check, but /proc/self/io does not count
// it, and the relay benchmark's read column would lie.
//
// Every Read tries the socket before it waits, even after a short read
// that left it empty: RawConn.Read clears the netpoller's readiness before
// it calls back, so data that landed in between would wait for more.
type rawReadConn struct {
	net.Conn
	rc syscall.RawConn
	// One Read at a time uses the callback and its fields; a concurrent
	// one (net.Conn allows it) takes the plain path.
	busy  atomic.Bool
	fn    func(fd uintptr) bool
	p     []byte
	n     int
	errno syscall.Errno
	// raws counts the reads made by the callback, for tests; parked, when
	// set by a test, runs when a read finds nothing and is about to wait.
	raws   int
	parked func()
}

// fastConn returns c with raw reads when it is a TCP connection, else c.
func fastConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	nonblock := false
	if err := rc.Control(func(fd uintptr) {
		fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		nonblock = e == 0 && fl&syscall.O_NONBLOCK != 0
	}); err != nil || !nonblock {
		return c
	}
	r := &rawReadConn{Conn: c, rc: rc}
	r.fn = r.read // bound once: a method value per Read would allocate
	return r
}

// NetConn returns the TCP connection, as [crypto/tls.Conn.NetConn] does:
// an httptrace GotConn hook sees the wrapper.
func (c *rawReadConn) NetConn() net.Conn { return c.Conn }

func (c *rawReadConn) Read(p []byte) (int, error) {
	if len(p) == 0 || len(p) > rawReadMax || !c.busy.CompareAndSwap(false, true) {
		return c.Conn.Read(p)
	}
	c.p, c.n, c.errno = p, 0, 0
	err := c.rc.Read(c.fn)
	n, errno := c.n, c.errno
	c.p = nil
	c.busy.Store(false)
	switch {
	case err != nil:
		// Closed, or a deadline passed, while waiting: the plain path
		// says so in the words net.Conn's users expect.
		return c.Conn.Read(p)
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// read is RawConn's callback: false asks it to wait until the socket is
// readable and call again.
func (c *rawReadConn) read(fd uintptr) bool {
	for {
		c.raws++
		n, e := sysRead(fd, c.p)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if c.parked != nil {
				c.parked()
			}
			return false
		case 0:
			c.n = n
		default:
			c.errno = e
		}
		return true
	}
}
