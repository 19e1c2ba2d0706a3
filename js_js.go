package nakama

// Plumbing of the browser adapters (rest_js.go, websocket_adapter_js.go):
// promises, JavaScript exceptions and fetch, through syscall/js.

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"syscall/js"
)

var jsUint8Array = js.Global().Get("Uint8Array")

// jsIgnore handles a promise's rejection that does not matter, so that no
// unhandled rejection is reported (Node ends the process on one).
var jsIgnore = js.FuncOf(func(js.Value, []js.Value) any { return nil })

// jsAwait waits for a promise to settle and returns its value, or its
// rejection as an error. The promise settles in a later JavaScript task, so
// this must not run inside a js.FuncOf callback (see the package doc).
func jsAwait(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	ok := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: jsArg(args)}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{err: jsError(jsArg(args))}
		return nil
	})
	p.Call("then", ok, fail)
	r := <-ch
	// Settled: neither function is called again.
	ok.Release()
	fail.Release()
	return r.v, r.err
}

func jsArg(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// jsError turns a thrown or rejected JavaScript value into a Go error
// holding its name, message and, as Node's fetch gives, its cause. The error
// holds text only, no reference into JavaScript.
func jsError(v js.Value) error {
	if v.Type() != js.TypeObject {
		return errors.New(v.String())
	}
	s := v.Get("message").String()
	if name := v.Get("name"); name.Type() == js.TypeString {
		s = name.String() + ": " + s
	}
	if c := v.Get("cause"); c.Type() == js.TypeObject && c.Get("message").Type() == js.TypeString {
		s += ": " + c.Get("message").String()
	}
	return errors.New(s)
}

// jsTry runs f, which calls into JavaScript, and returns what it throws as
// an error rather than a panic.
func jsTry(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = jsError(e.Value)
		}
	}()
	f()
	return nil
}

// jsAnswer is what jsFetch read of an answer.
type jsAnswer struct {
	status int
	reason string
	body   []byte
	// readErr ended the body early; body holds what came before.
	readErr error
}

// jsFetch sends one request with the browser's fetch and reads at most
// limit(status) bytes of the answer's body. Cancelling ctx aborts the
// exchange, body included. A failure to get an answer is a *url.Error, as
// net/http's, naming the method and URL (the caller redacts it) and
// wrapping ctx's error when ctx ended it.
func jsFetch(ctx context.Context, method, rawURL string, header map[string]any, body []byte, limit func(status int) int64) (*jsAnswer, error) {
	fail := func(err error) error {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		}
		return &url.Error{Op: method[:1] + strings.ToLower(method[1:]), URL: rawURL, Err: err}
	}
	fetch := js.Global().Get("fetch")
	if fetch.Type() != js.TypeFunction {
		return nil, fail(errors.New("this JavaScript environment has no fetch"))
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	abort := js.Global().Get("AbortController").New()
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()

	init := map[string]any{"method": method, "signal": abort.Get("signal")}
	if header != nil {
		init["headers"] = header
	}
	if body != nil {
		b := jsUint8Array.New(len(body))
		js.CopyBytesToJS(b, body)
		init["body"] = b
	}
	var p js.Value
	if err := jsTry(func() { p = fetch.Invoke(rawURL, init) }); err != nil {
		return nil, fail(err)
	}
	resp, err := jsAwait(p)
	if err != nil {
		return nil, fail(err)
	}
	a := &jsAnswer{status: resp.Get("status").Int(), reason: resp.Get("statusText").String()}
	rs := resp.Get("body")
	if rs.Type() != js.TypeObject {
		return a, nil // no body (a 204, a HEAD)
	}
	max := limit(a.status)
	reader := rs.Call("getReader")
	for int64(len(a.body)) < max {
		chunk, err := jsAwait(reader.Call("read"))
		if err != nil {
			a.readErr = err
			if cerr := ctx.Err(); cerr != nil {
				a.readErr = cerr
			}
			return a, nil
		}
		if chunk.Get("done").Bool() {
			return a, nil
		}
		v := chunk.Get("value")
		n := int64(v.Get("length").Int())
		if room := max - int64(len(a.body)); n > room {
			n = room
		}
		start := len(a.body)
		a.body = slices.Grow(a.body, int(n))[:start+int(n)]
		js.CopyBytesToGo(a.body[start:], v)
	}
	// The cap is reached: drop the rest unread.
	reader.Call("cancel").Call("catch", jsIgnore)
	return a, nil
}
