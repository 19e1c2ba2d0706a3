package faulty

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

const answer = `{"user":{"id":"0123456789"}}`

func httpServer(t *testing.T) (*Handler, *httptest.Server, *atomic.Int64) {
	t.Helper()
	calls := new(atomic.Int64)
	h := NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Grpc-Metadata-Content-Type", "application/grpc")
		_, _ = io.WriteString(w, answer)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return h, srv, calls
}

func get(t *testing.T, ctx context.Context, url string) (*http.Response, string, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestHandlerFaults(t *testing.T) {
	h, srv, calls := httpServer(t)
	for _, tc := range []struct {
		name   string
		f      Fault
		status int
		body   string
		err    bool
		called bool
	}{
		{"pass", Fault{}, 200, answer, false, true},
		{"html", Fault{Kind: HTML}, 502, "<html>", false, false},
		{"html 503", Fault{Kind: HTML, Status: 503}, 503, "503 Service Unavailable", false, false},
		{"empty", Fault{Kind: Empty}, 200, "", false, true},
		{"empty 502", Fault{Kind: Empty, Status: 502}, 502, "", false, false},
		{"truncate", Fault{Kind: Truncate}, 200, answer[:len(answer)/2], false, true},
		{"truncate 3", Fault{Kind: Truncate, Keep: 3}, 200, answer[:3], false, true},
		{"abort", Fault{Kind: Abort}, 200, answer[:len(answer)/2], true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.Set(tc.f)
			before, n := calls.Load(), h.Requests()
			resp, body, err := get(t, testCtx(t), srv.URL)
			if tc.err {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %v, want an unexpected EOF", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) || (tc.body == "" && body != "") {
				t.Errorf("answer %d %q", resp.StatusCode, body)
			}
			if tc.f.Kind != Pass && tc.f.Kind != HTML && tc.f.Status == 0 &&
				resp.Header.Get("Grpc-Metadata-Content-Type") == "" {
				t.Error("the wrapped handler's headers were not kept")
			}
			if (calls.Load() > before) != tc.called {
				t.Errorf("wrapped handler called: %v", calls.Load() > before)
			}
			if h.Requests() != n+1 {
				t.Errorf("requests counted %d, want %d", h.Requests(), n+1)
			}
		})
	}
}

// A stalled request is answered once released, and ends when its client
// gives up.
func TestHandlerStall(t *testing.T) {
	h, srv, _ := httpServer(t)
	done := stalledGet(t, h, srv)
	select {
	case <-done:
		t.Fatal("a stalled request was answered")
	default:
	}
	h.Release()
	if body := <-done; body != answer {
		t.Fatalf("released request answered %q", body)
	}

	c, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error)
	go func() {
		_, _, err := get(t, c, srv.URL)
		errc <- err
	}()
	awaitStalled(t, h, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled stalled request: %v", err)
	}
	awaitStalled(t, h, 0) // the handler notices the client left
}

// Close releases what is stalled and waits for it.
func TestHandlerCloseReleases(t *testing.T) {
	h, srv, _ := httpServer(t)
	done := stalledGet(t, h, srv)
	h.Close()
	if body := <-done; body != answer {
		t.Fatalf("request released by Close answered %q", body)
	}
}

// stalledGet sets a Stall and sends a GET that it holds; the body of the
// answer arrives on the channel.
func stalledGet(t *testing.T, h *Handler, srv *httptest.Server) <-chan string {
	h.Set(Fault{Kind: Stall})
	done := make(chan string, 1)
	go func() {
		_, body, _ := get(t, testCtx(t), srv.URL)
		done <- body
	}()
	awaitStalled(t, h, 1)
	return done
}

func awaitStalled(t *testing.T, h *Handler, n int64) {
	t.Helper()
	if err := h.Await(testCtx(t), func() bool { return h.Stalled() == n }); err != nil {
		t.Fatalf("%d requests stalled, want %d: %v", h.Stalled(), n, err)
	}
}
