package load

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Report is a finished run's figures. It marshals to JSON as it is
// (durations in nanoseconds, memory in bytes).
type Report struct {
	Scenario string        `json:"scenario"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// Players is the count asked for last; PeakConnected the most players
	// connected at once.
	Players       int   `json:"players"`
	PeakConnected int64 `json:"peak_connected"`
	// Sent and Received count messages (socket messages and REST
	// requests) over the whole run; the rates divide by Elapsed.
	Sent           int64   `json:"sent"`
	Received       int64   `json:"received"`
	SentPerSec     float64 `json:"sent_per_sec"`
	ReceivedPerSec float64 `json:"received_per_sec"`
	// Ops has one entry per operation, sorted by name.
	Ops []OpReport `json:"ops"`
	// Errors counts failures by operation and code.
	Errors []ErrorCount `json:"errors"`
	// CPUUser and CPUSystem are the CPU the process used during the run
	// (getrusage), CPUPerMessage their sum over Sent+Received. Zero where
	// the platform does not say.
	CPUUser       time.Duration `json:"cpu_user_ns"`
	CPUSystem     time.Duration `json:"cpu_system_ns"`
	CPUPerMessage time.Duration `json:"cpu_per_message_ns"`
	// RSSBase is the resident memory before the first player, RSSPeak when
	// PeakConnected players were last connected, and MemoryPerPlayer the
	// difference over that count. Zero where the platform does not say.
	RSSBase         uint64 `json:"rss_base_bytes"`
	RSSPeak         uint64 `json:"rss_peak_bytes"`
	MemoryPerPlayer uint64 `json:"memory_per_player_bytes"`
	// FileLimit is the limit on open files the run had (RLIMIT_NOFILE,
	// which Go raises to the hard limit at start), 0 where unknown.
	FileLimit uint64 `json:"file_limit"`
}

// OpReport is one operation's figures. Latencies come from an HdrHistogram
// of the successful operations (three significant digits, 1 µs to 10 min).
type OpReport struct {
	Op        string        `json:"op"`
	Count     int64         `json:"count"`
	Errors    int64         `json:"errors"`
	PerSecond float64       `json:"per_sec"`
	Mean      time.Duration `json:"mean_ns"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	P999      time.Duration `json:"p999_ns"`
	Max       time.Duration `json:"max_ns"`
}

// ErrorCount is how often an operation failed with a code
// (nakama.CodeOf's name for it: "Unavailable", "NotFound", "Unknown" for a
// network failure, ...).
type ErrorCount struct {
	Op    string `json:"op"`
	Code  string `json:"code"`
	Count int64  `json:"count"`
	// Example is the first such error's message.
	Example string `json:"example"`
}

func (r *Runner) buildReport() *Report {
	elapsed := time.Since(r.start)
	cpu := cpuNow()
	rep := &Report{
		Scenario: r.sc.Name, Elapsed: elapsed,
		Sent: r.stats.sent.Load(), Received: r.stats.received.Load(),
		PeakConnected: r.peak.Load(),
		CPUUser:       cpu.user - r.cpu0.user, CPUSystem: cpu.sys - r.cpu0.sys,
		RSSBase: r.rss0, FileLimit: r.fdMax,
	}
	rep.Players, _ = r.Players()
	rep.Ops, rep.Errors = r.stats.opReports(elapsed)
	if s := elapsed.Seconds(); s > 0 {
		rep.SentPerSec, rep.ReceivedPerSec = float64(rep.Sent)/s, float64(rep.Received)/s
	}
	if n := rep.Sent + rep.Received; n > 0 {
		rep.CPUPerMessage = (rep.CPUUser + rep.CPUSystem) / time.Duration(n)
	}
	r.rssMu.Lock()
	rep.RSSPeak = r.rssAtPeak
	if r.rssPeakN > 0 && r.rssAtPeak > r.rss0 {
		rep.MemoryPerPlayer = (r.rssAtPeak - r.rss0) / uint64(r.rssPeakN)
	}
	r.rssMu.Unlock()
	return rep
}

// WriteText writes the report for people to read.
func (rep *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario %s: %v, %d players asked, %d connected at most\n",
		rep.Scenario, rep.Elapsed.Round(time.Millisecond), rep.Players, rep.PeakConnected)
	fmt.Fprintf(w, "messages: %d sent (%.0f/s), %d received (%.0f/s)\n",
		rep.Sent, rep.SentPerSec, rep.Received, rep.ReceivedPerSec)
	fmt.Fprintln(tw, "op\tcount\terrors\t/s\tp50\tp90\tp99\tp99.9\tmax\t")
	for _, o := range rep.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t\n", o.Op, o.Count, o.Errors, o.PerSecond,
			ms(o.P50), ms(o.P90), ms(o.P99), ms(o.P999), ms(o.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintln(w, "errors:")
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  %-20s %-18s %8d  (first: %s)\n", e.Op, e.Code, e.Count, e.Example)
		}
	}
	fmt.Fprintf(w, "client CPU: %v user + %v system, %.1f µs per message sent or received\n",
		rep.CPUUser.Round(time.Millisecond), rep.CPUSystem.Round(time.Millisecond),
		float64(rep.CPUPerMessage)/float64(time.Microsecond))
	_, err := fmt.Fprintf(w, "client memory: RSS %s before, %s with %d players connected: %s per player (open-file limit %d)\n",
		mib(rep.RSSBase), mib(rep.RSSPeak), rep.PeakConnected, kib(rep.MemoryPerPlayer), rep.FileLimit)
	return err
}

// ms formats a latency in milliseconds, to the microsecond.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func kib(b uint64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }
