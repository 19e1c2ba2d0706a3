package faulty

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// echoWS echoes every message; /refuse answers 401.
func echoWS(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if string(b) == "query" {
				b = []byte(r.URL.RawQuery)
			}
			if string(b) == "bye" {
				_ = c.Close(websocket.StatusPolicyViolation, "bye")
				return
			}
			if err := c.Write(r.Context(), typ, b); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestWSRelay(t *testing.T) {
	r, err := NewWSRelay(echoWS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, strings.Replace(r.URL(), "http", "ws", 1)+"/ws?token=x", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read := func(wantBinary bool, want string) {
		t.Helper()
		typ, b, err := c.Read(ctx)
		if err != nil || string(b) != want || (typ == websocket.MessageBinary) != wantBinary {
			t.Fatalf("read %v %q %v, want %q", typ, b, err, want)
		}
	}
	_ = c.Write(ctx, websocket.MessageText, []byte("query"))
	read(false, "token=x")
	_ = c.Write(ctx, websocket.MessageBinary, []byte{1, 2})
	read(true, "\x01\x02")
	if err := r.Await(ctx, func() bool { return len(r.Conns()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if err := r.Conns()[0].Inject(ctx, true, []byte("injected")); err != nil {
		t.Fatal(err)
	}
	read(true, "injected")
	// The target's close frame is passed on.
	_ = c.Write(ctx, websocket.MessageText, []byte("bye"))
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("close passed on as %v", err)
	}
	if err := r.Await(ctx, func() bool { return len(r.Conns()) == 0 }); err != nil {
		t.Fatal(err)
	}
}

// A refused handshake keeps the target's status.
func TestWSRelayRefused(t *testing.T) {
	r, err := NewWSRelay(echoWS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, resp, err := websocket.Dial(testCtx(t), strings.Replace(r.URL(), "http", "ws", 1)+"/refuse", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial: %v %v", resp, err)
	}
}
