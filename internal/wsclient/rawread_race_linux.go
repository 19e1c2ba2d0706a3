//go:build linux && !386 && !s390x && race

package wsclient

import (
	"errors"
	"syscall"
)

// sysRecv is recvfrom(2) with MSG_DONTWAIT, then, under the race detector,
// an empty syscall.Read (a socket answers one at once) for the detector's
// annotations: without them it would not see a write to one socket happen
// before the read of it from another, and would report races that sockets
// in fact order.
func sysRecv(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, err := syscall.Recvfrom(int(fd), p, syscall.MSG_DONTWAIT)
	if err == nil {
		_, err = syscall.Read(int(fd), nil)
	}
	var e syscall.Errno
	if err != nil && !errors.As(err, &e) {
		e = syscall.EIO
	}
	return max(n, 0), e
}
