package nakamatest

//go:generate go run gen_runtime.go

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/proto"
)

// InitModuleFunc is a Go server module's entry point, the InitModule
// function a Nakama plugin exports, with the signature of nakama-common
// v1.47.0's runtime package. Options.Modules lists the modules a server
// loads. The module gets the server's Options.Logger as its runtime.Logger,
// Options.DB as db (nil by default: nakamatest keeps no SQL tables, so a
// module reaches users, storage and the rest through nk), nk acting on the
// server's state, and an initializer usable until InitModule returns.
// Registrations nakamatest cannot honour (matchmaker override and
// processor, purchase and subscription notifications, storage indexes and
// their filters, the fleet manager, shutdown functions, console HTTP
// handlers) are accepted, logged, and never called.
type InitModuleFunc func(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, initializer runtime.Initializer) error

// ErrNotModelled is what the runtime.NakamaModule methods nakamatest does not
// model fail with, wrapped in an error naming the method: account import and
// export, ReadFile, storage indexes, and every method of GetSatori's and
// GetFleetManager's values. NotModelledNakamaModule lists them.
var ErrNotModelled = errors.New("not modelled by nakamatest")

func notModelled(method string) error {
	return fmt.Errorf("nakamatest: runtime.%s: %w", method, ErrNotModelled)
}

// NotModelledNakamaModule returns the names of the runtime.NakamaModule
// methods that fail with ErrNotModelled. Every other method acts on the
// server's state as the real server's does.
func NotModelledNakamaModule() []string {
	return append([]string(nil), notModelledNakamaModule...)
}

// The compiler checks that every method of the runtime's interfaces is
// there.
var (
	_ runtime.Initializer  = (*moduleInitializer)(nil)
	_ runtime.NakamaModule = (*moduleNK)(nil)
	_ runtime.Satori       = (*moduleSatori)(nil)
	_ runtime.FleetManager = (*moduleFleetManager)(nil)
	_ runtime.Logger       = (*runtimeLogger)(nil)
	_ runtime.Config       = moduleConfig{}
)

// serverVersion is what RUNTIME_CTX_VERSION holds.
const serverVersion = "3.40.0+nakamatest"

// moduleState is what the loaded modules registered. It is written only
// while Start runs the modules' InitModule, before the server listens, and
// read-only afterwards, so reading it needs no lock.
type moduleState struct {
	loaded  bool
	loadErr error // a failed load fails every later Start too
	log     *runtimeLogger
	nk      *moduleNK
	env     map[string]string

	before   map[string]beforeHook // by operation name
	after    map[string]afterHook
	beforeRt map[string]beforeRtHook // by lower-case message name
	afterRt  map[string]afterRtHook

	leaderboardReset func(ctx context.Context, lb *api.Leaderboard, reset int64) error
	tournamentReset  func(ctx context.Context, t *api.Tournament, end, reset int64) error
	tournamentEnd    func(ctx context.Context, t *api.Tournament, end, reset int64) error
	events           []func(ctx context.Context, logger runtime.Logger, evt *api.Event)
	sessionStart     []func(ctx context.Context, logger runtime.Logger, evt *api.Event)
	sessionEnd       []func(ctx context.Context, logger runtime.Logger, evt *api.Event)

	// ledger is the wallet ledger, guarded by Server.mu (unlike the rest).
	ledger []*walletLedgerItem

	resets resetState // has its own locks; see runtime_resets.go
}

// A hook sees the request after authentication; a before hook may replace
// it (nil rejects the call as disabled), an after hook sees the answer.
type (
	beforeHook   func(ctx context.Context, req proto.Message) (proto.Message, error)
	afterHook    func(ctx context.Context, resp, req proto.Message) error
	beforeRtHook func(ctx context.Context, in *rtapi.Envelope) (*rtapi.Envelope, error)
	afterRtHook  func(ctx context.Context, out, in *rtapi.Envelope) error
)

// loadModules runs each module's InitModule once, at the first Start. s.life
// is held.
func (s *Server) loadModules() error {
	m := &s.modules
	if m.loaded || len(s.opts.Modules) == 0 {
		return m.loadErr
	}
	m.loaded = true
	m.log = &runtimeLogger{l: s.log}
	m.nk = &moduleNK{s: s}
	m.env = maps.Clone(s.opts.RuntimeEnv)
	if m.env == nil {
		m.env = map[string]string{}
	}
	m.before = map[string]beforeHook{}
	m.after = map[string]afterHook{}
	m.beforeRt = map[string]beforeRtHook{}
	m.afterRt = map[string]afterRtHook{}
	init := &moduleInitializer{s: s, db: s.opts.DB, nk: m.nk}
	ctx := s.runtimeContext(context.Background(), "run_once", runtimeCaller{})
	for i, fn := range s.opts.Modules {
		if fn == nil {
			m.loadErr = fmt.Errorf("nakamatest: module %d: nil InitModule", i)
			return m.loadErr
		}
		if err := callInit(ctx, fn, m.log, s.opts.DB, m.nk, init); err != nil {
			m.loadErr = fmt.Errorf("nakamatest: module %d: InitModule: %w", i, err)
			return m.loadErr
		}
	}
	init.done = true
	return nil
}

// callInit runs InitModule, reporting a panic as an error, as the server
// refuses to start with a failing module.
func callInit(ctx context.Context, fn InitModuleFunc, log runtime.Logger, db *sql.DB, nk runtime.NakamaModule, init runtime.Initializer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return fn(ctx, log, db, nk, init)
}

// runtimeCaller is who a runtime function runs for: the values a real
// server puts in its context.
type runtimeCaller struct {
	userID, username string
	vars             map[string]string
	expiry           int64
	sessionID, lang  string
	clientIP         string
	clientPort       string
	headers, query   map[string][]string
}

// runtimeContext returns parent with the runtime's context values, set as
// the server's NewRuntimeGoContext sets them: the environment, mode, node
// and version always; headers and query parameters when given; the user's
// id, name, vars and expiry for a caller with a user, its session id and
// language only with a session; the client's address when known.
func (s *Server) runtimeContext(parent context.Context, mode string, c runtimeCaller) context.Context {
	ctx := withRuntimeValue(parent, runtime.RUNTIME_CTX_ENV, maps.Clone(s.modules.env))
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_MODE, mode)
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_NODE, matchNode)
	ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_VERSION, serverVersion)
	if c.headers != nil {
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_HEADERS, c.headers)
	}
	if c.query != nil {
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_QUERY_PARAMS, c.query)
	}
	if c.userID != "" {
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_USER_ID, c.userID)
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_USERNAME, c.username)
		if c.vars != nil {
			ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_VARS, maps.Clone(c.vars))
		}
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_USER_SESSION_EXP, c.expiry)
		if c.sessionID != "" {
			ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_SESSION_ID, c.sessionID)
			ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_LANG, c.lang)
		}
	}
	if c.clientIP != "" {
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_CLIENT_IP, c.clientIP)
	}
	if c.clientPort != "" {
		ctx = withRuntimeValue(ctx, runtime.RUNTIME_CTX_CLIENT_PORT, c.clientPort)
	}
	return ctx
}

// clientAddress finds the client's address as the server does: the
// X-Forwarded-For list when there is one, read from its end and skipping
// loopback proxies, otherwise the connection's remote address.
func clientAddress(h http.Header, remoteAddr string) (ip, port string) {
	candidates := []string{remoteAddr}
	if xff := h.Get("X-Forwarded-For"); xff != "" {
		candidates = strings.Split(xff, ",")
	}
	for i := len(candidates) - 1; i >= 0; i-- {
		c := strings.TrimSpace(candidates[i])
		host, p, err := net.SplitHostPort(c)
		if err != nil {
			host, p = c, ""
		}
		parsed := net.ParseIP(host)
		if parsed == nil || (i > 0 && parsed.IsLoopback()) {
			continue
		}
		return host, p
	}
	return "", ""
}

// runtimeCode turns what a runtime function returned into the error a
// client sees: a runtime.Error's code (Internal when it is not a valid
// one) and message, an *Error as it is, anything else Internal with its
// text, as the server reports a failed hook.
func runtimeCode(err error) error {
	var re *runtime.Error
	if errors.As(err, &re) {
		code := Code(re.Code)
		if re.Code <= 0 || re.Code >= 17 {
			code = Internal
		}
		return newError(code, re.Message)
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return newError(Internal, serverText(err))
}

// serverText is an error's text as a client sees it: the NakamaModule's
// errors read as the server's, without the prefix they share with the
// direct API's.
func serverText(err error) string {
	return strings.TrimPrefix(err.Error(), "nakamatest: ")
}

// recovered turns a panic of module code into an error, logged with its
// stack, so a failing function fails its call rather than the server.
func (s *Server) recovered(what string, err *error) {
	if v := recover(); v != nil {
		s.log.Warn("nakamatest: module function panicked", "function", what, "panic", v, "stack", string(debug.Stack()))
		*err = fmt.Errorf("%s panicked: %v", what, v)
	}
}

// moduleInitializer is the runtime.Initializer a module's InitModule
// receives. Registering after InitModule has returned fails, as the real
// server only reads its registrations at start.
type moduleInitializer struct {
	s    *Server
	db   *sql.DB
	nk   *moduleNK
	done bool
}

var errInitializerDone = errors.New("nakamatest: the initializer is only usable during InitModule")

func (i *moduleInitializer) logger(fields map[string]any) runtime.Logger {
	return i.s.modules.log.WithFields(fields)
}

func hookLogFields(name, mode string) map[string]any {
	return map[string]any{"api_id": strings.ToLower(name), "mode": mode}
}

func (i *moduleInitializer) setBefore(name string, h beforeHook) error {
	if i.done {
		return errInitializerDone
	}
	i.s.modules.before[name] = h
	return nil
}

func (i *moduleInitializer) setAfter(name string, h afterHook) error {
	if i.done {
		return errInitializerDone
	}
	i.s.modules.after[name] = h
	return nil
}

// The adapters from the shapes of the Initializer's hook methods to
// beforeHook and afterHook; runtime_gen.go calls one per method.

func beforeEmpty(i *moduleInitializer, name string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule) error) error {
	log := i.logger(hookLogFields(name, "before"))
	return i.setBefore(name, func(ctx context.Context, req proto.Message) (proto.Message, error) {
		if err := fn(ctx, log, i.db, i.nk); err != nil {
			return nil, err
		}
		return req, nil
	})
}

func beforeReq[T proto.Message](i *moduleInitializer, name string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, T) (T, error)) error {
	log := i.logger(hookLogFields(name, "before"))
	return i.setBefore(name, func(ctx context.Context, req proto.Message) (proto.Message, error) {
		out, err := fn(ctx, log, i.db, i.nk, req.(T))
		if err != nil {
			return nil, err
		}
		if !out.ProtoReflect().IsValid() {
			return nil, nil
		}
		return out, nil
	})
}

func afterNone(i *moduleInitializer, name string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule) error) error {
	log := i.logger(hookLogFields(name, "after"))
	return i.setAfter(name, func(ctx context.Context, _, _ proto.Message) error {
		return fn(ctx, log, i.db, i.nk)
	})
}

func afterOut[O proto.Message](i *moduleInitializer, name string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, O) error) error {
	log := i.logger(hookLogFields(name, "after"))
	return i.setAfter(name, func(ctx context.Context, resp, _ proto.Message) error {
		return fn(ctx, log, i.db, i.nk, resp.(O))
	})
}

func afterIn[I proto.Message](i *moduleInitializer, name string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, I) error) error {
	log := i.logger(hookLogFields(name, "after"))
	return i.setAfter(name, func(ctx context.Context, _, req proto.Message) error {
		return fn(ctx, log, i.db, i.nk, req.(I))
	})
}

func afterOutIn[O, I proto.Message](i *moduleInitializer, name string, fn func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, O, I) error) error {
	log := i.logger(hookLogFields(name, "after"))
	return i.setAfter(name, func(ctx context.Context, resp, req proto.Message) error {
		return fn(ctx, log, i.db, i.nk, resp.(O), req.(I))
	})
}
