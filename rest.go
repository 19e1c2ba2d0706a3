//go:build !js

package nakama

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultMaxIdleConns is how many idle connections the REST adapter keeps
// open for reuse unless RESTOptions.MaxIdleConns says otherwise.
const DefaultMaxIdleConns = 100

// RESTOptions configures a RESTAdapter. The zero value is ready to use.
type RESTOptions struct {
	// HTTPClient sends the requests. Default: a client with a transport of
	// the adapter's own (http.DefaultTransport's settings, with the idle
	// pool of MaxIdleConns). Its Timeout, if any, applies as well as
	// Timeout; MaxIdleConns does not apply to it.
	HTTPClient *http.Client
	// MaxIdleConns is how many idle connections to the server the default
	// transport keeps for reuse. Default DefaultMaxIdleConns. Set it to
	// about the number of goroutines that call at once: each call past it
	// opens a connection that is closed afterwards, and leaves a socket in
	// TIME_WAIT. Negative: keep none.
	MaxIdleConns int
	// Timeout bounds each exchange, on top of the call's context.
	// Default: DefaultTimeout. Negative: no bound but the context's.
	Timeout time.Duration
	// UserAgent is sent with every request. Default: "gonakama/<version>".
	UserAgent string
}

// RESTAdapter is the ClientAdapter that speaks the server's REST API (the
// gRPC gateway) with net/http and protojson, following its conventions: proto
// field names, int64 as strings, zero values omitted, unknown fields ignored.
// It is safe for concurrent use.
//
// Its transport failures are errors with the methods of the retry contract
// (see ClientAdapter): SafeToRetry reports true for a failure to connect,
// Temporary for every transport failure.
type RESTAdapter struct {
	base      *url.URL
	prefix    string  // base's escaped path
	keyForms  secrets // the server key in every form an echo could hold it
	basicAuth string  // the Authorization header of AuthBasic operations
	client    *http.Client
	timeout   time.Duration
	userAgent []string
}

// NewRESTAdapter returns an adapter for the server at serverURL (http or
// https, such as DefaultServerURL, with an optional path prefix) that
// authenticates with serverKey. opts may be nil.
func NewRESTAdapter(serverURL, serverKey string, opts *RESTOptions) (*RESTAdapter, error) {
	u, err := parseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	var o RESTOptions
	if opts != nil {
		o = *opts
	}
	a := &RESTAdapter{base: u, prefix: u.EscapedPath(), client: o.HTTPClient, timeout: o.Timeout}
	a.keyForms, a.basicAuth = restKeys(serverKey)
	if a.client == nil {
		a.client = &http.Client{Transport: newTransport(o.MaxIdleConns)}
	}
	if a.timeout == 0 {
		a.timeout = DefaultTimeout
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "gonakama/" + Version
	}
	a.userAgent = []string{ua}
	return a, nil
}

// idleConnTimeout is how long a pooled connection may sit idle before the
// adapter drops it. Nakama closes a connection idle for socket.idle_timeout_ms
// (60 s by default), and so do common load balancers; a pool that kept
// connections longer (http.DefaultTransport keeps them 90 s) would send calls
// on connections the server is closing, and a call that is not idempotent is
// not resent when its connection fails.
const idleConnTimeout = 30 * time.Second

// newTransport returns a transport with http.DefaultTransport's settings and
// an idle pool of n connections (DefaultMaxIdleConns for 0): the default
// transport keeps 2 per host, so concurrent callers would open and close a
// connection for nearly every call.
func newTransport(n int) http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport // replaced by the program; use its choice
	}
	t = t.Clone()
	switch {
	case n == 0:
		n = DefaultMaxIdleConns
	case n < 0:
		t.DisableKeepAlives = true
		n = 0
	}
	// Every connection goes to the one server, so the per-host bound is the
	// whole pool's.
	t.MaxIdleConns, t.MaxIdleConnsPerHost = n, n
	t.IdleConnTimeout = idleConnTimeout
	return t
}

// ServerURL returns the server address the adapter sends to.
func (a *RESTAdapter) ServerURL() string { return a.base.String() }

// CloseIdleConnections closes the connections the adapter keeps open for
// reuse (those of its HTTP client's transport). Calls may still be made
// afterwards; they open new connections.
func (a *RESTAdapter) CloseIdleConnections() { a.client.CloseIdleConnections() }

// newTransportError wraps a failure of http.Client.Do or of reading a body,
// with the URL's credentials removed.
func newTransportError(err error) error {
	var oe *net.OpError
	safe := errors.As(err, &oe) && (oe.Op == "dial" || oe.Op == "proxyconnect")
	return &transportError{err: redactURLError(err), safe: safe}
}

// Send sends one call over REST. See ClientAdapter.
func (a *RESTAdapter) Send(ctx context.Context, call *Call) error {
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	req, err := a.newRequest(ctx, call)
	if err != nil {
		return err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return a.scrub(newTransportError(err), call)
	}
	defer resp.Body.Close()
	reason := http.StatusText(resp.StatusCode)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return a.decodeAnswer(resp.StatusCode, reason, body, call)
	}
	body, err := readBody(resp)
	if err != nil {
		return a.scrub(newTransportError(fmt.Errorf("reading response: %w", err)), call)
	}
	return a.decodeAnswer(resp.StatusCode, reason, body, call)
}

// readBody reads a success body up to its cap (one byte past it, to tell),
// in one allocation when the server said its length. A length of 0 is not
// trusted: a hand-built http.Response leaves it 0 for a body of any size.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxSuccessBody {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxSuccessBody+1))
}

// newRequest builds the HTTP request for a call.
func (a *RESTAdapter) newRequest(ctx context.Context, call *Call) (*http.Request, error) {
	u, body, err := a.target(call)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The URL is set after, not given as a string that
	// NewRequestWithContext would parse again.
	req, err := http.NewRequestWithContext(ctx, call.Operation.Method, "", rd)
	if err != nil {
		return nil, fmt.Errorf("nakama: %w", err)
	}
	req.URL, req.Host = &u, u.Host
	req.Header["Accept"] = acceptJSON
	req.Header["User-Agent"] = a.userAgent
	if body != nil {
		req.Header["Content-Type"] = acceptJSON
	}
	if auth := a.authorization(call); auth != "" {
		req.Header["Authorization"] = []string{auth}
	}
	return req, nil
}

// acceptJSON is shared by every request's Accept and Content-Type headers;
// net/http only reads header values.
var acceptJSON = []string{"application/json"}
