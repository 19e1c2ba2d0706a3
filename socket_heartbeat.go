package nakama

import (
	"container/heap"
	"fmt"
	"sync"
	"time"
)

// The heartbeats of every connected socket of the process share one timer
// and one goroutine, which exists only while some socket with a heartbeat
// is connected. An idle socket then costs no goroutine of its own besides
// the adapter's reader: each connection is an entry in a heap ordered by
// when it next needs attention, either to send a ping or to give up on the
// pong of the one it sent.
var sockHeart sockBeats

type sockBeats struct {
	mu    sync.Mutex
	conns sockBeatHeap
	// armed is when the loop's timer fires; zero while it waits for a kick.
	armed time.Time
	// Set while the loop runs: kick re-arms it, stop ends it, exited is
	// closed as it returns.
	running bool
	kick    chan struct{}
	stop    chan struct{}
	exited  chan struct{}
}

// sockBeat is a connection's heartbeat state, guarded by sockHeart.mu.
type sockBeat struct {
	due time.Time
	// idx is the position in the heap; -1 when not in it.
	idx int
	// awaiting is set between a ping and its pong; due is then the
	// deadline for the pong.
	awaiting bool
}

type sockBeatHeap []*sockConn

func (h sockBeatHeap) Len() int           { return len(h) }
func (h sockBeatHeap) Less(i, j int) bool { return h[i].hb.due.Before(h[j].hb.due) }
func (h sockBeatHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hb.idx, h[j].hb.idx = i, j
}
func (h *sockBeatHeap) Push(x any) {
	c := x.(*sockConn)
	c.hb.idx = len(*h)
	*h = append(*h, c)
}
func (h *sockBeatHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.hb.idx = -1
	return c
}

// add schedules c's first ping, starting the loop if it is not running.
func (b *sockBeats) add(c *sockConn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.hb = sockBeat{due: time.Now().Add(c.s.opts.Keepalive.Interval), idx: -1}
	heap.Push(&b.conns, c)
	if !b.running {
		b.running = true
		b.kick, b.stop, b.exited = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go b.loop(b.kick, b.stop, b.exited)
		return
	}
	b.rearmLocked(c)
}

// rearmLocked wakes the loop when c is now due before its timer fires.
func (b *sockBeats) rearmLocked(c *sockConn) {
	if c.hb.idx == 0 && (b.armed.IsZero() || c.hb.due.Before(b.armed)) {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// remove drops c and, when no connection is left, stops the loop and
// waits for it, so that no goroutine outlives the last socket's Close. It
// must not be called from the loop.
func (b *sockBeats) remove(c *sockConn) {
	b.mu.Lock()
	if c.hb.idx >= 0 {
		heap.Remove(&b.conns, c.hb.idx)
	}
	if len(b.conns) > 0 || !b.running {
		b.mu.Unlock()
		return
	}
	b.running = false
	close(b.stop)
	exited := b.exited
	b.mu.Unlock()
	<-exited
}

// pong records the answer to c's ping and schedules the next one.
func (b *sockBeats) pong(c *sockConn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.hb.idx < 0 || !c.hb.awaiting {
		return
	}
	c.hb.awaiting = false
	c.hb.due = time.Now().Add(c.s.opts.Keepalive.Interval)
	heap.Fix(&b.conns, c.hb.idx)
	b.rearmLocked(c)
}

func (b *sockBeats) loop(kick, stop, exited chan struct{}) {
	defer close(exited)
	t := time.NewTimer(time.Hour)
	t.Stop()
	var pings, dead []*sockConn
	for {
		b.mu.Lock()
		now := time.Now()
		for len(b.conns) > 0 && !b.conns[0].hb.due.After(now) {
			c := b.conns[0]
			if c.hb.awaiting && c.s.q.lend() {
				// The pong may wait unread behind a handler running on
				// the read goroutine: it is read now; give it its time.
				c.hb.due = now.Add(c.s.opts.Keepalive.Timeout)
				heap.Fix(&b.conns, 0)
				continue
			}
			if c.hb.awaiting {
				heap.Pop(&b.conns)
				dead = append(dead, c)
				continue
			}
			c.hb.awaiting = true
			c.hb.due = now.Add(c.s.opts.Keepalive.Timeout)
			heap.Fix(&b.conns, 0)
			pings = append(pings, c)
		}
		b.armed = time.Time{}
		if len(b.conns) > 0 {
			b.armed = b.conns[0].hb.due
			t.Reset(b.armed.Sub(now))
		}
		b.mu.Unlock()
		// Outside the lock: a ping may start a writer, a shutdown a
		// finisher, neither of which must wait for this loop.
		for i, c := range pings {
			// A handler running on the read goroutine that long gets the
			// reading handed to another goroutine, so that a slow handler
			// stalls the connection for one interval at most.
			c.s.q.lend()
			c.sendPing()
			pings[i] = nil
		}
		for i, c := range dead {
			c.shutdown(&CloseError{Code: sockCloseAbnormal,
				Err: fmt.Errorf("%w: no pong within %v", ErrHeartbeatTimeout, c.s.opts.Keepalive.Timeout)}, false)
			dead[i] = nil
		}
		pings, dead = pings[:0], dead[:0]
		select {
		case <-t.C:
		case <-kick:
			t.Stop()
		case <-stop:
			t.Stop()
			return
		}
	}
}
