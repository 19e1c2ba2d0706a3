//go:build unix

package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procUsage reads the process's CPU time and voluntary context switches
// (getrusage, RUSAGE_SELF: a server in a child process is not counted).
func procUsage() (cpu time.Duration, nvcsw int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, int64(ru.Nvcsw), true
}

// procSyscalls reads the process's counts of read and write syscalls
// (syscr and syscw in /proc/self/io, Linux only; a read that found nothing
// counts too); ok is false where there are none.
func procSyscalls() (reads, writes int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	found := 0
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		for _, f := range []struct {
			prefix string
			n      *int64
		}{{"syscr: ", &reads}, {"syscw: ", &writes}} {
			if v, ok := bytes.CutPrefix(s.Bytes(), []byte(f.prefix)); ok {
				if *f.n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
					return 0, 0, false
				}
				found++
			}
		}
	}
	return reads, writes, found == 2
}

// procRSS reads the resident set size from /proc/self/statm (Linux only).
func procRSS() (bytes int64, ok bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
