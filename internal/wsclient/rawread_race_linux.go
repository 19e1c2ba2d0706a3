//go:build linux && !386 && !s390x && race

package wsclient

import (
	"errors"
	"syscall"
)

// sysRead is syscall.Read under the race detector: a raw syscall would skip
// the annotations by which it sees a write to one socket happen before the
// read of it from another, and report races that sockets in fact order.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	var e syscall.Errno
	if err != nil && !errors.As(err, &e) {
		e = syscall.EIO
	}
	return max(n, 0), e
}
