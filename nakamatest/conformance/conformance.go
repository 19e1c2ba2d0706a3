// Package conformance is one suite of tests, written against nakama.Client,
// that any Nakama server must pass: nakamatest runs it on every test run, and
// a real server runs it when NAKAMA_URL names one, each over REST and over
// gRPC (Target.Transport).
//
// The suite needs a little server-side setup that clients cannot do
// (leaderboards, tournaments, notifications, an echo RPC). It asks for it
// through server-to-server RPCs named Fixture*: a real server gets them from
// the Lua module testdata/modules/conformance.lua of this repository, and
// nakamatest from Install.
//
// Every case makes its own users and objects with ids unique to the run, so
// the suite tolerates a server that holds data from earlier runs.
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamagrpc"
)

// Transport names the API the suite's client speaks.
type Transport string

// The transports.
const (
	// REST is the server's HTTP API, through nakama.RESTAdapter.
	REST Transport = "rest"
	// GRPC is the server's gRPC API, through nakamagrpc.Adapter.
	GRPC Transport = "grpc"
)

// Target names the server the suite runs against.
type Target struct {
	// Name labels the run in test names ("nakamatest", "real").
	Name string
	// URL is the server's REST address, such as "http://127.0.0.1:7350".
	// The realtime cases use it whatever the Transport.
	URL string
	// Transport is the API the client calls. Default REST.
	Transport Transport
	// GRPCAddr is the server's gRPC address, for Transport GRPC. Default:
	// derived from URL, port minus one, as the server binds it.
	GRPCAddr string
	// ServerKey is the server key. Default "defaultkey".
	ServerKey string
	// HTTPKey is the runtime http key, for server-to-server RPCs.
	// Default "defaulthttpkey".
	HTTPKey string
	// Real is true for a real Nakama server: cases that depend on behaviour
	// only nakamatest can be driven into (such as registered provider
	// tokens) skip there, saying why.
	Real bool
	// Extra holds state the target's own setup wants to hand to its cases:
	// nakamatest puts its *nakamatest.Server here.
	Extra any
}

// TargetFromEnv returns the real server named by NAKAMA_URL (with
// NAKAMA_SERVER_KEY, NAKAMA_HTTP_KEY, and NAKAMA_GRPC_ADDR when its gRPC
// address is not the derived one), over REST, and false when NAKAMA_URL is
// unset.
func TargetFromEnv() (Target, bool) {
	u := os.Getenv("NAKAMA_URL")
	if u == "" {
		return Target{}, false
	}
	return Target{Name: "real", URL: u, GRPCAddr: os.Getenv("NAKAMA_GRPC_ADDR"),
		ServerKey: os.Getenv("NAKAMA_SERVER_KEY"), HTTPKey: os.Getenv("NAKAMA_HTTP_KEY"), Real: true}, true
}

// Over returns the target reached over transport tr, its Name suffixed
// with the transport's (as "real-grpc") unless tr is REST.
func (t Target) Over(tr Transport) Target {
	t.Transport = tr
	if tr != REST {
		t.Name += "-" + string(tr)
	}
	return t
}

// Case is one conformance test.
type Case struct {
	// Name is the subtest's name.
	Name string
	// Run performs the test.
	Run func(t *testing.T, h *Harness)
}

var (
	casesMu  sync.Mutex
	allCases []Case
)

// register adds cases to the suite; each area file calls it from init.
func register(cs ...Case) {
	casesMu.Lock()
	defer casesMu.Unlock()
	allCases = append(allCases, cs...)
}

// Cases returns the suite's cases sorted by name.
func Cases() []Case {
	casesMu.Lock()
	defer casesMu.Unlock()
	out := append([]Case(nil), allCases...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Harness is what a case gets: a client for the target, fixtures, and
// helpers that make unique users and names.
type Harness struct {
	Target Target
	// Client is a DefaultClient for the target whose calls are recorded, so
	// Run can check that the suite exercised every operation.
	Client nakama.Client
	// RunID is unique to this run of the suite.
	RunID string

	rec *recorder
}

// Run runs every case against the target, then fails if any operation of
// the Client was never answered by the server during the run.
func Run(t *testing.T, target Target) {
	t.Helper()
	if target.ServerKey == "" {
		target.ServerKey = nakama.DefaultServerKey
	}
	if target.HTTPKey == "" {
		target.HTTPKey = "defaulthttpkey"
	}
	adapter, err := newAdapter(t, &target)
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	rec := &recorder{next: adapter, seen: map[string]int{}}
	h := &Harness{
		Target: target,
		Client: nakama.NewClientWithAdapter(rec, &nakama.ClientOptions{Retry: nakama.RetryConfig{MaxAttempts: 2}}),
		RunID:  randomID(6),
		rec:    rec,
	}
	cases := Cases()
	var started atomic.Int64
	ok := t.Run(target.Name, func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				started.Add(1)
				t.Parallel()
				c.Run(t, h)
			})
		}
	})
	if !ok {
		return // coverage says nothing useful when cases failed
	}
	if int(started.Load()) < len(cases) {
		t.Logf("conformance: %d of %d cases selected; the check that every operation was exercised needs them all",
			started.Load(), len(cases))
		return
	}
	var missing []string
	for _, o := range nakama.Operations() {
		if o.VariantOf != "" {
			continue // a second route of an operation the client sends by its first
		}
		if rec.count(o.Name) == 0 {
			missing = append(missing, o.Name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("conformance: no case had the server answer these operations: %v", missing)
	}
}

// newAdapter returns the adapter for the target's transport, filling in a
// derived GRPCAddr, and closes what it opens when t ends: a real server
// keeps idle connections open, and no goroutine may outlive the suite.
func newAdapter(t *testing.T, target *Target) (nakama.ClientAdapter, error) {
	switch target.Transport {
	case "", REST:
		target.Transport = REST
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		return nakama.NewRESTAdapter(target.URL, target.ServerKey, &nakama.RESTOptions{HTTPClient: &http.Client{Transport: tr}})
	case GRPC:
		if target.GRPCAddr == "" {
			addr, err := nakamagrpc.AddrForURL(target.URL)
			if err != nil {
				return nil, err
			}
			target.GRPCAddr = addr
		}
		a, err := nakamagrpc.NewAdapter(target.GRPCAddr, target.ServerKey, nil)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = a.Close() })
		return a, nil
	}
	return nil, fmt.Errorf("unknown transport %q", target.Transport)
}

// HTTPStatus returns status when the suite speaks REST and 0 otherwise: the
// HTTPStatus a *nakama.Error of a REST answer with that status carries.
func (h *Harness) HTTPStatus(status int) int {
	if h.Target.Transport == REST {
		return status
	}
	return 0
}

// recorder counts the operations the server answered, with success or with
// an error of its own.
type recorder struct {
	next nakama.ClientAdapter
	mu   sync.Mutex
	seen map[string]int
}

func (r *recorder) Send(ctx context.Context, c *nakama.Call) error {
	err := r.next.Send(ctx, c)
	// An Unimplemented answer is a server that lacks the operation, which
	// must not count as exercising it.
	var se *nakama.Error
	if err == nil || (errors.As(err, &se) && se.Code != nakama.Unimplemented) {
		r.mu.Lock()
		r.seen[c.Operation.Name]++
		r.mu.Unlock()
	}
	return err
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[name]
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Ctx returns a context bounded for one step of a case.
func (h *Harness) Ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Unique returns prefix followed by a suffix unique to this run and call.
func (h *Harness) Unique(prefix string) string {
	return prefix + "-" + h.RunID + "-" + randomID(4)
}

// NewUser authenticates a new user with a unique custom id and returns its
// session.
func (h *Harness) NewUser(t *testing.T) *nakama.Session {
	t.Helper()
	s, err := h.Client.AuthenticateCustom(h.Ctx(t), h.Unique("custom"), nil)
	if err != nil {
		t.Fatalf("NewUser: %v", err)
	}
	if !s.Created() {
		t.Fatalf("NewUser: a unique custom id did not create an account")
	}
	return s
}

// Fixture calls one of the suite's server-side setup functions with the
// http key, passing in as JSON and decoding the answer into out (if not nil).
func (h *Harness) Fixture(t *testing.T, id string, in, out any) {
	t.Helper()
	payload, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("fixture %s: %v", id, err)
	}
	res, err := h.Client.RpcFuncHTTPKey(h.Ctx(t), h.Target.HTTPKey, id, string(payload))
	if err != nil {
		t.Fatalf("fixture %s: %v", id, err)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(res.GetPayload()), out); err != nil {
			t.Fatalf("fixture %s: answer %q: %v", id, res.GetPayload(), err)
		}
	}
}

// Code asserts that err carries the want code, and returns it for further
// checks.
func Code(t *testing.T, err error, want nakama.Code) *nakama.Error {
	t.Helper()
	var se *nakama.Error
	if !errors.As(err, &se) {
		t.Fatalf("got error %v, want a server error with code %v", err, want)
	}
	if se.Code != want {
		t.Fatalf("got code %v (%q), want %v", se.Code, se.Message, want)
	}
	return se
}

// Must fails the test on err.
func Must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Errorf is fmt.Errorf, here so case files read alike.
var Errorf = fmt.Errorf
