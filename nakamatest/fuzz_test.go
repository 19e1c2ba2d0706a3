package nakamatest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gonakama/nakama/op"
)

// panicCounter is a slog handler that counts the router's reports of a
// recovered handler panic: a malformed request must get the server's error,
// never a panic, even one the router turns into a 500.
type panicCounter struct{ n atomic.Int64 }

func (p *panicCounter) Enabled(context.Context, slog.Level) bool { return true }
func (p *panicCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panicked") {
		p.n.Add(1)
	}
	return nil
}
func (p *panicCounter) WithAttrs([]slog.Attr) slog.Handler { return p }
func (p *panicCounter) WithGroup(string) slog.Handler      { return p }

// FuzzRequests sends arbitrary queries and bodies to every operation's route,
// as an authenticated user, and requires a well-formed answer: a JSON body,
// and for a failure the {"code","message"} shape, with no handler panic.
func FuzzRequests(f *testing.F) {
	for i := range op.All {
		f.Add(uint16(i), "limit=5&cursor=x", []byte(`{}`))
	}
	f.Add(uint16(0), "ids=%zz", []byte(`{"ids":[1,2]}`))
	f.Add(uint16(3), "", []byte(`{"account":{"id":"\u0000"}}`))
	f.Add(uint16(7), "state=99&limit=-1", []byte(`[`))
	f.Add(uint16(40), "expiry=99999999999999999999", []byte(`{"record":{"score":"-1","metadata":"{"}}`))

	pc := &panicCounter{}
	srv := NewServer(&Options{Logger: slog.New(pc)})
	if err := srv.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	acct, err := srv.CreateUser(NewUser{CustomID: "fuzz-user-0001"})
	if err != nil {
		f.Fatal(err)
	}
	sess, err := srv.NewSession(acct.GetUser().GetId(), nil)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, which uint16, query string, body []byte) {
		o := &op.All[int(which)%len(op.All)]
		path := o.Path
		for _, name := range o.PathFields() {
			path = strings.Replace(path, "{"+name+"}", "fuzz-"+name, 1)
		}
		req := httptest.NewRequest(o.Method, "http://nakamatest"+path, bytes.NewReader(body))
		req.URL.RawQuery = query
		switch o.Auth {
		case op.Basic:
			req.SetBasicAuth("defaultkey", "")
		default:
			req.Header.Set("Authorization", "Bearer "+sess.GetToken())
		}
		rec := httptest.NewRecorder()
		before := pc.n.Load()
		srv.ServeHTTP(rec, req)
		if pc.n.Load() != before {
			t.Fatalf("%s %s?%s with body %q: a handler panicked", o.Method, path, query, body)
		}
		if rec.Code >= 400 {
			var e struct {
				Code    *int    `json:"code"`
				Message *string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code == nil || e.Message == nil {
				t.Fatalf("%s %s: status %d with body %q, want the server's error shape", o.Method, path, rec.Code, rec.Body.String())
			}
		} else if rec.Code == http.StatusOK && o.Name != "RpcFunc" && o.Name != "RpcFunc2" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: 200 with a body that is not JSON: %q", o.Method, path, rec.Body.String())
		}
	})
}
