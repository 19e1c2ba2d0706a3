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
// requests, results and errors are those of the native build. It is safe
// for concurrent use; like every call that waits, Send must not run inside
// a JavaScript event callback (see the package doc).
type RESTAdapter struct {
	base      *url.URL
	serverKey string
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
	a := &RESTAdapter{base: u, serverKey: serverKey, timeout: DefaultTimeout}
	if opts != nil && opts.Timeout != 0 {
		a.timeout = opts.Timeout
	}
	return a, nil
}

// ServerURL returns the server address the adapter sends to.
func (a *RESTAdapter) ServerURL() string { return a.base.String() }

// Send sends one call over REST. See ClientAdapter.
func (a *RESTAdapter) Send(ctx context.Context, call *Call) error {
	r, err := newRESTRequest(a.base, a.serverKey, call)
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
	if r.body != nil {
		header["Content-Type"] = "application/json"
	}
	if r.auth != "" {
		header["Authorization"] = r.auth
	}
	ans, err := jsFetch(ctx, r.method, r.url, header, r.body, restReadLimit)
	if err != nil {
		return redactURLError(err)
	}
	if ans.readErr != nil && ans.status >= 200 && ans.status <= 299 {
		// An error answer is decoded as far as it was read.
		return fmt.Errorf("reading response: %w", ans.readErr)
	}
	return decodeRESTAnswer(ans.status, ans.reason, ans.body, call)
}
