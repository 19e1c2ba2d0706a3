package faulty

import (
	"context"
	"sync"
)

// notifier wakes the goroutines that wait for a condition on a proxy's or
// handler's state each time that state changes, so tests await a signal
// instead of polling.
type notifier struct {
	mu sync.Mutex
	ch chan struct{} // nil while nobody waits
}

func (n *notifier) notify() {
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}

func (n *notifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

// await returns nil once cond holds, checking it after every change, or
// the context's error.
func (n *notifier) await(ctx context.Context, cond func() bool) error {
	for {
		ch := n.changed()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
