package nakama

import (
	"context"
	"syscall/js"
)

// frameHiddenMillis is the frame interval while the browser runs no
// animation frames: a hidden page, or a JavaScript host without them.
const frameHiddenMillis = 250

// frameClock paces FrameLoop by the browser's animation frames. Each wait
// asks for the next one and, in case none comes, for a timeout; whichever
// fires first ends the wait, and the other is cancelled, so no callback is
// ever left pending on the released function.
type frameClock struct {
	next   chan struct{}
	signal js.Func
	raf    bool
}

func newFrameClock() *frameClock {
	c := &frameClock{next: make(chan struct{}, 1)}
	// The callback only signals: the frame's work runs on FrameLoop's
	// goroutine, which the runtime runs before it returns to the browser.
	c.signal = js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case c.next <- struct{}{}:
		default:
		}
		return nil
	})
	c.raf = js.Global().Get("requestAnimationFrame").Type() == js.TypeFunction
	return c
}

func (c *frameClock) wait(ctx context.Context) bool {
	g := js.Global()
	var raf js.Value
	if c.raf {
		raf = g.Call("requestAnimationFrame", c.signal)
	}
	timeout := g.Call("setTimeout", c.signal, frameHiddenMillis)
	defer func() {
		if c.raf {
			g.Call("cancelAnimationFrame", raf)
		}
		g.Call("clearTimeout", timeout)
		select {
		case <-c.next: // the other one fired too
		default:
		}
	}()
	select {
	case <-ctx.Done():
		return false
	case <-c.next:
		return true
	}
}

func (c *frameClock) stop() { c.signal.Release() }
