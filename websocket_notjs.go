//go:build !js

package nakama

// sockFinishClose runs the end of WebSocket.Close: natively, Close waits
// for it.
func sockFinishClose(wait func()) { wait() }
