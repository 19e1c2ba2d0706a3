package wsclient

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// MessageType is a data message's type, its frame opcode.
type MessageType byte

const (
	// Text is a message of UTF-8 text (opcode 1).
	Text MessageType = 1
	// Binary is a message of bytes (opcode 2).
	Binary MessageType = 2
)

const (
	opContinuation = 0x0
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close codes this package sends or reports (RFC 6455 section 7.4.1).
const (
	StatusNormal        = 1000
	StatusProtocolError = 1002
	StatusNoStatus      = 1005
	StatusInvalidData   = 1007
	StatusMessageTooBig = 1009
)

// CloseTimeout bounds each step of Close: writing the close frame, then
// waiting for the peer's.
const CloseTimeout = 5 * time.Second

// ErrMessageTooBig is wrapped by the error of a Read whose message is over
// the read limit.
var ErrMessageTooBig = errors.New("websocket: message too big")

// CloseError is the error of a Read after the peer's close frame.
type CloseError struct {
	// Code is the peer's close code; 1005 when its frame had none.
	Code int
	// Reason is the peer's close reason.
	Reason string
}

func (e *CloseError) Error() string {
	s := "websocket: closed by the peer: code " + strconv.Itoa(e.Code)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// smallSize is the array an idle connection blocks reading into; a whole
// small message (a pong, a status event) fits in it. bigSize is the pooled
// buffer a connection reads into while messages keep coming.
const (
	smallSize = 128
	bigSize   = 8 << 10
)

var (
	bigPool  = sync.Pool{New: func() any { b := make([]byte, bigSize); return &b }}
	msgPool  = sync.Pool{New: func() any { b := make([]byte, 0, 1<<10); return &b }}
	sendPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}
)

// maxPooled is the largest message or send buffer kept for reuse, so that
// one huge message does not stay in memory.
const maxPooled = 64 << 10

// sendFlush is how much one write call gathers before it writes, bounding
// the memory a long batch takes.
const sendFlush = 32 << 10

// Conn is the client end of a WebSocket connection.
//
// Read must be called from one goroutine at a time, and must be called for
// the connection to work: it answers pings and completes the close
// handshake. Write, Close and CloseNow may be called from any goroutine,
// concurrently with Read and with each other.
type Conn struct {
	rwc   io.ReadWriteCloser
	limit int64

	// Read side, owned by the goroutine in Read. cur is small[:] or
	// *big, and cur[r:w] is what was read and not yet parsed; big is held
	// only while cur has something left.
	small [smallSize]byte
	cur   []byte
	r, w  int
	big   *[]byte
	msg   *[]byte // the last message Read returned, when it was assembled
	rerr  error

	// wmu serialises whole writes on rwc, so frames never interleave.
	wmu       sync.Mutex
	closeSent bool // under wmu: no frame may follow a close frame

	closing  atomic.Bool   // Close began
	dropped  atomic.Bool   // rwc was closed
	readDone chan struct{} // closed when Read has seen the end
}

// New returns a client connection over rwc, an established WebSocket
// stream. limit is the largest message Read returns; zero or negative for
// none.
func New(rwc io.ReadWriteCloser, limit int64) *Conn {
	c := &Conn{rwc: rwc, limit: limit, readDone: make(chan struct{})}
	c.cur = c.small[:]
	return c
}

// Read returns the next data message: its type and payload, which stays
// valid until the next call. It answers pings and the peer's close
// meanwhile. After the peer's close frame its error is a *CloseError; after
// a protocol violation or a message over the limit it sends the matching
// close frame, drops the connection, and says why; every later call
// returns the same error.
func (c *Conn) Read() (MessageType, []byte, error) {
	if c.rerr != nil {
		return 0, nil, c.rerr
	}
	if c.msg != nil {
		putBuf(&msgPool, c.msg)
		c.msg = nil
	}
	typ, p, err := c.read()
	if err != nil {
		c.fail(err)
		return 0, nil, c.rerr
	}
	return typ, p, nil
}

// fail ends the read side with err, answering the peer as the error calls
// for.
func (c *Conn) fail(err error) {
	if c.big != nil {
		putBuf(&bigPool, c.big)
		c.big = nil
		c.cur, c.r, c.w = c.small[:], 0, 0
	}
	var code int
	var reason string
	var ce *CloseError
	var pe protocolError
	switch {
	case errors.As(err, &ce):
		code, reason = ce.Code, ""
		if code == StatusNoStatus {
			code = 0 // answer with an empty close frame
		}
	case errors.As(err, &pe):
		code, reason = pe.code, pe.msg
	case errors.Is(err, ErrMessageTooBig):
		code, reason = StatusMessageTooBig, "message too big"
	default:
		code = -1 // the link is gone: nothing to say
	}
	if code >= 0 {
		// Echo the peer's close, or say why we end. Bounded in time:
		// a blocked Write holds the lock.
		t := time.AfterFunc(CloseTimeout, c.drop)
		_ = c.writeClose(code, reason)
		t.Stop()
	}
	c.drop()
	c.rerr = err
	close(c.readDone)
}

// protocolError is a violation by the peer, with the close code it calls
// for.
type protocolError struct {
	code int
	msg  string
}

func (e protocolError) Error() string { return "websocket: protocol violation: " + e.msg }

// Is makes a protocol violation match ErrProtocol.
func (e protocolError) Is(target error) bool { return target == ErrProtocol }

// ErrProtocol is wrapped by the error of a Read that found the peer
// breaking RFC 6455 (a masked or malformed frame, text that is not UTF-8).
var ErrProtocol = errors.New("websocket: protocol violation")

func violation(msg string) error { return protocolError{StatusProtocolError, msg} }

func (c *Conn) read() (MessageType, []byte, error) {
	var typ MessageType // of the message being assembled; 0 before its first frame
	var msg *[]byte
	for {
		// Between messages with nothing buffered, hand the big buffer
		// back: an idle connection blocks on the small array.
		if c.r == c.w && c.big != nil {
			putBuf(&bigPool, c.big)
			c.big = nil
			c.cur, c.r, c.w = c.small[:], 0, 0
		}
		fin, op, n, err := c.header()
		if err != nil {
			return 0, nil, err
		}
		if op >= opClose {
			if err := c.control(op, n); err != nil {
				return 0, nil, err
			}
			continue
		}
		switch {
		case op == opContinuation && typ == 0:
			return 0, nil, violation("continuation frame outside a message")
		case op != opContinuation && typ != 0:
			return 0, nil, violation("new message inside a fragmented one")
		case op != opContinuation && op != byte(Text) && op != byte(Binary):
			return 0, nil, violation("reserved opcode " + strconv.Itoa(int(op)))
		}
		if op != opContinuation {
			typ = MessageType(op)
		}
		have := int64(0)
		if msg != nil {
			have = int64(len(*msg))
		}
		// n > limit-have, not have+n > limit: a frame length near 2^63
		// after a first fragment would overflow the sum past the check.
		if c.limit > 0 && n > c.limit-have {
			return 0, nil, fmt.Errorf("%w: read limited at %d bytes", ErrMessageTooBig, c.limit)
		}
		var p []byte
		if fin && msg == nil && n <= bigSize {
			// A whole message in one frame: read it in place.
			if err := c.fill(int(n)); err != nil {
				return 0, nil, err
			}
			p = c.cur[c.r : c.r+int(n)]
			c.r += int(n)
		} else {
			if msg == nil {
				msg = msgPool.Get().(*[]byte)
				*msg = (*msg)[:0]
			}
			if *msg, err = c.readInto(*msg, n); err != nil {
				putBuf(&msgPool, msg)
				return 0, nil, err
			}
			if !fin {
				continue
			}
			p = *msg
			c.msg = msg
		}
		if typ == Text && !utf8.Valid(p) {
			return 0, nil, protocolError{StatusInvalidData, "text message is not UTF-8"}
		}
		return typ, p, nil
	}
}

// header reads a frame header and checks what needs no payload to check.
func (c *Conn) header() (fin bool, op byte, n int64, err error) {
	if err := c.fill(2); err != nil {
		return false, 0, 0, err
	}
	b0, b1 := c.cur[c.r], c.cur[c.r+1]
	fin, op = b0&0x80 != 0, b0&0x0f
	if b0&0x70 != 0 {
		return false, 0, 0, violation("reserved bits set without an extension")
	}
	if b1&0x80 != 0 {
		return false, 0, 0, violation("the server masked a frame")
	}
	hl := 2
	switch b1 & 0x7f {
	case 126:
		hl = 4
	case 127:
		hl = 10
	}
	if err := c.fill(hl); err != nil {
		return false, 0, 0, err
	}
	h := c.cur[c.r : c.r+hl]
	c.r += hl
	switch hl {
	case 2:
		n = int64(b1 & 0x7f)
	case 4:
		n = int64(binary.BigEndian.Uint16(h[2:]))
	default:
		u := binary.BigEndian.Uint64(h[2:])
		if u>>63 != 0 {
			return false, 0, 0, violation("payload length over 2^63")
		}
		n = int64(u)
	}
	if op >= opClose && (!fin || n > 125) {
		return false, 0, 0, violation("fragmented or long control frame")
	}
	return fin, op, n, nil
}

// control handles a control frame whose n-byte payload comes next.
func (c *Conn) control(op byte, n int64) error {
	if err := c.fill(int(n)); err != nil {
		return err
	}
	p := c.cur[c.r : c.r+int(n)]
	c.r += int(n)
	switch op {
	case opPing:
		c.wmu.Lock()
		defer c.wmu.Unlock()
		if c.closeSent {
			return nil
		}
		var f [2 + 4 + 125]byte
		_, err := c.rwc.Write(appendFrame(f[:0], opPong, p))
		if err != nil {
			return fmt.Errorf("write pong: %w", err)
		}
		return nil
	case opPong:
		return nil
	case opClose:
		ce := &CloseError{Code: StatusNoStatus}
		switch {
		case n == 1:
			return violation("close frame of one byte")
		case n >= 2:
			ce.Code = int(binary.BigEndian.Uint16(p))
			if !validCloseCode(ce.Code) {
				return violation("close code " + strconv.Itoa(ce.Code))
			}
			if !utf8.Valid(p[2:]) {
				return protocolError{StatusInvalidData, "close reason is not UTF-8"}
			}
			ce.Reason = string(p[2:])
		}
		return ce
	}
	return violation("reserved control opcode " + strconv.Itoa(int(op)))
}

// validCloseCode reports whether a peer may send code (RFC 6455 section
// 7.4).
func validCloseCode(code int) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code < 1000 || code > 1014:
		return false
	}
	return code != 1004 && code != 1005 && code != 1006
}

// fill makes cur[r:] hold at least n bytes (n <= bigSize), reading as much
// as the connection has.
func (c *Conn) fill(n int) error {
	for c.w-c.r < n {
		if c.r == c.w {
			c.r, c.w = 0, 0
		}
		if n > len(c.cur)-c.r {
			if c.big == nil {
				// More than the small array holds: move to a pooled
				// buffer until everything read is parsed.
				c.big = bigPool.Get().(*[]byte)
				c.w = copy(*c.big, c.cur[c.r:c.w])
				c.cur = *c.big
			} else {
				c.w = copy(c.cur, c.cur[c.r:c.w])
			}
			c.r = 0
		}
		m, err := c.rwc.Read(c.cur[c.w:])
		c.w += m
		if err != nil && c.w-c.r < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readInto appends the next n payload bytes to b.
func (c *Conn) readInto(b []byte, n int64) ([]byte, error) {
	for n > 0 {
		if c.r == c.w && n >= bigSize/2 {
			// Large: straight from the connection, no copy. Grow in
			// steps, so a lying length costs only what arrives.
			k := int(min(n, 1<<20))
			b = grow(b, k)
			if _, err := io.ReadFull(c.rwc, b[len(b):len(b)+k]); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return b, err
			}
			b = b[:len(b)+k]
			n -= int64(k)
			continue
		}
		if err := c.fill(1); err != nil {
			return b, err
		}
		k := int(min(n, int64(c.w-c.r)))
		b = append(b, c.cur[c.r:c.r+k]...)
		c.r += k
		n -= int64(k)
	}
	return b, nil
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), max(2*cap(b), len(b)+n))
	copy(nb, b)
	return nb
}

func putBuf(p *sync.Pool, b *[]byte) {
	if cap(*b) <= maxPooled {
		p.Put(b)
	}
}

// Write sends each of frames as one message of type typ, all in one
// network write when they fit sendFlush. It returns the write's error; a
// failed write drops the connection, whose stream would be broken.
func (c *Conn) Write(typ MessageType, frames ...[]byte) error {
	bp := sendPool.Get().(*[]byte)
	b := (*bp)[:0]
	c.wmu.Lock()
	defer c.wmu.Unlock()
	err := error(nil)
	if c.closeSent || c.dropped.Load() {
		err = errClosed
	}
	for i, f := range frames {
		if err != nil {
			break
		}
		b = appendFrame(b, byte(typ), f)
		if len(b) >= sendFlush || i == len(frames)-1 {
			err = c.writeLocked(b)
			b = b[:0]
		}
	}
	*bp = b
	putBuf(&sendPool, bp)
	return err
}

func (c *Conn) writeLocked(b []byte) error {
	if _, err := c.rwc.Write(b); err != nil {
		c.drop()
		if c.dropped.Load() && errors.Is(err, net.ErrClosed) {
			return errClosed
		}
		return err
	}
	return nil
}

// appendFrame appends a final, masked client frame of opcode op.
func appendFrame(b []byte, op byte, p []byte) []byte {
	n := len(p)
	switch {
	case n < 126:
		b = append(b, 0x80|op, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|op, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|op, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	// math/rand/v2's top-level source is ChaCha8, a CSPRNG, per thread
	// and without a syscall: the unpredictable mask RFC 6455 asks for.
	key := rand.Uint32()
	b = binary.LittleEndian.AppendUint32(b, key)
	start := len(b)
	b = append(b, p...)
	mask(b[start:], key)
	return b
}

// mask XORs p with the 4-byte key (stored little-endian), eight bytes at a
// time.
func mask(p []byte, key uint32) {
	k8 := uint64(key) | uint64(key)<<32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k8)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= byte(key >> (8 * (i & 3)))
	}
}

// writeClose sends a close frame with code and reason (code 0: none),
// once.
func (c *Conn) writeClose(code int, reason string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	c.closeSent = true
	if c.dropped.Load() {
		return errClosed
	}
	var p []byte
	if code > 0 {
		if len(reason) > 123 {
			// Cut at a rune boundary: the peer fails a close whose
			// reason is not UTF-8.
			reason = reason[:123]
			for len(reason) > 0 && !utf8.ValidString(reason) {
				reason = reason[:len(reason)-1]
			}
		}
		p = binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
		p = append(p, reason...)
	}
	var f [2 + 4 + 125]byte
	return c.writeLocked(appendFrame(f[:0], opClose, p))
}

// Close performs the close handshake: it sends a close frame with code
// and reason, waits for Read to receive the peer's, then drops the
// connection. Each step takes CloseTimeout at most. A second call returns
// at once.
func (c *Conn) Close(code int, reason string) error {
	if c.closing.Swap(true) {
		return nil
	}
	select {
	case <-c.readDone: // the connection already ended
		c.drop()
		return nil
	default:
	}
	t := time.AfterFunc(CloseTimeout, c.drop) // unblocks a stuck write
	err := c.writeClose(code, reason)
	t.Stop()
	if err == nil {
		wait := time.NewTimer(CloseTimeout)
		select {
		case <-c.readDone:
		case <-wait.C:
			err = errors.New("websocket: close handshake timed out")
		}
		wait.Stop()
	}
	c.drop()
	return err
}

// CloseNow drops the connection without a close handshake, unblocking
// Read and any Write.
func (c *Conn) CloseNow() error {
	c.drop()
	return nil
}

func (c *Conn) drop() {
	if !c.dropped.Swap(true) {
		_ = c.rwc.Close()
	}
}
