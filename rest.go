//go:build !js

package nakama

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// RESTOptions configures a RESTAdapter. The zero value is ready to use.
type RESTOptions struct {
	// HTTPClient sends the requests. Default: a client of its own with
	// http.DefaultTransport. Its Timeout, if any, applies as well as Timeout.
	HTTPClient *http.Client
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
type RESTAdapter struct {
	base      *url.URL
	serverKey string
	client    *http.Client
	timeout   time.Duration
	userAgent string
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
	a := &RESTAdapter{base: u, serverKey: serverKey, client: o.HTTPClient, timeout: o.Timeout, userAgent: o.UserAgent}
	if a.client == nil {
		a.client = &http.Client{}
	}
	if a.timeout == 0 {
		a.timeout = DefaultTimeout
	}
	if a.userAgent == "" {
		a.userAgent = "gonakama/" + Version
	}
	return a, nil
}

// ServerURL returns the server address the adapter sends to.
func (a *RESTAdapter) ServerURL() string { return a.base.String() }

// Send sends one call over REST. See ClientAdapter.
func (a *RESTAdapter) Send(ctx context.Context, call *Call) error {
	req, err := a.newRequest(ctx, call)
	if err != nil {
		return err
	}
	if a.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, restReadLimit(resp.StatusCode)))
	if err != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// An error answer is decoded as far as it was read.
		return redactURLError(fmt.Errorf("reading response: %w", err))
	}
	return decodeRESTAnswer(resp.StatusCode, http.StatusText(resp.StatusCode), body, call)
}

// newRequest builds the HTTP request for a call (see newRESTRequest).
func (a *RESTAdapter) newRequest(ctx context.Context, call *Call) (*http.Request, error) {
	r, err := newRESTRequest(a.base, a.serverKey, call)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, rd)
	if err != nil {
		return nil, fmt.Errorf("nakama: %s: %w", call.Operation.Name, redactURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", a.userAgent)
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	return req, nil
}
