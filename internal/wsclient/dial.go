// Package wsclient is the client side of RFC 6455 over an upgraded HTTP/1.1
// connection, made to hold as little as possible while a connection is
// idle: no buffer between messages, no goroutine of its own, and the frames
// of one write call leave in one network write.
//
// It does what a Nakama socket needs and no more: no extensions (no
// compression), no subprotocols. The server side of the tests stays on
// github.com/coder/websocket, so the tests prove interoperability.
package wsclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DialOptions configures Dial. The zero value is ready to use.
type DialOptions struct {
	// HTTPClient makes the handshake request. Default http.DefaultClient.
	// Its Transport must answer a switch of protocols with a body that is
	// the connection (an io.ReadWriteCloser), as http.Transport does. Its
	// Timeout, if any, bounds only the handshake.
	HTTPClient *http.Client
	// Header is added to the handshake request.
	Header http.Header
	// ReadLimit is the largest message Read returns; a larger one closes
	// the connection with code 1009. Zero or negative: no limit.
	ReadLimit int64
}

// Dial opens a WebSocket connection to u (ws, wss, http or https); ctx
// bounds only the handshake. When the server answers with something other
// than a switch to WebSocket, the response comes back with the error, its
// body (the first KiB) still readable.
func Dial(ctx context.Context, u string, o *DialOptions) (*Conn, *http.Response, error) {
	if o == nil {
		o = &DialOptions{}
	}
	c, resp, err := dial(ctx, u, o)
	if err != nil {
		return nil, resp, fmt.Errorf("websocket dial: %w", err)
	}
	return c, resp, nil
}

func dial(ctx context.Context, u string, o *DialOptions) (*Conn, *http.Response, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, nil, err
	}
	switch pu.Scheme {
	case "ws":
		pu.Scheme = "http"
	case "wss":
		pu.Scheme = "https"
	case "http", "https":
	default:
		return nil, nil, fmt.Errorf("unexpected url scheme %q", pu.Scheme)
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	if hc.Timeout > 0 {
		// The client's timeout would also end the body, which is the
		// connection: apply it to the handshake only.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hc.Timeout)
		defer cancel()
		c := *hc
		c.Timeout = 0
		hc = &c
	}
	// The connection the transport dials gets raw reads (fastConn); over
	// TLS, the transport's TLS reads from it.
	if t := fastTransport(hc.Transport); t != nil {
		defer t.CloseIdleConnections()
		c := *hc
		c.Transport = t
		hc = &c
	}
	var keyb [16]byte
	_, _ = rand.Read(keyb[:]) // crypto/rand.Read never fails
	key := base64.StdEncoding.EncodeToString(keyb[:])

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pu.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header = o.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	// These two also keep http.Transport on HTTP/1.1 over TLS.
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", key)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("handshake request: %w", err)
	}
	if err := checkResponse(resp, key); err != nil {
		// Keep a little of the body for the caller's error, and release
		// the connection, bounded in time should it stall. After a 101
		// the body is the connection itself, with nothing to keep: reading
		// it would only wait for the bound.
		body := resp.Body
		var b []byte
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t := time.AfterFunc(3*time.Second, func() { body.Close() })
			b, _ = io.ReadAll(io.LimitReader(body, 1024))
			t.Stop()
		}
		body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil, resp, err
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return nil, resp, fmt.Errorf("the switching response's body is a %T, not the connection", resp.Body)
	}
	resp.Body = nil
	return New(rwc, o.ReadLimit), resp, nil
}

// fastTransport returns a copy of rt, an *http.Transport or nil for the
// default one, whose connections come through fastConn; nil for other
// round trippers, for a transport that sets the deprecated Dial and where
// this build has no raw reads. (A transport's DialTLSContext, when set,
// dials wss:// on the plain path.) The copy keeps no connection: the
// upgraded one leaves it, and any other goes when it has answered.
func fastTransport(rt http.RoundTripper) *http.Transport {
	if !rawReads {
		return nil
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	base, ok := rt.(*http.Transport)
	if !ok {
		return nil
	}
	t := base.Clone()
	t.DisableKeepAlives = true
	dial := t.DialContext
	if dial == nil {
		//lint:ignore SA1019 a caller's old Dial keeps the plain path
		if t.Dial != nil {
			return nil
		}
		dial = (&net.Dialer{}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return fastConn(c), nil
	}
	return t
}

// checkResponse checks the server's answer to the handshake.
func checkResponse(resp *http.Response, key string) error {
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake answered with status %d, not 101", resp.StatusCode)
	}
	if !hasToken(resp.Header, "Connection", "upgrade") {
		return fmt.Errorf("protocol violation: Connection header %q lacks Upgrade", resp.Header.Get("Connection"))
	}
	if !hasToken(resp.Header, "Upgrade", "websocket") {
		return fmt.Errorf("protocol violation: Upgrade header %q lacks websocket", resp.Header.Get("Upgrade"))
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(key) {
		return fmt.Errorf("protocol violation: Sec-WebSocket-Accept %q does not match the key", got)
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		return fmt.Errorf("protocol violation: extensions %q were not asked for", ext)
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		return fmt.Errorf("protocol violation: subprotocol %q was not asked for", p)
	}
	return nil
}

// acceptKey is the Sec-WebSocket-Accept value RFC 6455 section 4.2.2
// derives from the key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// hasToken reports whether a comma-separated header holds token, ignoring
// case.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// errClosed is returned by writes after Close or CloseNow.
var errClosed = fmt.Errorf("websocket: connection closed: %w", net.ErrClosed)
