package conformance

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
)

// FixtureFail fails with the code and message of its Failure payload, as a
// runtime function that raises an error with a code does.
const FixtureFail = "conformance_fail"

// Failure is FixtureFail's payload.
type Failure struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func init() {
	installers = append(installers, func(s *nakamatest.Server) {
		s.RegisterRPC(FixtureEcho, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			return in.Payload, nil
		})
		s.RegisterRPC(FixtureFail, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			var f Failure
			if err := json.Unmarshal([]byte(in.Payload), &f); err != nil {
				return "", err
			}
			return "", nakamatest.NewError(nakamatest.Code(f.Code), f.Message)
		})
	})

	register(
		Case{Name: "rpc/echo-session", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			// Characters the JSON string wrapping must carry through intact.
			payload := `{"text":"<tag> & \"quotes\" é ✓","n":1}`
			res, err := h.Client.RpcFunc(h.Ctx(t), s, FixtureEcho, payload)
			Must(t, err)
			if res.GetPayload() != payload {
				t.Errorf("echo answered %q, want %q", res.GetPayload(), payload)
			}
			// Function ids are case-insensitive.
			res, err = h.Client.RpcFunc(h.Ctx(t), s, strings.ToUpper(FixtureEcho), "x")
			Must(t, err)
			if res.GetPayload() != "x" {
				t.Errorf("upper-case id answered %q, want %q", res.GetPayload(), "x")
			}
			// An empty payload is an empty body and comes back empty.
			res, err = h.Client.RpcFunc(h.Ctx(t), s, FixtureEcho, "")
			Must(t, err)
			if res.GetPayload() != "" {
				t.Errorf("empty echo answered %q", res.GetPayload())
			}
		}},
		Case{Name: "rpc/echo-http-key", Run: func(t *testing.T, h *Harness) {
			res, err := h.Client.RpcFuncHTTPKey(h.Ctx(t), h.Target.HTTPKey, FixtureEcho, `{"k":"v"}`)
			Must(t, err)
			if res.GetPayload() != `{"k":"v"}` {
				t.Errorf("echo answered %q", res.GetPayload())
			}
			_, err = h.Client.RpcFuncHTTPKey(h.Ctx(t), h.Target.HTTPKey+"-wrong", FixtureEcho, "{}")
			if e := Code(t, err, nakama.Unauthenticated); e.Message != "HTTP key invalid" {
				t.Errorf("bad http key: message %q", e.Message)
			}
		}},
		Case{Name: "rpc/errors", Run: func(t *testing.T, h *Harness) {
			s := h.NewUser(t)
			_, err := h.Client.RpcFunc(h.Ctx(t), s, h.Unique("missing"), "{}")
			if e := Code(t, err, nakama.NotFound); e.Message != "RPC function not found" || e.HTTPStatus != h.HTTPStatus(404) {
				t.Errorf("unknown function: %q, status %d", e.Message, e.HTTPStatus)
			}

			fail := func(code int, msg string) string {
				b, _ := json.Marshal(Failure{Code: code, Message: msg})
				return string(b)
			}
			_, err = h.Client.RpcFunc(h.Ctx(t), s, FixtureFail, fail(int(nakama.InvalidArgument), "bad input"))
			if e := Code(t, err, nakama.InvalidArgument); e.Message != "bad input" || e.HTTPStatus != h.HTTPStatus(400) {
				t.Errorf("coded failure: %q, status %d", e.Message, e.HTTPStatus)
			}
			_, err = h.Client.RpcFunc(h.Ctx(t), s, FixtureFail, fail(int(nakama.PermissionDenied), "no"))
			if e := Code(t, err, nakama.PermissionDenied); e.Message != "no" || e.HTTPStatus != h.HTTPStatus(403) {
				t.Errorf("coded failure: %q, status %d", e.Message, e.HTTPStatus)
			}
			// A code outside 1..16 is answered as Internal.
			_, err = h.Client.RpcFunc(h.Ctx(t), s, FixtureFail, fail(99, "odd code"))
			if e := Code(t, err, nakama.Internal); e.Message != "odd code" || e.HTTPStatus != h.HTTPStatus(500) {
				t.Errorf("out-of-range code: %q, status %d", e.Message, e.HTTPStatus)
			}
		}},
	)
}
