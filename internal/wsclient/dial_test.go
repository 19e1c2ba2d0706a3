package wsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDialCancel ends a handshake the server never answers, by cancel and
// by deadline: Dial returns the context's error and drops the connection.
func TestDialCancel(t *testing.T) {
	for _, tc := range []struct {
		name string
		want error
		ctx  func(asked <-chan struct{}) (context.Context, context.CancelFunc)
	}{
		{"cancel", context.Canceled, func(asked <-chan struct{}) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-asked; cancel() }()
			return ctx, cancel
		}},
		{"deadline", context.DeadlineExceeded, func(<-chan struct{}) (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked, dropped := make(chan struct{}, 1), make(chan error, 1)
			u := rawListen(t, func(rc *rawConn, _ *http.Request) {
				asked <- struct{}{}
				_, err := rc.br.ReadByte() // no answer: wait for the client to go
				dropped <- err
				rc.Close()
			})
			ctx, cancel := tc.ctx(asked)
			defer cancel()
			c, _, err := Dial(ctx, u, nil)
			if !errors.Is(err, tc.want) || c != nil {
				t.Fatalf("dial: %v, %v; want an error wrapping %v", c, err, tc.want)
			}
			if err := await(t, dropped, "the server's read"); !errors.Is(err, io.EOF) {
				t.Fatalf("server: %v, want the client to drop the connection (EOF)", err)
			}
		})
	}
}

// TestDialClientTimeout checks that the HTTP client's Timeout bounds the
// handshake.
func TestDialClientTimeout(t *testing.T) {
	u := rawListen(t, func(rc *rawConn, _ *http.Request) {
		rc.br.ReadByte()
		rc.Close()
	})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 20 * time.Millisecond}
	if _, _, err := Dial(context.Background(), u, &DialOptions{HTTPClient: hc}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial: %v, want the client's timeout", err)
	}
	if hc.Timeout != 20*time.Millisecond {
		t.Fatalf("Dial changed the caller's client: Timeout %v", hc.Timeout)
	}
}

// TestDialCancelAfter checks that ctx bounds only the handshake.
func TestDialCancelAfter(t *testing.T) {
	u := peer(t, echo)
	ctx, cancel := context.WithCancel(context.Background())
	c, _, err := Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	cancel()
	if err := c.Write(Text, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(); err != nil || string(p) != "still here" {
		t.Fatalf("read after cancel: %q, %v", p, err)
	}
	closeHandshake(t, c)
}

// TestDialStatus has the server refuse the upgrade: the error says the
// status and the response comes back with its body.
func TestDialStatus(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusOK, http.StatusNotFound, http.StatusBadGateway} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				fmt.Fprintf(w, "refused with %d", status)
			}))
			defer srv.Close()
			c, resp, err := Dial(context.Background(), srv.URL, nil)
			if err == nil || c != nil {
				t.Fatalf("dial: %v, %v; want an error", c, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(status)) {
				t.Errorf("error %q does not say the status", err)
			}
			if resp == nil || resp.StatusCode != status {
				t.Fatalf("response %v, want status %d", resp, status)
			}
			if b, err := io.ReadAll(resp.Body); err != nil || string(b) != fmt.Sprintf("refused with %d", status) {
				t.Errorf("body %q, %v", b, err)
			}
		})
	}
}

// TestDialBadUpgrade has a server switch protocols wrongly: Dial refuses
// and drops the connection.
func TestDialBadUpgrade(t *testing.T) {
	for _, tc := range []struct {
		name, headers, says string
	}{
		{"wrong accept", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSBrZXk=\r\n", "Sec-WebSocket-Accept"},
		{"no accept", "Upgrade: websocket\r\nConnection: Upgrade\r\n", "Sec-WebSocket-Accept"},
		{"no upgrade", "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", "Upgrade header"},
		{"other upgrade", "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", "Upgrade header"},
		{"no connection", "Upgrade: websocket\r\nSec-WebSocket-Accept: %s\r\n", "Connection header"},
		{"extension", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate\r\n", "extensions"},
		{"subprotocol", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: chat\r\n", "subprotocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dropped := make(chan error, 1)
			u := rawListen(t, func(rc *rawConn, req *http.Request) {
				h := tc.headers
				if strings.Contains(h, "%s") {
					h = fmt.Sprintf(h, acceptKey(req.Header.Get("Sec-WebSocket-Key")))
				}
				fmt.Fprintf(rc, "HTTP/1.1 101 Switching Protocols\r\n%s\r\n", h)
				_, err := rc.br.ReadByte()
				dropped <- err
				rc.Close()
			})
			c, resp, err := Dial(context.Background(), u, nil)
			if err == nil || c != nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("dial: %v, %v; want an error saying %q", c, err, tc.says)
			}
			if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Errorf("response %v, want the 101 back", resp)
			}
			if err := await(t, dropped, "the server's read"); !errors.Is(err, io.EOF) {
				t.Fatalf("server: %v, want the client to drop the connection", err)
			}
		})
	}
}

func TestDialBadURL(t *testing.T) {
	for _, u := range []string{"ftp://example.com/", "://nope", "ws://[::1"} {
		if c, _, err := Dial(context.Background(), u, nil); err == nil || c != nil {
			t.Errorf("Dial(%q): %v, %v; want an error", u, c, err)
		}
	}
}

// TestDialRequest checks what the handshake asks for, and that the
// caller's headers reach the server.
func TestDialRequest(t *testing.T) {
	reqs := make(chan *http.Request, 1)
	u := rawListen(t, func(rc *rawConn, req *http.Request) {
		reqs <- req
		upgrade(rc, req)
		rc.Close()
	})
	h := http.Header{"Authorization": {"Bearer tok"}, "X-Test": {"1"}}
	c, _, err := Dial(context.Background(), u+"?format=protobuf", &DialOptions{Header: h})
	if err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	req := await(t, reqs, "request")
	for k, want := range map[string]string{"Authorization": "Bearer tok", "X-Test": "1", "Upgrade": "websocket",
		"Connection": "Upgrade", "Sec-WebSocket-Version": "13"} {
		if got := req.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if req.Method != http.MethodGet || req.URL.String() != "/ws?format=protobuf" {
		t.Errorf("request %s %s", req.Method, req.URL)
	}
	if k := req.Header.Get("Sec-WebSocket-Key"); len(k) != 24 {
		t.Errorf("key %q is not 16 bytes in base64", k)
	}
	if len(h) != 2 {
		t.Errorf("Dial changed the caller's header: %v", h)
	}
}

// TestDialTLS dials wss:// through the server's own client, with HTTP/2
// on offer: the upgrade must stay on HTTP/1.1.
func TestDialTLS(t *testing.T) {
	echoer := accepting(t, context.Background(), echo)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.ProtoMajor != 1 {
			t.Errorf("request over %s, TLS %v; want HTTP/1.1 over TLS", r.Proto, r.TLS != nil)
		}
		echoer(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	u := "wss" + strings.TrimPrefix(srv.URL, "https")
	if _, _, err := Dial(context.Background(), u, nil); err == nil {
		t.Fatal("dial without the server's certificate succeeded")
	}
	c := mustDial(t, u, &DialOptions{HTTPClient: srv.Client()})
	for _, n := range []int{5, 70000} {
		p := pattern(n, 1)
		if err := c.Write(Binary, p); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(); err != nil || string(got) != string(p) {
			t.Fatalf("echo of %d bytes over TLS: %d bytes, %v", n, len(got), err)
		}
	}
	closeHandshake(t, c)
}

// TestDialProxy has the caller's client go through an HTTP proxy: the
// upgrade must pass through it.
func TestDialProxy(t *testing.T) {
	u := peer(t, echo)
	target, _ := url.Parse(strings.Replace(u, "ws", "http", 1))
	var proxied atomic.Int32
	rp := httputil.NewSingleHostReverseProxy(target) // forwards upgrades too
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Host != target.Host {
			t.Errorf("proxy asked for %s, want %s", r.URL, target.Host)
		}
		proxied.Add(1)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	tr := &http.Transport{Proxy: http.ProxyURL(pu)}
	defer tr.CloseIdleConnections()
	c := mustDial(t, u, &DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err := c.Write(Text, []byte("via proxy")); err != nil {
		t.Fatal(err)
	}
	if _, p, err := c.Read(); err != nil || string(p) != "via proxy" {
		t.Fatalf("echo through the proxy: %q, %v", p, err)
	}
	if n := proxied.Load(); n != 1 {
		t.Fatalf("the proxy saw %d requests, want 1", n)
	}
	closeHandshake(t, c)
}

// switchTransport answers every request with a correct 101 whose body is
// not a connection, as a RoundTripper other than http.Transport may.
type switchTransport struct{ closed atomic.Bool }

func (st *switchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"},
		"Sec-Websocket-Accept": {acceptKey(req.Header.Get("Sec-WebSocket-Key"))}}
	return &http.Response{StatusCode: http.StatusSwitchingProtocols, Header: h, Request: req,
		Body: closeFunc(func() error { st.closed.Store(true); return nil })}, nil
}

type closeFunc func() error

func (closeFunc) Read([]byte) (int, error) { return 0, io.EOF }
func (f closeFunc) Close() error           { return f() }

func TestDialBodyNotConn(t *testing.T) {
	st := &switchTransport{}
	_, _, err := Dial(context.Background(), "ws://example.invalid/ws", &DialOptions{HTTPClient: &http.Client{Transport: st}})
	if err == nil || !strings.Contains(err.Error(), "not the connection") {
		t.Fatalf("dial: %v, want an error saying the body is not the connection", err)
	}
	if !st.closed.Load() {
		t.Fatal("the body was not closed")
	}
}
