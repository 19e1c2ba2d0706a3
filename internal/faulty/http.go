package faulty

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
)

// Kind is what a Handler does to a request.
type Kind uint8

const (
	// Pass hands the request to the wrapped handler.
	Pass Kind = iota
	// HTML answers with a proxy's HTML error page, 502 Bad Gateway unless
	// Fault.Status says otherwise, without calling the wrapped handler.
	HTML
	// Empty answers with the wrapped handler's status and headers and no
	// body, or, with Fault.Status set, that status and no body without
	// calling it.
	Empty
	// Truncate answers with the wrapped handler's status and headers and
	// the first Fault.Keep bytes of its body (half by default), framed as
	// complete: the body is short, not the transfer.
	Truncate
	// Abort announces the wrapped handler's full Content-Length, sends the
	// first Fault.Keep bytes of its body (half by default) and drops the
	// connection, as a server that dies mid-answer.
	Abort
	// Stall holds the request until Release, a later Set, Close, or the
	// client giving up; released, it passes.
	Stall
)

// Fault describes what a Handler does to the requests it receives.
type Fault struct {
	Kind Kind
	// Status overrides the status of HTML and Empty answers.
	Status int
	// Keep is how many body bytes Truncate and Abort send; 0 means half.
	Keep int
	// KeepEncoding makes Truncate and Abort cut the answer as the wrapped
	// handler encoded it for the request (gzip, when the client accepts it
	// and the handler compresses). By default they ask for an identity
	// encoding, so that the cut falls inside the body itself.
	KeepEncoding bool
}

// Handler wraps an http.Handler (a nakamatest.Server, say) and applies its
// current Fault to every request, from the moment Set is called. It counts
// requests. Its methods are safe for concurrent use. WebSocket upgrades
// pass through untouched under Pass.
type Handler struct {
	next http.Handler

	mu      sync.Mutex
	fault   Fault
	release chan struct{} // closed to release the requests stalled so far
	closed  bool

	requests atomic.Int64
	stalled  atomic.Int64
	events   notifier
	wg       sync.WaitGroup
}

// NewHandler returns a Handler that passes every request to next until Set
// says otherwise.
func NewHandler(next http.Handler) *Handler {
	return &Handler{next: next, release: make(chan struct{})}
}

// Set makes f apply to every request received from now on. Requests held
// by an earlier Stall are released.
func (h *Handler) Set(f Fault) {
	h.mu.Lock()
	h.fault = f
	close(h.release)
	h.release = make(chan struct{})
	h.mu.Unlock()
}

// Release lets the requests stalled so far pass; the fault stays.
func (h *Handler) Release() {
	h.mu.Lock()
	close(h.release)
	h.release = make(chan struct{})
	h.mu.Unlock()
}

// Requests returns how many requests the handler received.
func (h *Handler) Requests() int64 { return h.requests.Load() }

// Stalled returns how many requests Stall holds at the moment.
func (h *Handler) Stalled() int64 { return h.stalled.Load() }

// Await returns once cond holds, or with ctx's error. It checks cond now
// and whenever a request arrives, stalls or ends its stall, so a test
// waits for a request to be held without polling.
func (h *Handler) Await(ctx context.Context, cond func() bool) error {
	return h.events.await(ctx, cond)
}

// Close releases every stalled request, makes every later request pass,
// and returns once no call of ServeHTTP is running. Close the HTTP server
// first if it could still deliver requests.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.fault = Fault{}
	close(h.release)
	h.release = make(chan struct{})
	h.mu.Unlock()
	h.wg.Wait()
}

// ServeHTTP applies the current fault to r.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.wg.Add(1)
	defer h.wg.Done()
	h.requests.Add(1)
	h.events.notify()
	h.mu.Lock()
	f, release, closed := h.fault, h.release, h.closed
	h.mu.Unlock()
	if closed {
		f = Fault{}
	}
	switch f.Kind {
	case Pass:
		h.next.ServeHTTP(w, r)
	case HTML:
		status := f.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html>\r\n<head><title>" + strconv.Itoa(status) + " " + http.StatusText(status) +
			"</title></head>\r\n<body>\r\n<center><h1>" + strconv.Itoa(status) + " " + http.StatusText(status) +
			"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
	case Empty:
		if f.Status != 0 {
			w.WriteHeader(f.Status)
			return
		}
		rec := h.record(r)
		copyHeader(w, rec)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(rec.Code)
	case Truncate, Abort:
		if !f.KeepEncoding {
			r.Header.Del("Accept-Encoding")
		}
		rec := h.record(r)
		body := rec.Body.Bytes()
		keep := f.Keep
		if keep <= 0 || keep > len(body) {
			keep = len(body) / 2
		}
		copyHeader(w, rec)
		if f.Kind == Truncate {
			w.Header().Set("Content-Length", strconv.Itoa(keep))
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:keep])
		if f.Kind == Abort {
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			panic(http.ErrAbortHandler) // net/http drops the connection, silently
		}
	case Stall:
		h.stalled.Add(1)
		h.events.notify()
		select {
		case <-release:
			h.stalled.Add(-1)
			h.events.notify()
			h.next.ServeHTTP(w, r)
		case <-r.Context().Done():
			h.stalled.Add(-1) // the client gave up; nothing is answered
			h.events.notify()
		}
	}
}

// record runs the wrapped handler into a recorder.
func (h *Handler) record(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	return rec
}

func copyHeader(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
}
