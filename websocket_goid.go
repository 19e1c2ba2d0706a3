package nakama

import (
	"runtime"
	"strconv"
)

// goid returns the calling goroutine's id, or 0 if it cannot be read. It
// lets Close tell whether it runs on the dispatcher goroutine, which it must
// not wait for. Close calls it once, so its cost does not matter.
func sockGoid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	b = b[len(prefix):]
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	id, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil {
		return 0
	}
	return id
}
