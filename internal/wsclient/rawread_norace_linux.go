//go:build linux && !386 && !s390x && !race

package wsclient

import (
	"syscall"
	"unsafe"
)

// sysRecv is recvfrom(2) with MSG_DONTWAIT and without the scheduler's
// syscall bookkeeping; len(p) must be positive.
func sysRecv(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), syscall.MSG_DONTWAIT, 0, 0)
	return int(n), e
}
