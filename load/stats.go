package load

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/gonakama/nakama"
)

// Sample is one measured operation, as Options.Observe receives it.
type Sample struct {
	// Op names the operation: "auth", "connect", "match.data", ...
	Op string
	// Latency is how long it took: a round trip for requests, the one-way
	// delivery time for relayed match data and chat messages.
	Latency time.Duration
	// Err is the failure, nil on success; Code is nakama.CodeOf(Err).
	Err  error
	Code nakama.Code
}

// Histogram bounds: latencies from 1 µs to 10 minutes, three significant
// digits, recorded in microseconds.
const (
	histMin    = 1
	histMax    = int64(10 * time.Minute / time.Microsecond)
	histDigits = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// opStats gathers one operation's samples. Many players record into it at
// once, so it has its own lock, held only to record.
type opStats struct {
	mu     sync.Mutex
	hist   *hdrhistogram.Histogram
	errors int64
	codes  map[nakama.Code]int64
	// example keeps the first error of each code, for the report.
	example map[nakama.Code]string
}

// stats holds every operation's opStats and the run's counters.
type stats struct {
	mu  sync.RWMutex
	ops map[string]*opStats

	sent, received, errors atomic.Int64
}

func newStats() *stats { return &stats{ops: make(map[string]*opStats)} }

func (s *stats) op(name string) *opStats {
	s.mu.RLock()
	o := s.ops[name]
	s.mu.RUnlock()
	if o != nil {
		return o
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o = s.ops[name]; o == nil {
		o = &opStats{hist: newHist(), codes: make(map[nakama.Code]int64), example: make(map[nakama.Code]string)}
		s.ops[name] = o
	}
	return o
}

// record adds a sample. Failed operations count as errors and leave the
// histogram alone: a timeout's latency says nothing about the server's.
func (s *stats) record(smp Sample) {
	o := s.op(smp.Op)
	o.mu.Lock()
	if smp.Err != nil {
		o.errors++
		if o.codes[smp.Code]++; o.codes[smp.Code] == 1 {
			o.example[smp.Code] = smp.Err.Error()
		}
	} else {
		us := smp.Latency.Microseconds()
		if us < histMin {
			us = histMin
		}
		if us > histMax {
			us = histMax
		}
		_ = o.hist.RecordValue(us) // in range by construction
	}
	o.mu.Unlock()
	if smp.Err != nil {
		s.errors.Add(1)
	}
}

// merged returns the latencies of every operation but auth and connect in
// one histogram, for the progress line.
func (s *stats) merged() *hdrhistogram.Histogram {
	all := newHist()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for name, o := range s.ops {
		if name == OpAuth || name == OpConnect {
			continue
		}
		o.mu.Lock()
		all.Merge(o.hist)
		o.mu.Unlock()
	}
	return all
}

// opReports summarises every operation, sorted by name.
func (s *stats) opReports(elapsed time.Duration) ([]OpReport, []ErrorCount) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ops, errs := []OpReport{}, []ErrorCount{} // empty, not null, in JSON
	for name, o := range s.ops {
		o.mu.Lock()
		h := o.hist
		r := OpReport{
			Op:     name,
			Count:  h.TotalCount(),
			Errors: o.errors,
		}
		if r.Count > 0 {
			us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
			r.Mean = time.Duration(h.Mean() * float64(time.Microsecond))
			r.P50 = us(h.ValueAtQuantile(50))
			r.P90 = us(h.ValueAtQuantile(90))
			r.P99 = us(h.ValueAtQuantile(99))
			r.P999 = us(h.ValueAtQuantile(99.9))
			r.Max = us(h.Max())
		}
		if elapsed > 0 {
			r.PerSecond = float64(r.Count) / elapsed.Seconds()
		}
		for c, n := range o.codes {
			errs = append(errs, ErrorCount{Op: name, Code: c.String(), Count: n, Example: o.example[c]})
		}
		o.mu.Unlock()
		ops = append(ops, r)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Op < ops[j].Op })
	sort.Slice(errs, func(i, j int) bool {
		if errs[i].Op != errs[j].Op {
			return errs[i].Op < errs[j].Op
		}
		return errs[i].Code < errs[j].Code
	})
	return ops, errs
}
