//go:build !js

package nakama

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/rtapi"
)

// With AutoDispatch and the native adapter, handlers run on the read
// goroutine, which hands its reading to a spare loop before anything waits
// on the connection. These tests wait on the connection from handlers in
// every way that would otherwise deadlock; the heartbeat is off (it would
// rescue them within an interval) and the request timeout short, so a
// missing hand-over fails them with ErrRequestTimeout instead of passing late.

func sockInlineOptions() *SocketOptions {
	return &SocketOptions{AutoDispatch: true, Keepalive: KeepaliveConfig{Disable: true}, RequestTimeout: 3 * time.Second}
}

// TestInlineHandlerRequests: a handler's own request is answered, and every
// event, those read while it waited included, reaches its handler once, in
// order, one handler at a time.
func TestInlineHandlerRequests(t *testing.T) {
	sockFormats(t, func(t *testing.T, format SocketFormat) {
		f := newSockFakeServer(t, nil)
		o := sockInlineOptions()
		o.Format = format
		s, peer := sockConnect(t, f, o)
		const n = 100
		var running atomic.Int32
		got := make([]int64, 0, n)
		errs := make(chan error, n)
		done := make(chan struct{})
		s.OnMatchData(func(md *rtapi.MatchData) {
			if running.Add(1) != 1 {
				errs <- errors.New("two handlers ran at once")
			}
			defer running.Add(-1)
			got = append(got, md.OpCode)
			if md.OpCode%10 == 1 {
				if err := s.Ping(sockCtx(t)); err != nil {
					errs <- err
				}
			}
			if len(got) == n {
				close(done)
			}
		})
		for i := int64(1); i <= n; i++ {
			peer.send(sockMatchData(i))
		}
		sockWait(t, done, "the last handler")
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for i, op := range got {
			if op != int64(i+1) {
				t.Fatalf("handlers ran in the order %v", got)
			}
		}
		if !s.IsConnected() {
			t.Error("the socket disconnected")
		}
	})
}

// TestInlineHandlerWaitsForAnotherGoroutine: a handler waiting for another
// goroutine's request does not stop that request's answer from being read.
func TestInlineHandlerWaitsForAnotherGoroutine(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, sockInlineOptions())
	pinged := make(chan error, 1)
	handled := make(chan error, 1)
	s.OnMatchData(func(*rtapi.MatchData) {
		go func() { pinged <- s.Ping(sockCtx(t)) }()
		handled <- sockWait(t, pinged, "the other goroutine's ping")
	})
	peer.send(sockMatchData(1))
	if err := sockWait(t, handled, "the handler"); err != nil {
		t.Fatal(err)
	}
}

// TestInlineCloseFromHandler: a handler that closes the socket, whose close
// handshake needs the connection read, gets its Close back, then the
// disconnect is handled, and Done closes.
func TestInlineCloseFromHandler(t *testing.T) {
	f := newSockFakeServer(t, nil)
	s, peer := sockConnect(t, f, sockInlineOptions())
	closed := make(chan error, 1)
	disconnected := make(chan error, 1)
	s.OnMatchData(func(*rtapi.MatchData) { closed <- s.Close() })
	s.OnDisconnect(func(err error) { disconnected <- err })
	peer.send(sockMatchData(1))
	if err := sockWait(t, closed, "Close in the handler"); err != nil {
		t.Fatal(err)
	}
	if err := sockWait(t, disconnected, "OnDisconnect"); CloseStatus(err) != sockCloseNormal {
		t.Errorf("disconnect %v, want a normal close", err)
	}
	sockWait(t, s.Done(), "Done")
}

// TestInlineSlowHandlerKeepsHeartbeat: a handler that blocks for longer
// than the heartbeat's timeout does not get the connection declared dead:
// the heartbeat has the pongs read elsewhere. Events that arrive meanwhile
// wait, in order, for the handler to return.
func TestInlineSlowHandlerKeepsHeartbeat(t *testing.T) {
	f := newSockFakeServer(t, nil)
	o := sockInlineOptions()
	o.Keepalive = KeepaliveConfig{Interval: 20 * time.Millisecond, Timeout: 40 * time.Millisecond}
	s, peer := sockConnect(t, f, o)
	release := make(chan struct{})
	var got []int64
	done := make(chan struct{})
	s.OnMatchData(func(md *rtapi.MatchData) {
		if md.OpCode == 1 {
			<-release
		}
		got = append(got, md.OpCode)
		if len(got) == 3 {
			close(done)
		}
	})
	var disc atomic.Value
	s.OnDisconnect(func(err error) { disc.Store(err) })
	peer.send(sockMatchData(1))
	peer.send(sockMatchData(2))
	// Pings keep coming and being answered while the handler blocks: ten
	// of them span several timeouts.
	pings := 0
	for pings < 10 {
		if _, ok := peer.next(t).Message.(*rtapi.Envelope_Ping); ok {
			pings++
		}
	}
	peer.send(sockMatchData(3))
	close(release)
	sockWait(t, done, "the handlers")
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("handlers ran for %v", got)
	}
	if err := disc.Load(); err != nil {
		t.Fatalf("disconnected while the handler blocked: %v", err)
	}
	if !s.IsConnected() {
		t.Error("the socket is not connected")
	}
}
