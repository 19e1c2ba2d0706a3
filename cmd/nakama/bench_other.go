//go:build !unix

package main

import "time"

// Without getrusage and /proc the bench reports these figures as n/a.
func procUsage() (time.Duration, int64, bool) { return 0, 0, false }
func procSyscalls() (int64, int64, bool)      { return 0, 0, false }
func procRSS() (int64, bool)                  { return 0, false }
