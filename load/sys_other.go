//go:build !unix

package load

import "time"

// cpuTimes is the CPU the process has used; unknown on this platform.
type cpuTimes struct{ user, sys time.Duration }

func cpuNow() cpuTimes  { return cpuTimes{} }
func rssNow() uint64    { return 0 }
func fileLimit() uint64 { return 0 }
