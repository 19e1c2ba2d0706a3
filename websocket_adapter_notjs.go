//go:build !js

package nakama

import (
	"encoding/binary"
	"io"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// sockDialOptions gives coder/websocket the user's HTTP client with its
// transport wrapped, so that the upgraded connection writes through a
// sockCorkConn.
func sockDialOptions(o *WebSocketAdapterOptions) *websocket.DialOptions {
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.Transport = sockCorkTransport{base: hc.Transport}
	return &websocket.DialOptions{HTTPClient: &c, HTTPHeader: o.HTTPHeader}
}

// sockCorkTransport wraps the body of a switch to WebSocket (the upgraded
// connection, written through) in a sockCorkConn and leaves it in the slot
// the request's context carries. Wrapping the body rather than dialling
// keeps whatever transport the user configured (proxy, TLS, a test pipe).
type sockCorkTransport struct{ base http.RoundTripper }

func (t sockCorkTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		return resp, err
	}
	slot, ok := req.Context().Value(sockBatcherKey{}).(*sockBatcher)
	rwc, rw := resp.Body.(io.ReadWriteCloser)
	if ok && rw {
		c := &sockCorkConn{rwc: rwc}
		resp.Body = c
		*slot = c
	}
	return resp, nil
}

// sockCorkMax is how much a corked connection gathers before it writes
// anyway, bounding the memory one batch takes.
const sockCorkMax = 32 << 10

var sockCorkPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// sockCorkConn is the upgraded connection under coder/websocket, which
// flushes each message with a write of its own. Between cork and uncork
// (one Send of several frames) it gathers those writes, and uncork writes
// them at once: frames sent together leave in one syscall. Its buffer comes
// from a pool for the batch only, so an idle connection holds none.
//
// Control frames the read goroutine writes meanwhile (pongs, the echo of
// the server's close) are not held back: they are written at once, ahead
// of the gathered frames, which is allowed because those are whole frames
// (coder/websocket writes one frame at a time). To know where frames start
// the connection follows the frame headers of everything written.
type sockCorkConn struct {
	rwc io.ReadWriteCloser

	// mu guards the fields below and every write to rwc, so that uncork's
	// write and a control frame's do not interleave.
	mu     sync.Mutex
	corked bool
	buf    *[]byte
	// rest is what remains of the frame being written; lost is set if a
	// header was ever split between writes, after which nothing bypasses
	// the buffer.
	rest int64
	lost bool
}

func (c *sockCorkConn) Read(p []byte) (int, error) { return c.rwc.Read(p) }

// Close closes the connection at once; gathered bytes are dropped, as a
// closed connection's would be. It takes no lock, so it unblocks a stuck
// write.
func (c *sockCorkConn) Close() error { return c.rwc.Close() }

func (c *sockCorkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was gathered since cork, returning the write's error.
func (c *sockCorkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	err := c.flushLocked()
	if c.buf != nil {
		if cap(*c.buf) <= 2*sockCorkMax {
			sockCorkPool.Put(c.buf)
		}
		c.buf = nil
	}
	return err
}

func (c *sockCorkConn) flushLocked() error {
	if c.buf == nil || len(*c.buf) == 0 {
		return nil
	}
	_, err := c.rwc.Write(*c.buf)
	*c.buf = (*c.buf)[:0]
	return err
}

func (c *sockCorkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	control := c.follow(p)
	if !c.corked || control {
		return c.rwc.Write(p)
	}
	if c.buf == nil {
		c.buf = sockCorkPool.Get().(*[]byte)
	}
	if len(*c.buf)+len(p) > sockCorkMax {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= sockCorkMax {
			return c.rwc.Write(p)
		}
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}

// follow advances over the frames p holds (or continues) and reports
// whether p starts with a control frame.
func (c *sockCorkConn) follow(p []byte) (control bool) {
	start := c.rest == 0 && !c.lost
	for len(p) > 0 && !c.lost {
		if c.rest > 0 {
			n := min(int64(len(p)), c.rest)
			c.rest -= n
			p = p[n:]
			continue
		}
		n, ok := sockFrameLen(p)
		if !ok {
			c.lost = true
			return false
		}
		if start {
			control = p[0]&0x08 != 0
			start = false
		}
		c.rest = n
	}
	return control && !c.lost
}

// sockFrameLen returns the whole length of the frame whose header starts
// p, header included, or false when p does not hold the whole header.
func sockFrameLen(p []byte) (int64, bool) {
	if len(p) < 2 {
		return 0, false
	}
	h, n := int64(2), int64(p[1]&0x7f)
	switch n {
	case 126:
		if len(p) < 4 {
			return 0, false
		}
		h, n = 4, int64(binary.BigEndian.Uint16(p[2:]))
	case 127:
		if len(p) < 10 {
			return 0, false
		}
		h, n = 10, int64(binary.BigEndian.Uint64(p[2:])&(1<<63-1))
	}
	if p[1]&0x80 != 0 {
		h += 4 // mask key
	}
	return h + n, true
}
