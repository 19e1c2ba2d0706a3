package nakama

// sockFinishClose runs the end of WebSocket.Close: in a browser on a
// goroutine of its own, so that Close may be called from a JavaScript event
// callback, which must return before the browser delivers anything else.
func sockFinishClose(wait func()) { go wait() }
