package nakama

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// RESTOptions configures a RESTAdapter. The zero value is ready to use.
//
// In a browser the browser sends the requests, with its own user agent,
// connection pool and proxy settings, so only Timeout remains.
type RESTOptions struct {
	// Timeout bounds each exchange, on top of the call's context.
	// Default: DefaultTimeout. Negative: no bound but the context's.
	Timeout time.Duration
}

// RESTAdapter is the ClientAdapter that speaks the server's REST API (the
// gRPC gateway) with protojson, following its conventions: proto field
// names, int64 as strings, zero values omitted, unknown fields ignored. In a
// browser (js/wasm) it sends through the browser's fetch, so a program
// links no net/http; cancelling a call's context aborts its request. Its
// requests, results and errors are those of the native build, and a failed
// fetch is transient (Temporary) as a native transport failure is. It is safe
// for concurrent use; like every call that waits, Send must not run inside
// a JavaScript event callback (see the package doc).
type RESTAdapter struct {
	base      *url.URL
	prefix    string  // base's escaped path
	keyForms  secrets // the server key in every form an echo could hold it
	basicAuth string  // the Authorization header of AuthBasic operations
	timeout   time.Duration
}

// NewRESTAdapter returns an adapter for the server at serverURL (http or
// https, such as DefaultServerURL, with an optional path prefix) that
// authenticates with serverKey. opts may be nil. A page served from another
// origin than the server's needs the server to allow it (Nakama allows any
// origin by default).
func NewRESTAdapter(serverURL, serverKey string, opts *RESTOptions) (*RESTAdapter, error) {
	u, err := parseServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	a := &RESTAdapter{base: u, prefix: u.EscapedPath(), timeout: DefaultTimeout}
	a.keyForms, a.basicAuth = restKeys(serverKey)
	if opts != nil && opts.Timeout != 0 {
		a.timeout = opts.Timeout
	}
	return a, nil
}

// ServerURL returns the server address the adapter sends to.
func (a *RESTAdapter) ServerURL() string { return a.base.String() }

// Send sends one call over REST. See ClientAdapter.
func (a *RESTAdapter) Send(ctx context.Context, call *Call) error {
	u, body, err := a.target(call)
	if err != nil {
		return err
	}
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	// No User-Agent: browsers set their own, and a header of ours would
	// cost a cross-origin page a preflight request.
	header := map[string]any{"Accept": "application/json"}
	if body != nil {
		header["Content-Type"] = "application/json"
	}
	if auth := a.authorization(call); auth != "" {
		header["Authorization"] = auth
	}
	ans, err := jsFetch(ctx, call.Operation.Method, u.String(), header, body, restReadLimit)
	if err != nil {
		// The browser does not say how far a failed fetch got, so it may
		// have been sent: Temporary, never SafeToRetry.
		return a.scrub(&transportError{err: redactURLError(err)}, call)
	}
	if ans.readErr != nil && ans.status >= 200 && ans.status <= 299 {
		// An error answer is decoded as far as it was read.
		return a.scrub(&transportError{err: fmt.Errorf("reading response: %w", ans.readErr)}, call)
	}
	return a.decodeAnswer(ans.status, ans.reason, ans.body, call)
}

// restReadLimit is how much of an answer with status an adapter reads: past
// it, an error body is decoded as far as it goes and a success body is
// refused (decodeAnswer sees one byte more than it allows).
func restReadLimit(status int) int64 {
	if status < 200 || status > 299 {
		return maxErrorBody
	}
	return maxSuccessBody + 1
}
