//go:build !js

package nakama

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// WebSocketAdapterOptions configures a WebSocketAdapter. The zero value is
// ready to use.
type WebSocketAdapterOptions struct {
	// ReadLimit is the largest message the adapter reads; a larger one
	// closes the connection (code 1009). Default DefaultSocketReadLimit;
	// negative for no limit.
	ReadLimit int64
	// HTTPClient makes the handshake request. Default http.DefaultClient.
	// Its Transport must answer a switch to WebSocket with a body that is
	// the connection (an io.ReadWriteCloser), as http.Transport does; its
	// Timeout, if any, bounds only the handshake. The adapter leaves the
	// client unchanged. It does nothing in a browser.
	HTTPClient *http.Client
	// HTTPHeader is added to the handshake request. It does nothing in a
	// browser.
	HTTPHeader http.Header
}

// NewWebSocketAdapter returns an adapter; opts may be nil and is copied.
func NewWebSocketAdapter(opts *WebSocketAdapterOptions) *WebSocketAdapter {
	a := &WebSocketAdapter{}
	if opts != nil {
		a.opts = *opts
		a.opts.HTTPHeader = opts.HTTPHeader.Clone()
	}
	if a.opts.ReadLimit == 0 {
		a.opts.ReadLimit = DefaultSocketReadLimit
	}
	return a
}

func newSocketDialError(err error, resp *http.Response, token string) error {
	redact := func(s string) string {
		if token == "" {
			return s
		}
		s = strings.ReplaceAll(s, token, "REDACTED")
		return strings.ReplaceAll(s, url.QueryEscape(token), "REDACTED")
	}
	e := &SocketDialError{msg: redact(trimPrefix(err.Error()))}
	cause := err
	if token != "" && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), url.QueryEscape(token))) {
		cause = errors.New(e.msg)
		var ue *url.Error
		if errors.As(err, &ue) {
			r := &url.Error{Op: ue.Op, URL: redact(ue.URL), Err: ue.Err}
			if !strings.Contains(r.Error(), token) {
				cause = r
			}
		}
	}
	e.errs = append(e.errs, cause)
	if resp != nil && resp.StatusCode != 0 && resp.StatusCode != http.StatusSwitchingProtocols {
		e.HTTPStatus = resp.StatusCode
		msg := ""
		if resp.Body != nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
			if utf8.Valid(b) {
				msg = strings.TrimSpace(redact(string(b)))
			}
		}
		e.errs = append(e.errs, &Error{Code: sockCodeFromHTTP(resp.StatusCode), Message: msg, HTTPStatus: resp.StatusCode})
	}
	return e
}
