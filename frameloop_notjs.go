//go:build !js

package nakama

import (
	"context"
	"time"
)

// frameClock paces FrameLoop at 60 frames a second.
type frameClock struct{ t *time.Ticker }

func newFrameClock() *frameClock { return &frameClock{t: time.NewTicker(time.Second / 60)} }

// wait waits for the next frame; false when ctx ended first.
func (c *frameClock) wait(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-c.t.C:
		return true
	}
}

func (c *frameClock) stop() { c.t.Stop() }
