package nakama

import (
	"syscall/js"
	"testing"
)

// jsRun runs JavaScript source as a function body and returns its result.
func jsRun(t testing.TB, src string, args ...any) js.Value {
	t.Helper()
	names := []any{}
	for i := range args {
		names = append(names, "a"+string(rune('0'+i)))
	}
	fn := js.Global().Get("Function").New(append(names, src)...)
	return fn.Invoke(args...)
}

// jsFakes installs a scripted fetch and WebSocket on the global object, as
// Node 20 has no WebSocket and the tests must not reach a network; the
// originals come back when the test ends.
//
// fetch records each call in __fetchCalls and answers with __fetchAnswer(url,
// init). Each FakeWS is recorded in __ws; it opens in a later task unless
// __wsRefuse (it closes with 1006 instead, or with __wsRefuse == "error"
// only fires an error event, as Node's WebSocket does) or __wsHang
// (nothing happens);
// _msg and _close deliver a message or a close from the "server".
func jsFakes(t testing.TB) {
	t.Helper()
	jsRun(t, `
		globalThis.__saved = {fetch: globalThis.fetch, WebSocket: globalThis.WebSocket};
		globalThis.__fetchCalls = [];
		globalThis.__fetchAnswer = () => Promise.reject(new TypeError("no answer scripted"));
		globalThis.fetch = (url, init) => {
			__fetchCalls.push({url, init});
			return __fetchAnswer(url, init);
		};
		globalThis.__ws = [];
		globalThis.__wsRefuse = false;
		globalThis.__wsHang = false;
		globalThis.WebSocket = class FakeWS {
			constructor(url) {
				this.url = url; this.sent = []; this.readyState = 0; this.bufferedAmount = 0;
				__ws.push(this);
				if (__wsHang) return;
				setTimeout(() => __wsRefuse === "error" ? this.onerror({})
					: __wsRefuse ? this._close(1006, "") : this._open(), 0);
			}
			send(d) { this.sent.push(typeof d === "string" ? d : Array.from(d)); }
			close(code, reason) { this.closedWith = {code, reason}; this.readyState = 2; }
			_open() { this.readyState = 1; if (this.onopen) this.onopen({}); }
			_msg(data) { if (this.onmessage) this.onmessage({data}); }
			_close(code, reason) { this.readyState = 3; if (this.onclose) this.onclose({code, reason, wasClean: code === 1000}); }
		};
	`)
	t.Cleanup(func() {
		jsRun(t, `globalThis.fetch = __saved.fetch; globalThis.WebSocket = __saved.WebSocket;`)
	})
}
