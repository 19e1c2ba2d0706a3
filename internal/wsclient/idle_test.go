package wsclient

import (
	"bytes"
	"io"
	"testing"
)

// scriptConn hands out its chunks, none two at once. Before the first Read
// of each it calls check with the buffer Read will fill, in the goroutine
// of Conn.Read.
type scriptConn struct {
	chunks [][]byte
	check  func(i int, p []byte)
	i, off int
	out    bytes.Buffer
}

func (s *scriptConn) Read(p []byte) (int, error) {
	if s.i == len(s.chunks) {
		return 0, io.EOF
	}
	if s.off == 0 {
		s.check(s.i, p)
	}
	n := copy(p, s.chunks[s.i][s.off:])
	if s.off += n; s.off == len(s.chunks[s.i]) {
		s.i, s.off = s.i+1, 0
	}
	return n, nil
}

func (s *scriptConn) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s *scriptConn) Close() error                { return nil }

// TestIdleHoldsNoBuffer checks the point of the package: after a message
// bigger than the small array, the next Read that waits for the network
// has given the pooled buffer back and reads into the array.
func TestIdleHoldsNoBuffer(t *testing.T) {
	big := frame(0x82, pattern(5000, 3)) // read in place from the big buffer
	frag := append(frame(0x02, pattern(9000, 4)), frame(0x80, []byte("!"))...)
	sc := &scriptConn{chunks: [][]byte{big[:100], big[100:], frag[:100], frag[100:], frame(0x81, []byte("small"))}}
	var c *Conn
	sc.check = func(i int, p []byte) {
		idle := c.big == nil && cap(p) <= smallSize
		// A read between messages (chunks 0, 2 and 4) must be idle; one
		// in the middle of a big frame may use the pool.
		if (i == 0 || i == 2 || i == 4) && !idle {
			t.Errorf("read %d between messages into a buffer of cap %d, pooled buffer held: %v", i, cap(p), c.big != nil)
		}
	}
	c = New(sc, 0)
	for i, want := range [][]byte{pattern(5000, 3), append(pattern(9000, 4), '!'), []byte("small")} {
		_, p, err := c.Read()
		if err != nil || !bytes.Equal(p, want) {
			t.Fatalf("message %d: %d bytes, %v; want %d bytes", i, len(p), err, len(want))
		}
	}
	if _, _, err := c.Read(); err != io.ErrUnexpectedEOF {
		t.Fatalf("read at the end: %v", err)
	}
	if c.big != nil || c.msg != nil {
		t.Fatal("buffers held after the end")
	}
}
