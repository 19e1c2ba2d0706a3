//go:build linux && !386 && !s390x && !race

package wsclient

import (
	"syscall"
	"unsafe"
)

// sysRead is read(2) without the scheduler's syscall bookkeeping; len(p)
// must be positive.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(n), e
}
