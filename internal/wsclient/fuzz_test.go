package wsclient

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"unicode/utf8"
)

// memConn is a server stream held in memory: Read hands out in at most
// chunk bytes a call (to reach every buffering path), Write records.
type memConn struct {
	in     []byte
	chunk  int
	out    bytes.Buffer
	closed bool
}

func (m *memConn) Read(p []byte) (int, error) {
	switch {
	case m.closed:
		return 0, net.ErrClosed
	case len(m.in) == 0:
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), m.chunk)], m.in)
	m.in = m.in[n:]
	return n, nil
}

func (m *memConn) Write(p []byte) (int, error) {
	if m.closed {
		return 0, net.ErrClosed
	}
	return m.out.Write(p)
}

func (m *memConn) Close() error { m.closed = true; return nil }

// refMsg is a message as refDecode finds it.
type refMsg struct {
	typ MessageType
	p   []byte
}

// refEnd is how a stream ends: "eof", "close" (the peer's code and
// reason), "protocol" (the close code a violation calls for) or "toobig".
type refEnd struct {
	kind   string
	code   int
	reason string
}

// refDecode is RFC 6455 section 5 for a client, written for plainness, not
// speed, as the reference Conn must agree with. It checks in Conn's order:
// a header's first two bytes, its length, the control frame rules; then a
// control frame's payload and meaning, or a data frame's place in its
// message, the limit, the payload, and a whole text's UTF-8.
func refDecode(s []byte, limit int64) (msgs []refMsg, pings [][]byte, end refEnd) {
	violation := func(code int) ([]refMsg, [][]byte, refEnd) {
		return msgs, pings, refEnd{kind: "protocol", code: code}
	}
	eof := func() ([]refMsg, [][]byte, refEnd) { return msgs, pings, refEnd{kind: "eof"} }
	has := func(n uint64) bool { return uint64(len(s)) >= n }
	var typ MessageType
	var buf []byte
	for {
		if !has(2) {
			return eof()
		}
		fin, rsv, op, masked, n7 := s[0]&0x80 != 0, s[0]&0x70, s[0]&0x0f, s[1]&0x80 != 0, s[1]&0x7f
		if rsv != 0 || masked {
			return violation(StatusProtocolError)
		}
		n, hl := uint64(n7), uint64(2)
		switch n7 {
		case 126:
			if hl = 4; !has(hl) {
				return eof()
			}
			n = uint64(binary.BigEndian.Uint16(s[2:]))
		case 127:
			if hl = 10; !has(hl) {
				return eof()
			}
			if n = binary.BigEndian.Uint64(s[2:]); n >= 1<<63 {
				return violation(StatusProtocolError)
			}
		}
		s = s[hl:]
		if op >= 8 {
			if !fin || n > 125 {
				return violation(StatusProtocolError)
			}
			if !has(n) {
				return eof()
			}
			p := s[:n]
			s = s[n:]
			switch op {
			case opPing:
				pings = append(pings, p)
			case opPong:
			case opClose:
				if len(p) == 0 {
					return msgs, pings, refEnd{kind: "close", code: StatusNoStatus}
				}
				if len(p) == 1 {
					return violation(StatusProtocolError)
				}
				code := int(binary.BigEndian.Uint16(p))
				valid := code >= 3000 && code <= 4999 || code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006
				if !valid {
					return violation(StatusProtocolError)
				}
				if !utf8.Valid(p[2:]) {
					return violation(StatusInvalidData)
				}
				return msgs, pings, refEnd{kind: "close", code: code, reason: string(p[2:])}
			default:
				return violation(StatusProtocolError)
			}
			continue
		}
		switch {
		case op == opContinuation && typ == 0, op != opContinuation && typ != 0,
			op != opContinuation && op != byte(Text) && op != byte(Binary):
			return violation(StatusProtocolError)
		}
		if op != opContinuation {
			typ = MessageType(op)
		}
		if limit > 0 && n > uint64(limit)-uint64(len(buf)) {
			return msgs, pings, refEnd{kind: "toobig"}
		}
		if !has(n) {
			return eof()
		}
		buf = append(buf, s[:n]...)
		s = s[n:]
		if !fin {
			continue
		}
		if typ == Text && !utf8.Valid(buf) {
			return violation(StatusInvalidData)
		}
		msgs = append(msgs, refMsg{typ, bytes.Clone(buf)})
		typ, buf = 0, nil
	}
}

// clientFrames parses what the client wrote: masked, final frames.
func clientFrames(t *testing.T, b []byte) (ops []byte, payloads [][]byte) {
	t.Helper()
	rc := &rawConn{br: bufioReader(b)}
	for {
		b0, p, err := rc.readFrame()
		if errors.Is(err, io.EOF) {
			return ops, payloads
		}
		if err != nil {
			t.Fatalf("the client wrote a bad frame: %v", err)
		}
		if b0&0xf0 != 0x80 {
			t.Fatalf("the client wrote frame byte %#x: not final, or rsv bits", b0)
		}
		ops = append(ops, b0&0x0f)
		payloads = append(payloads, p)
	}
}

// FuzzRead feeds the fuzzer's bytes to a Conn as the server's stream, read
// in chunks of its choosing, with its choice of limit (0: none). Conn must
// agree with refDecode on every message and on how the stream ends, never
// return a message over the limit, answer each ping before the end, and
// close with the code the end calls for.
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, uint8(0), uint16(0))
		f.Add(s, uint8(1), uint16(1000))
		f.Add(s, uint8(7), uint16(3))
	}
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8, limit uint16) {
		mc := &memConn{in: stream, chunk: int(chunk)}
		if chunk == 0 {
			mc.chunk = len(stream) + 1
		}
		c := New(mc, int64(limit))
		var got []refMsg
		var err error
		for reads := 0; ; reads++ {
			// Each message takes two bytes at least: more reads than that
			// means Read returned without consuming the stream.
			if reads > len(stream)/2+1 {
				t.Fatalf("%d reads from %d bytes", reads, len(stream))
			}
			var typ MessageType
			var p []byte
			typ, p, err = c.Read()
			if err != nil {
				break
			}
			if limit > 0 && len(p) > int(limit) {
				t.Fatalf("a message of %d bytes over the limit %d", len(p), limit)
			}
			got = append(got, refMsg{typ, bytes.Clone(p)})
		}
		if !mc.closed {
			t.Fatalf("the connection is still open after %v", err)
		}
		wantMsgs, pings, end := refDecode(stream, int64(limit))
		if len(got) != len(wantMsgs) {
			t.Fatalf("%d messages, want %d (then %+v); error %v", len(got), len(wantMsgs), end, err)
		}
		for i := range got {
			if got[i].typ != wantMsgs[i].typ || !bytes.Equal(got[i].p, wantMsgs[i].p) {
				t.Fatalf("message %d: %v %q, want %v %q", i, got[i].typ, got[i].p, wantMsgs[i].typ, wantMsgs[i].p)
			}
		}
		closeCode := -1 // what the client's close frame must say; -1: none
		var ce *CloseError
		var pe protocolError
		switch end.kind {
		case "eof":
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v, want unexpected EOF", err)
			}
		case "close":
			if !errors.As(err, &ce) || ce.Code != end.code || ce.Reason != end.reason {
				t.Fatalf("error %v, want the peer's close %d %q", err, end.code, end.reason)
			}
			closeCode = end.code
			if closeCode == StatusNoStatus {
				closeCode = 0
			}
		case "protocol":
			if !errors.As(err, &pe) || pe.code != end.code || !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v, want a protocol violation calling for %d", err, end.code)
			}
			closeCode = end.code
		case "toobig":
			if !errors.Is(err, ErrMessageTooBig) {
				t.Fatalf("error %v, want ErrMessageTooBig", err)
			}
			closeCode = StatusMessageTooBig
		}
		ops, payloads := clientFrames(t, mc.out.Bytes())
		want := len(pings)
		if closeCode >= 0 {
			want++
		}
		if len(ops) != want {
			t.Fatalf("the client wrote %d frames, want %d pongs and close code %d", len(ops), len(pings), closeCode)
		}
		for i, ping := range pings {
			if ops[i] != opPong || !bytes.Equal(payloads[i], ping) {
				t.Fatalf("frame %d: op %d %q, want a pong of %q", i, ops[i], payloads[i], ping)
			}
		}
		if closeCode >= 0 {
			op, p := ops[len(pings)], payloads[len(pings)]
			switch {
			case op != opClose:
				t.Fatalf("last frame op %d, want a close", op)
			case closeCode == 0 && len(p) != 0:
				t.Fatalf("close %q, want an empty close", p)
			case closeCode > 0 && (len(p) < 2 || int(binary.BigEndian.Uint16(p)) != closeCode || !utf8.Valid(p[2:])):
				t.Fatalf("close %q, want code %d and a UTF-8 reason", p, closeCode)
			}
		}
		if _, _, err2 := c.Read(); err2 != err {
			t.Fatalf("a read after the end: %v, want %v again", err2, err)
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// fuzzSeeds are well-formed streams, and a few that break one rule each,
// for the fuzzer to mutate.
func fuzzSeeds() [][]byte {
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	return [][]byte{
		nil,
		cat(frame(0x81, []byte("hello")), frame(0x82, []byte{0, 1, 2}), frame(0x80|opClose, closePayload(1000, "bye"))),
		cat(frame(0x01, []byte("caf\xc3")), frame(0x80|opPing, []byte("p")), frame(0x80, []byte("\xa9"))),
		cat(frame(0x02, []byte("ab")), frame(0x00, nil), frame(0x80|opPong, []byte("x")), frame(0x80, []byte("cd"))),
		cat(frame(0x82, make([]byte, 126)), frame(0x82, make([]byte, 1001)), frame(0x80|opClose, nil)),
		cat(frame(0x82, bytes.Repeat([]byte{7}, 9000)), frame(0x80|opPing, nil)),
		cat(frame(0x80|opPing, bytes.Repeat([]byte("p"), 125)), frame(0x81, nil), frame(0x80|opClose, closePayload(4000, "é"))),
		cat(frame(0x81, []byte("ok")), []byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5}, []byte("12345")),
		cat(frame(0x80|opClose, []byte{3})),
		cat(frame(0x81, []byte("a\xff"))),
		cat(frame(0x02, []byte("x")), frame(0x82, []byte("y"))),
		append([]byte{0x81, 0x82, 1, 2, 3, 4}, 'a'^1, 'b'^2),
		// A fragment, then one whose length overflows the sum.
		cat(frame(0x02, make([]byte, 10)), []byte{0x80, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb}),
	}
}
