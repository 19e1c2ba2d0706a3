package wsclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// rawConn is the server end of a connection whose handshake was done by
// hand: tests write frame bytes a well-behaved library never sends.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// rawListen starts a listener whose every connection is handed to serve
// with its handshake request read; it returns the ws:// URL. The listener
// and its connections close at the end of the test, once serve returns.
func rawListen(t *testing.T, serve func(rc *rawConn, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			rc := &rawConn{Conn: nc, br: bufio.NewReader(nc)}
			req, err := http.ReadRequest(rc.br)
			if err != nil {
				nc.Close()
				continue
			}
			serve(rc, req)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "ws://" + ln.Addr().String() + "/ws"
}

// upgrade answers req with a correct switch to WebSocket.
func upgrade(rc *rawConn, req *http.Request) {
	fmt.Fprintf(rc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		acceptKey(req.Header.Get("Sec-WebSocket-Key")))
}

// dialRaw dials a raw peer that upgrades and then hands its end over.
func dialRaw(t *testing.T, limit int64) (*Conn, *rawConn) {
	t.Helper()
	conns := make(chan *rawConn, 1)
	u := rawListen(t, func(rc *rawConn, req *http.Request) {
		upgrade(rc, req)
		conns <- rc
	})
	c, _, err := Dial(context.Background(), u, &DialOptions{ReadLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	rc := await(t, conns, "raw accept")
	t.Cleanup(func() { c.CloseNow(); rc.Close() })
	return c, rc
}

// frame is a server frame's bytes: fin, rsv and op in the first byte
// (b0), then the length as the server must encode it, then p.
func frame(b0 byte, p []byte) []byte {
	b := []byte{b0}
	switch n := len(p); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
}

func closePayload(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// readFrame reads one client frame, which must be masked, and unmasks it.
func (rc *rawConn) readFrame() (b0 byte, p []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(rc.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 == 0 {
		return 0, nil, errors.New("the client sent an unmasked frame")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(rc.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(rc.br, e[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	var key [4]byte
	if _, err := io.ReadFull(rc.br, key[:]); err != nil {
		return 0, nil, err
	}
	p = make([]byte, n)
	if _, err := io.ReadFull(rc.br, p); err != nil {
		return 0, nil, err
	}
	for i := range p {
		p[i] ^= key[i%4]
	}
	return h[0], p, nil
}

// expectClose reads the client's frames up to its close frame and checks
// its code (0: an empty close frame; -1: no close frame, only the end).
func (rc *rawConn) expectClose(t *testing.T, code int) {
	t.Helper()
	b0, p, err := rc.readFrame()
	if code < 0 {
		if err == nil {
			t.Fatalf("client sent frame %#x %q, want only the end of the stream", b0, p)
		}
		return
	}
	if err != nil {
		t.Fatalf("want a close frame with code %d: %v", code, err)
	}
	if b0 != 0x80|opClose {
		t.Fatalf("client sent frame %#x %q, want a close frame", b0, p)
	}
	switch {
	case code == 0 && len(p) != 0:
		t.Fatalf("close frame %q, want an empty one", p)
	case code > 0 && (len(p) < 2 || int(binary.BigEndian.Uint16(p)) != code):
		t.Fatalf("close frame %q, want code %d", p, code)
	case len(p) > 125 || len(p) >= 2 && !utf8.Valid(p[2:]):
		t.Fatalf("close frame of %d bytes, invalid", len(p))
	}
	// Then the client drops the connection.
	if b0, p, err := rc.readFrame(); err == nil {
		t.Fatalf("frame %#x %q after the close frame", b0, p)
	}
}

// TestViolations has the server break RFC 6455 in each way a client must
// catch: each ends Read with a clear error and, where the RFC says so, a
// close frame with the matching code.
func TestViolations(t *testing.T) {
	masked := []byte{0x81, 0x85, 1, 2, 3, 4}
	for i, b := range []byte("Hello") {
		masked = append(masked, b^byte(i%4+1))
	}
	huge := append([]byte{0x82, 127}, binary.BigEndian.AppendUint64(nil, 1<<63|5)...)
	for _, tc := range []struct {
		name   string
		stream []byte
		is     error  // what the error wraps
		says   string // what the error says
		code   int    // the client's close code; -1 for none
	}{
		{"masked frame", masked, ErrProtocol, "masked", StatusProtocolError},
		{"rsv1", frame(0x80|0x40|2, []byte("x")), ErrProtocol, "reserved bits", StatusProtocolError},
		{"rsv2", frame(0x80|0x20|1, nil), ErrProtocol, "reserved bits", StatusProtocolError},
		{"rsv3 on a ping", frame(0x80|0x10|opPing, nil), ErrProtocol, "reserved bits", StatusProtocolError},
		{"data opcode 3", frame(0x80|3, []byte("x")), ErrProtocol, "opcode 3", StatusProtocolError},
		{"data opcode 7", frame(0x80|7, nil), ErrProtocol, "opcode 7", StatusProtocolError},
		{"control opcode 11", frame(0x80|0xB, []byte("x")), ErrProtocol, "opcode 11", StatusProtocolError},
		{"control opcode 15", frame(0x80|0xF, nil), ErrProtocol, "opcode 15", StatusProtocolError},
		{"ping of 126 bytes", frame(0x80|opPing, make([]byte, 126)), ErrProtocol, "control frame", StatusProtocolError},
		{"close of 126 bytes", frame(0x80|opClose, closePayload(1000, strings.Repeat("r", 124))), ErrProtocol, "control frame", StatusProtocolError},
		{"fragmented ping", frame(opPing, []byte("p")), ErrProtocol, "control frame", StatusProtocolError},
		{"fragmented close", frame(opClose, closePayload(1000, "")), ErrProtocol, "control frame", StatusProtocolError},
		{"continuation first", frame(0x80|opContinuation, []byte("x")), ErrProtocol, "continuation", StatusProtocolError},
		{"continuation after a whole message", append(frame(0x82, []byte("a")), frame(0x80, []byte("b"))...), ErrProtocol, "continuation", StatusProtocolError},
		{"new message inside a fragmented one", append(frame(0x01, []byte("a")), frame(0x81, []byte("b"))...), ErrProtocol, "inside a fragmented", StatusProtocolError},
		{"new binary inside fragmented text", append(frame(0x01, []byte("a")), frame(0x02, []byte("b"))...), ErrProtocol, "inside a fragmented", StatusProtocolError},
		{"length with the top bit", huge, ErrProtocol, "length", StatusProtocolError},
		{"close of one byte", frame(0x80|opClose, []byte{3}), ErrProtocol, "one byte", StatusProtocolError},
		{"close code 999", frame(0x80|opClose, closePayload(999, "")), ErrProtocol, "999", StatusProtocolError},
		{"close code 1004", frame(0x80|opClose, closePayload(1004, "")), ErrProtocol, "1004", StatusProtocolError},
		{"close code 1005", frame(0x80|opClose, closePayload(1005, "")), ErrProtocol, "1005", StatusProtocolError},
		{"close code 1006", frame(0x80|opClose, closePayload(1006, "")), ErrProtocol, "1006", StatusProtocolError},
		{"close code 1015", frame(0x80|opClose, closePayload(1015, "")), ErrProtocol, "1015", StatusProtocolError},
		{"close code 2999", frame(0x80|opClose, closePayload(2999, "")), ErrProtocol, "2999", StatusProtocolError},
		{"close code 5000", frame(0x80|opClose, closePayload(5000, "")), ErrProtocol, "5000", StatusProtocolError},
		{"close reason not UTF-8", frame(0x80|opClose, closePayload(1000, "ok\xff\xfe")), ErrProtocol, "UTF-8", StatusInvalidData},
		{"text not UTF-8", frame(0x81, []byte("a\xffb")), ErrProtocol, "UTF-8", StatusInvalidData},
		{"text truncated rune", frame(0x81, []byte("caf\xc3")), ErrProtocol, "UTF-8", StatusInvalidData},
		{"fragmented text not UTF-8", append(frame(0x01, []byte("caf\xc3")), frame(0x80, []byte("\xc3"))...), ErrProtocol, "UTF-8", StatusInvalidData},
		{"big text not UTF-8", frame(0x81, append(bytes.Repeat([]byte("a"), 20000), 0xff)), ErrProtocol, "UTF-8", StatusInvalidData},
		{"truncated header", []byte{0x82}, io.ErrUnexpectedEOF, "EOF", -1},
		{"truncated 16-bit length", []byte{0x82, 126, 1}, io.ErrUnexpectedEOF, "EOF", -1},
		{"truncated 64-bit length", []byte{0x82, 127, 0, 0, 0}, io.ErrUnexpectedEOF, "EOF", -1},
		{"truncated payload", append([]byte{0x82, 10}, "abc"...), io.ErrUnexpectedEOF, "EOF", -1},
		{"truncated big payload", append([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}, make([]byte, 20000)...), io.ErrUnexpectedEOF, "EOF", -1},
		{"truncated ping", []byte{0x89, 5, 'p'}, io.ErrUnexpectedEOF, "EOF", -1},
		{"truncated fragmented message", frame(0x02, []byte("abc")), io.ErrUnexpectedEOF, "EOF", -1},
		{"end between messages", frame(0x82, []byte("a"))[:0], io.ErrUnexpectedEOF, "EOF", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rc := dialRaw(t, 0)
			if _, err := rc.Write(tc.stream); err != nil {
				t.Fatal(err)
			}
			if tc.code < 0 {
				rc.Conn.(*net.TCPConn).CloseWrite()
			}
			// Whole messages before the violation come first.
			typ, p, err := c.Read()
			for i := 0; err == nil && i < 3; i++ {
				typ, p, err = c.Read()
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("read: %v %q, %v; want an error wrapping %v saying %q", typ, p, err, tc.is, tc.says)
			}
			var pe protocolError
			if errors.As(err, &pe) && pe.code != tc.code {
				t.Errorf("the error calls for close code %d, want %d", pe.code, tc.code)
			}
			rc.expectClose(t, tc.code)
			if _, _, err2 := c.Read(); err2 != err {
				t.Errorf("second read: %v, want the same error", err2)
			}
			if err := c.Write(Binary, []byte("x")); !errors.Is(err, net.ErrClosed) {
				t.Errorf("write after the violation: %v, want net.ErrClosed", err)
			}
		})
	}
}

// TestRawWellFormed checks frames a library may send that coder/websocket
// does not: control frames between fragments, unsolicited pongs, empty
// fragments, the longest control frame, a close without a code.
func TestRawWellFormed(t *testing.T) {
	c, rc := dialRaw(t, 0)
	ping := bytes.Repeat([]byte("p"), 125)
	var s []byte
	s = append(s, frame(0x80|opPong, []byte("unasked"))...)
	s = append(s, frame(0x01, []byte("caf\xc3"))...) // a rune split across frames
	s = append(s, frame(0x80|opPing, ping)...)
	s = append(s, frame(0x00, nil)...)
	s = append(s, frame(0x80|opPong, nil)...)
	s = append(s, frame(0x00, []byte("\xa9"))...)
	s = append(s, frame(0x00, bytes.Repeat([]byte("b"), 70000))...)
	s = append(s, frame(0x80, []byte("!"))...)
	s = append(s, frame(0x82, nil)...)
	s = append(s, frame(0x80|opPing, nil)...)
	s = append(s, frame(0x80|opClose, nil)...)
	go rc.Write(s) // bigger than a socket buffer may take before we read

	typ, p, err := c.Read()
	want := "café" + strings.Repeat("b", 70000) + "!"
	if err != nil || typ != Text || string(p) != want {
		t.Fatalf("read: %v %d bytes, %v; want the text of %d bytes", typ, len(p), err, len(want))
	}
	typ, p, err = c.Read()
	if err != nil || typ != Binary || len(p) != 0 {
		t.Fatalf("read: %v %q, %v; want an empty binary message", typ, p, err)
	}
	_, _, err = c.Read()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != StatusNoStatus || ce.Reason != "" {
		t.Fatalf("read: %v, want the peer's close without status (1005)", err)
	}
	for i, want := range [][]byte{ping, {}} {
		b0, p, err := rc.readFrame()
		if err != nil || b0 != 0x80|opPong || !bytes.Equal(p, want) {
			t.Fatalf("frame %d: %#x %q, %v; want a pong of the ping's %d bytes", i, b0, p, err, len(want))
		}
	}
	rc.expectClose(t, 0) // an empty close answers an empty close
}

// TestRawReadLimit checks that a frame whose header says it is over the
// limit fails at once, without its payload, even when a fragment before it
// makes the length add up past any int64.
func TestRawReadLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream []byte
	}{
		{"huge length, no payload", []byte{0x82, 127, 0x40, 0, 0, 0, 0, 0, 0, 0}},
		{"one over", frame(0x82, make([]byte, 1025))},
		{"fragments add up", append(frame(0x02, make([]byte, 1000)), frame(0x80, make([]byte, 25))...)},
		{"the sum overflows", append(frame(0x02, make([]byte, 10)), 0x80, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, rc := dialRaw(t, 1024)
			if _, err := rc.Write(tc.stream); err != nil {
				t.Fatal(err)
			}
			// The stream stays open: the client must not wait for the
			// payload.
			_, p, err := c.Read()
			if !errors.Is(err, ErrMessageTooBig) {
				t.Fatalf("read: %d bytes, %v; want ErrMessageTooBig", len(p), err)
			}
			rc.expectClose(t, StatusMessageTooBig)
		})
	}
}

// TestCloseLongReason closes with a reason over the 123 bytes a close
// frame has room for: it is cut at a rune boundary, so that the peer gets
// valid UTF-8 (RFC 6455 section 5.5.1).
func TestCloseLongReason(t *testing.T) {
	c, rc := dialRaw(t, 0)
	readErr := readAll(c)
	reason := strings.Repeat("é", 100) // 200 bytes
	closed := make(chan error, 1)
	go func() { closed <- c.Close(4000, reason) }()
	b0, p, err := rc.readFrame()
	if err != nil || b0 != 0x80|opClose || len(p) < 2 || binary.BigEndian.Uint16(p) != 4000 {
		t.Fatalf("frame %#x %q, %v; want a close with code 4000", b0, p, err)
	}
	got := string(p[2:])
	if len(p) > 125 || !utf8.ValidString(got) || !strings.HasPrefix(reason, got) || len(got) < 120 {
		t.Fatalf("reason of %d bytes %q: want the longest prefix of the reason that is UTF-8 and fits", len(got), got)
	}
	rc.Write(frame(0x80|opClose, p)) // the echo ends the handshake
	if err := await(t, closed, "close"); err != nil {
		t.Fatalf("close: %v", err)
	}
	var ce *CloseError
	if err := await(t, readErr, "read"); !errors.As(err, &ce) || ce.Code != 4000 {
		t.Fatalf("read: %v, want the echo of 4000", err)
	}
}
