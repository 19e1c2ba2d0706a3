package nakama

import "context"

// FrameLoop runs a game loop on a goroutine of its own: once per frame it
// calls s.Tick, so the socket's handlers run there, then frame, unless nil.
// In a browser (js/wasm) a frame is an animation frame
// (requestAnimationFrame), or a quarter of a second while the page is
// hidden and the browser runs none; elsewhere it is a sixtieth of a second.
//
// Because the loop is a goroutine and not a JavaScript callback, handlers
// and frame may make requests, on the socket or through a Client, and wait
// for the answers, which is what a browser program may not do in a
// callback (see the package doc). Frames that pass while they wait are
// skipped, not queued. The loop ends when ctx is done; the channel it
// returns is closed once it has, after its last Tick.
func FrameLoop(ctx context.Context, s Socket, frame func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		clock := newFrameClock()
		defer clock.stop()
		for clock.wait(ctx) {
			s.Tick()
			if frame != nil {
				frame()
			}
		}
	}()
	return done
}
