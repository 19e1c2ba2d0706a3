package nakama

import (
	"net/http/httptest"
	"testing"
)

// Under js/wasm the REST adapter sends through the host's fetch, which
// cannot reach a server listening in the test binary's own in-memory
// network: the tests that need one skip. The fetch adapter has its own
// tests in rest_js_test.go, and the browser test in cmd/nakama runs it
// against a real server.

const bhNoFetchReason = "js/wasm: the host's fetch cannot reach a server in the test binary's in-memory network"

func bhRESTClient(t testing.TB, _ *httptest.Server, _ *bhBackend, _ *ClientOptions) *DefaultClient {
	t.Skip(bhNoFetchReason)
	return nil
}

func bhDeadServerClient(t testing.TB, _ *ClientOptions) (*DefaultClient, *bhCounting) {
	t.Skip(bhNoFetchReason)
	return nil, nil
}
