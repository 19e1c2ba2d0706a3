//go:build unix

package load

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// cpuTimes is the CPU the process has used, user and system.
type cpuTimes struct{ user, sys time.Duration }

func cpuNow() cpuTimes {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return cpuTimes{}
	}
	return cpuTimes{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}

// rssNow returns the process's resident set size in bytes, from
// /proc/self/statm where there is one, 0 elsewhere.
func rssNow() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// fileLimit returns the limit on open files. Every player holds a socket
// (and at times a REST connection); Go programs raise the soft limit to the
// hard one as they start, so there is nothing left to raise here.
func fileLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return l.Cur
}
