package nakama

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"
)

// jsRecorder is a SocketAdapterHandler that keeps what it is told.
type jsRecorder struct {
	mu     sync.Mutex
	frames []string
	closes []error
	frame  chan struct{}
	closed chan struct{}
}

func newJSRecorder() *jsRecorder {
	return &jsRecorder{frame: make(chan struct{}, 16), closed: make(chan struct{})}
}

func (r *jsRecorder) OnFrame(f []byte) {
	r.mu.Lock()
	r.frames = append(r.frames, string(f))
	r.mu.Unlock()
	r.frame <- struct{}{}
}

func (r *jsRecorder) OnError(error) {}

func (r *jsRecorder) OnClose(err error) {
	r.mu.Lock()
	r.closes = append(r.closes, err)
	n := len(r.closes)
	r.mu.Unlock()
	if n == 1 {
		close(r.closed)
	}
}

func (r *jsRecorder) wait(t *testing.T, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the adapter reported nothing")
	}
}

func lastWS() js.Value {
	ws := js.Global().Get("__ws")
	return ws.Index(ws.Length() - 1)
}

// TestBrowserSocketFormats checks both wire formats: binary frames for
// protobuf, text for JSON, each way, and a Close reported once.
func TestBrowserSocketFormats(t *testing.T) {
	jsFakes(t)
	for _, format := range []SocketFormat{SocketProtobuf, SocketJSON} {
		t.Run(format.String(), func(t *testing.T) {
			a := NewWebSocketAdapter(nil)
			r := newJSRecorder()
			p := &SocketConnectParams{Endpoint: "ws://nakama.test/ws", Token: "tok&en", Format: format}
			if err := a.Connect(bhCtx(t), p, r); err != nil {
				t.Fatal(err)
			}
			ws := lastWS()
			if got := ws.Get("url").String(); got != p.URL() {
				t.Errorf("dialled %s, want %s", got, p.URL())
			}
			if format == SocketJSON {
				ws.Call("_msg", `{"pong":{}}`)
			} else {
				jsRun(t, `a0._msg(new Uint8Array([1, 2, 255]).buffer);`, ws)
			}
			r.wait(t, r.frame)
			if err := a.Send(bhCtx(t), [][]byte{[]byte("ab"), []byte("c")}); err != nil {
				t.Fatal(err)
			}
			sent := jsRun(t, `return JSON.stringify(a0.sent);`, ws).String()
			want, wantFrame := `[[97,98],[99]]`, "\x01\x02\xff"
			if format == SocketJSON {
				want, wantFrame = `["ab","c"]`, `{"pong":{}}`
			}
			if sent != want {
				t.Errorf("sent %s, want %s", sent, want)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			ws.Call("_close", 1000, "") // the browser's later close event
			r.mu.Lock()
			defer r.mu.Unlock()
			if len(r.frames) != 1 || r.frames[0] != wantFrame {
				t.Errorf("frames %q, want %q", r.frames, wantFrame)
			}
			if len(r.closes) != 1 || !errors.Is(r.closes[0], ErrSocketClosed) {
				t.Errorf("closes %v, want one ErrSocketClosed", r.closes)
			}
			if c := ws.Get("closedWith").Get("code").Int(); c != 1000 {
				t.Errorf("closed with %d, want 1000", c)
			}
		})
	}
}

// TestBrowserSocketEnds checks the two ends the server causes: a frame
// over the read limit and a close frame, each reported once.
func TestBrowserSocketEnds(t *testing.T) {
	jsFakes(t)
	a := NewWebSocketAdapter(&WebSocketAdapterOptions{ReadLimit: 4})
	r := newJSRecorder()
	p := &SocketConnectParams{Endpoint: "ws://nakama.test/ws", Token: "t", Format: SocketJSON}
	if err := a.Connect(bhCtx(t), p, r); err != nil {
		t.Fatal(err)
	}
	ws := lastWS()
	ws.Call("_msg", "12345")
	ws.Call("_msg", "1")
	r.wait(t, r.closed)
	var ce *CloseError
	if len(r.closes) != 1 || !errors.As(r.closes[0], &ce) || ce.Code != 1009 || !errors.Is(ce, ErrMessageTooBig) {
		t.Errorf("closes %v, want one 1009 for a message too big", r.closes)
	}
	if len(r.frames) != 0 || ws.Get("closedWith").Get("reason").String() != "message too big" {
		t.Errorf("frames %q, closed with %v", r.frames, ws.Get("closedWith"))
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	r = newJSRecorder()
	if err := a.Connect(bhCtx(t), p, r); err != nil {
		t.Fatal(err)
	}
	lastWS().Call("_close", 4000, "bye")
	r.wait(t, r.closed)
	if err := a.Send(bhCtx(t), [][]byte{[]byte("x")}); !errors.Is(err, ErrSocketClosed) {
		t.Errorf("Send after the end: %v", err)
	}
	a.Close()
	if len(r.closes) != 1 || !errors.As(r.closes[0], &ce) || ce.Code != 4000 || ce.Reason != "bye" {
		t.Errorf("closes %v, want one CloseError 4000 bye", r.closes)
	}
}

// TestBrowserSocketDialErrors checks a refused handshake (the adapter asks
// the server why, and keeps the token out of the error) and a handshake
// that outlives its context.
func TestBrowserSocketDialErrors(t *testing.T) {
	jsFakes(t)
	const token = "secret.token.value"
	jsRun(t, `globalThis.__fetchAnswer = (url) => Promise.resolve(new Response("Missing or invalid token " + url, {status: 401}));`)
	r := newJSRecorder()
	// A browser's refusal (error, then close 1006) and Node's (error only).
	for _, refusal := range []string{"true", `"error"`} {
		jsRun(t, `globalThis.__wsRefuse = `+refusal+`;`)
		err := NewWebSocketAdapter(nil).Connect(bhCtx(t), &SocketConnectParams{Endpoint: "ws://nakama.test/ws", Token: token}, r)
		var de *SocketDialError
		if !errors.As(err, &de) || de.HTTPStatus != 401 || !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("refused (%s): %v, want a SocketDialError wrapping Unauthenticated", refusal, err)
		}
		var e *Error
		if !errors.As(err, &e) || strings.Contains(e.Message, token) || strings.Contains(err.Error(), token) {
			t.Errorf("the token leaks: %v / %v", err, e)
		}
	}
	if got := js.Global().Get("__fetchCalls").Index(0).Get("url").String(); !strings.HasPrefix(got, "http://nakama.test/ws?") {
		t.Errorf("asked %s", got)
	}

	jsRun(t, `globalThis.__wsRefuse = false; globalThis.__wsHang = true;`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := NewWebSocketAdapter(nil).Connect(ctx, &SocketConnectParams{Endpoint: "ws://nakama.test/ws", Token: token}, r)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung handshake: %v", err)
	}
	if len(r.frames) != 0 || len(r.closes) != 0 {
		t.Errorf("a failed Connect reported %q %v", r.frames, r.closes)
	}
}

// TestCloseFromJSCallback closes a WebSocket from a JavaScript callback,
// as a button's click handler would: Close returns there at once, and the
// disconnect reaches OnDisconnect through Tick.
func TestCloseFromJSCallback(t *testing.T) {
	jsFakes(t)
	tok, ref := bhPair(time.Now(), time.Hour, 24*time.Hour, nil)
	sess, err := RestoreSession(tok, ref)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewWebSocket("http://nakama.test", &SocketOptions{Keepalive: KeepaliveConfig{Disable: true}})
	if err != nil {
		t.Fatal(err)
	}
	disconnected := make(chan error, 1)
	s.OnDisconnect(func(err error) { disconnected <- err })
	if err := s.Connect(bhCtx(t), sess, nil); err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	click := js.FuncOf(func(js.Value, []js.Value) any {
		s.Close()
		close(returned)
		return nil
	})
	defer click.Release()
	js.Global().Call("setTimeout", click, 0)
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return in the callback")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := FrameLoop(ctx, s, nil)
	defer func() { cancel(); <-done }()
	select {
	case err := <-disconnected:
		if CloseStatus(err) != 1000 {
			t.Errorf("disconnect: %v, want a normal close", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no disconnect")
	}
}
