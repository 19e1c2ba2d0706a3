package nakama

import (
	"context"
	"sync/atomic"
	"testing"
)

// tickCounter is a Socket whose Tick counts its calls.
type tickCounter struct {
	Socket
	ticks atomic.Int32
}

func (c *tickCounter) Tick() int { c.ticks.Add(1); return 0 }

// TestFrameLoop checks that each frame ticks the socket before calling
// frame, on one goroutine, and that the loop ends with its context.
func TestFrameLoop(t *testing.T) {
	s := &tickCounter{}
	ctx, cancel := context.WithCancel(context.Background())
	frames := 0
	third := make(chan struct{})
	done := FrameLoop(ctx, s, func() {
		frames++
		if int(s.ticks.Load()) != frames {
			t.Errorf("frame %d after %d ticks", frames, s.ticks.Load())
		}
		if frames == 3 {
			close(third)
		}
	})
	<-third
	cancel()
	<-done
	if n := int(s.ticks.Load()); n != frames || n < 3 {
		t.Errorf("%d ticks, %d frames", n, frames)
	}
}
