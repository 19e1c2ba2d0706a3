package nakama

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

func fetchCall(t *testing.T, i int) (method, url string, header map[string]string, body string) {
	t.Helper()
	c := js.Global().Get("__fetchCalls").Index(i)
	init := c.Get("init")
	header = map[string]string{}
	if h := init.Get("headers"); h.Truthy() {
		keys := js.Global().Get("Object").Call("keys", h)
		for k := 0; k < keys.Length(); k++ {
			header[keys.Index(k).String()] = h.Get(keys.Index(k).String()).String()
		}
	}
	if b := init.Get("body"); b.Truthy() {
		body = js.Global().Get("TextDecoder").New().Call("decode", b).String()
	}
	return init.Get("method").String(), c.Get("url").String(), header, body
}

// fetchClient returns a client over a faked fetch and a session whose
// token is tok.
func fetchClient(t *testing.T, serverKey string, opts *ClientOptions) (c *DefaultClient, s *Session, tok string) {
	t.Helper()
	jsFakes(t)
	c, err := NewClient("http://nakama.test:7350", serverKey, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, ref := bhPair(time.Now(), time.Hour, 24*time.Hour, nil)
	if s, err = RestoreSession(tok, ref); err != nil {
		t.Fatal(err)
	}
	return c, s, tok
}

// TestFetchRequests checks what the fetch adapter sends, with the server
// key and with a session token, and that it decodes the answers.
func TestFetchRequests(t *testing.T) {
	jsFakes(t)
	tok, ref := bhPair(time.Now(), time.Hour, 24*time.Hour, nil)
	jsRun(t, `const tok = a0, ref = a1;
		globalThis.__fetchAnswer = (url) => Promise.resolve(url.includes("/authenticate/")
			? new Response(JSON.stringify({token: tok, refresh_token: ref, created: true}), {status: 200})
			: new Response('{"user":{"id":"u1","username":"alice"},"wallet":"{}"}', {status: 200}));`, tok, ref)
	c, err := NewClient("http://nakama.test:7350/base/", "secret-key", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := bhCtx(t)
	s, err := c.AuthenticateDevice(ctx, "device-0123456789", &AuthenticateOptions{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Token() != tok || !s.Created() {
		t.Errorf("session: token %q created %v", s.Token(), s.Created())
	}
	method, url, h, body := fetchCall(t, 0)
	if method != "POST" || url != "http://nakama.test:7350/base/v2/account/authenticate/device?create=true&username=alice" {
		t.Errorf("authenticate: %s %s", method, url)
	}
	if h["Authorization"] != "Basic c2VjcmV0LWtleTo=" || h["Content-Type"] != "application/json" || h["Accept"] != "application/json" {
		t.Errorf("authenticate headers: %v", h)
	}
	if body != `{"id":"device-0123456789"}` {
		t.Errorf("authenticate body: %s", body)
	}
	a, err := c.GetAccount(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if a.GetUser().GetUsername() != "alice" {
		t.Errorf("account: %v", a)
	}
	method, url, h, body = fetchCall(t, 1)
	if method != "GET" || url != "http://nakama.test:7350/base/v2/account" || h["Authorization"] != "Bearer "+tok || body != "" {
		t.Errorf("get account: %s %s %v %q", method, url, h, body)
	}
}

// TestFetchErrors checks the errors the fetch adapter returns: the
// server's, a proxy's page, a network failure, with no token in any.
func TestFetchErrors(t *testing.T) {
	c, s, tok := fetchClient(t, "", &ClientOptions{DisableRetry: true})
	ctx := bhCtx(t)
	for _, tc := range []struct {
		name, answer string
		check        func(error) bool
		want         string
	}{
		{"server error", `Promise.resolve(new Response('{"code":5,"message":"Account not found."}', {status: 404}))`,
			func(err error) bool {
				var e *Error
				return errors.Is(err, ErrNotFound) && errors.As(err, &e) && e.HTTPStatus == 404
			}, "Account not found."},
		{"proxy page", `Promise.resolve(new Response('<html>bad gateway ` + tok + `</html>', {status: 502, statusText: "Bad Gateway"}))`,
			func(err error) bool { return errors.Is(err, ErrBadResponse) }, "Bad Gateway with a non-JSON body"},
		{"network", `Promise.reject(new TypeError("fetch failed", {cause: new Error("connect ECONNREFUSED")}))`,
			func(err error) bool { return CodeOf(err) == Unknown }, "fetch failed: connect ECONNREFUSED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jsRun(t, `globalThis.__fetchAnswer = () => `+tc.answer+`;`)
			_, err := c.GetAccount(ctx, s)
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("the token is in the error: %v", err)
			}
		})
	}
}

// TestFetchAbort checks that a context's end and the adapter's timeout
// abort the request in flight.
func TestFetchAbort(t *testing.T) {
	jsFakes(t)
	jsRun(t, `globalThis.__aborts = 0;
		globalThis.__onFetch = () => {};
		globalThis.__fetchAnswer = (url, init) => {
			const p = new Promise((ok, fail) =>
				init.signal.addEventListener("abort", () => { __aborts++; fail(new DOMException("aborted", "AbortError")); }));
			__onFetch();
			return p;
		};`)
	tok, ref := bhPair(time.Now(), time.Hour, 24*time.Hour, nil)
	s, err := RestoreSession(tok, ref)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient("http://nakama.test:7350", "", &ClientOptions{DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	// The fake fetch cancels the context once the request is out.
	ctx, cancel := context.WithCancel(context.Background())
	onFetch := js.FuncOf(func(js.Value, []js.Value) any { cancel(); return nil })
	defer onFetch.Release()
	jsRun(t, `globalThis.__onFetch = a0;`, onFetch)
	if _, err := c.GetAccount(ctx, s); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	short, err := NewClient("http://nakama.test:7350", "", &ClientOptions{DisableRetry: true, REST: RESTOptions{Timeout: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	jsRun(t, `globalThis.__onFetch = () => {};`)
	if _, err := short.GetAccount(context.Background(), s); !errors.Is(err, context.DeadlineExceeded) || !Timeout(err) {
		t.Errorf("timed out: %v", err)
	}
	if n := js.Global().Get("__aborts").Int(); n != 2 {
		t.Errorf("%d requests aborted, want 2", n)
	}
}

// TestFetchRetryContract checks that a failed fetch is a transport failure
// under the retry contract: an idempotent call is sent again and succeeds, a
// sign-in that may create its account is not (the fetch may have reached
// the server), and the server key echoed by a proxy's page in any form is
// scrubbed as natively.
func TestFetchRetryContract(t *testing.T) {
	c, s, _ := fetchClient(t, "secret-key", &ClientOptions{Retry: RetryConfig{BaseDelay: time.Millisecond}})
	ctx := bhCtx(t)
	jsRun(t, `let n = 0; globalThis.__fetchAnswer = () => n++ === 0
		? Promise.reject(new TypeError("fetch failed"))
		: Promise.resolve(new Response('{"user":{"id":"u1"}}', {status: 200}));`)
	if _, err := c.GetAccount(ctx, s); err != nil {
		t.Fatalf("GetAccount after one failed fetch: %v", err)
	}
	if n := js.Global().Get("__fetchCalls").Length(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}

	jsRun(t, `globalThis.__fetchCalls.length = 0;
		globalThis.__fetchAnswer = () => Promise.reject(new TypeError("fetch failed"));`)
	_, err := c.AuthenticateDevice(ctx, "device-0123456789", nil)
	var te interface{ Temporary() bool }
	if err == nil || !errors.As(err, &te) || !te.Temporary() || SafeToRetry(err) {
		t.Errorf("failed fetch: %v, want a Temporary error that is not SafeToRetry", err)
	}
	if n := js.Global().Get("__fetchCalls").Length(); n != 1 {
		t.Errorf("a creating sign-in was fetched %d times, want once", n)
	}

	// "c2VjcmV0LWtleTo=" is the key's basic-auth form.
	jsRun(t, `globalThis.__fetchAnswer = () => Promise.resolve(new Response(
		'<html>denied for secret-key (c2VjcmV0LWtleTo=)</html>', {status: 403, statusText: "Forbidden"}));`)
	_, err = c.AuthenticateDevice(ctx, "device-0123456789", nil)
	if err == nil || strings.Contains(err.Error(), "secret-key") || strings.Contains(err.Error(), "c2VjcmV0LWtleTo=") {
		t.Errorf("the server key is in the error: %v", err)
	}
}
