//go:build !js

package nakama

// The test helpers that configure the net/http REST adapter, moved out of
// refresh_test.go and retry_test.go so that the other tests of those files
// also build for js/wasm, where RESTOptions has no HTTPClient (bh_js_test.go).

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// bhRESTClient returns a client speaking REST to srv.
func bhRESTClient(t testing.TB, srv *httptest.Server, b *bhBackend, opts *ClientOptions) *DefaultClient {
	t.Helper()
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.REST.HTTPClient == nil {
		o.REST.HTTPClient = srv.Client()
	}
	c, err := NewClient(srv.URL, b.serverKey, &o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// bhDeadServerClient returns a client whose REST adapter dials a closed port,
// with its sends counted.
func bhDeadServerClient(t testing.TB, opts *ClientOptions) (*DefaultClient, *bhCounting) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	a, err := NewRESTAdapter(bhClosedURL(t), "bh-server-key", &RESTOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	cnt := &bhCounting{inner: a}
	return NewClientWithAdapter(cnt, opts), cnt
}
