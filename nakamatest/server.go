// Package nakamatest is an in-memory server that speaks the API of Nakama
// 3.40, for tests: the REST API and the realtime socket (/ws, JSON and
// protobuf) on one port as the real server serves them, and the gRPC API on
// another. Like net/http/httptest or miniredis, a test starts it on loopback
// ports and points any Nakama client at its URL or its GRPCAddr:
//
//	srv := nakamatest.RunT(t, nil)
//	client := ... srv.URL() ... // server key "defaultkey"
//
// Both APIs are served from the same handlers and the same state, so a test
// may mix transports on one server.
//
// It answers as the real server does: the same routes, HTTP statuses, gRPC
// codes, error messages, JSON encodings, defaults and validation rules,
// taken from the server's source. Everything lives in memory and vanishes
// with the server. The direct API (CreateUser, DisableUser, AddGoogleToken,
// SetTime, ...) sets up and inspects state without the protocol.
//
// Every operation of the REST API is served, and the realtime socket's
// messages (chat, matches, parties, matchmaker, status, RPC): authentication with every
// provider, sessions, accounts, links, users, friends, groups, leaderboards
// and tournaments (with reset schedules on the server clock), storage, RPC
// (Go functions registered with RegisterRPC), notifications, channel
// history, match and party listings, matchmaker statistics, events, and
// purchase validation as a server without store credentials answers it.
//
// The same checks run against a real server: package conformance holds one
// suite that passes against both.
//
// # Go server modules
//
// Options.Modules hosts Go server modules in process: each InitModule gets
// a runtime.Initializer whose registrations (RPCs, before and after hooks
// of every operation and realtime message, authoritative matches, the
// matchmaker matched hook, events, reset callbacks) serve clients as on
// the real server, and a runtime.NakamaModule over the server's state;
// methods it does not model fail with ErrNotModelled. Serve runs such a
// server from a program's main.
//
// Deliberate differences from the real server: social providers are not
// called (see AddGoogleToken and friends), passwords are hashed with PBKDF2
// rather than bcrypt, there is no X-HTTP-Method-Override and no
// POST-to-GET path-length fallback.
package nakamatest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Options configures a Server. A nil *Options, and every zero field, means
// the default, which is the real server's default configuration.
type Options struct {
	// Addr is the TCP address to listen on for REST and the realtime
	// socket. Default "127.0.0.1:0", a free loopback port.
	Addr string
	// GRPCAddr is the TCP address to listen on for the gRPC API. Default
	// "127.0.0.1:0", a free loopback port of its own (the real server uses
	// its HTTP port minus one).
	GRPCAddr string
	// ServerKey is the key clients present, as HTTP basic-auth user, to
	// authenticate and refresh sessions. Default "defaultkey".
	ServerKey string
	// HTTPKey is the runtime key that server-to-server RPC calls present as
	// the http_key query parameter, or over gRPC in the request message.
	// Default "defaulthttpkey".
	HTTPKey string
	// EncryptionKey signs session tokens. Default "defaultencryptionkey".
	EncryptionKey string
	// RefreshEncryptionKey signs refresh tokens; it must differ from
	// EncryptionKey. Default "defaultrefreshencryptionkey".
	RefreshEncryptionKey string
	// TokenExpiry is the lifetime of a session token, counted in whole
	// seconds (at least one) as the server's token_expiry_sec is. Default
	// 60s.
	TokenExpiry time.Duration
	// RefreshTokenExpiry is the lifetime of a refresh token, in whole
	// seconds like TokenExpiry. Default 3600s.
	RefreshTokenExpiry time.Duration
	// SingleSession, when true, invalidates a user's older session and
	// refresh tokens whenever the user authenticates, like the server's
	// session.single_session. Default false.
	SingleSession bool
	// MaxRequestSize is the largest request body accepted, in bytes; larger
	// bodies fail with InvalidArgument "http: request body too large" (over
	// gRPC, larger messages with ResourceExhausted). Default 262144, the
	// server's socket.max_request_size_bytes.
	MaxRequestSize int64
	// Logger receives one debug record per request and warnings about
	// handler panics. Tokens and keys are never logged. It is also the
	// runtime.Logger of Modules. Default: nothing is logged.
	Logger *slog.Logger

	// Modules are Go server modules, run by the first Start in order, as
	// the real server runs a plugin's InitModule: what they register (RPCs,
	// hooks, matches, callbacks) serves clients from then on; one that
	// fails makes Start fail. See InitModuleFunc. Default: none.
	Modules []InitModuleFunc
	// DB is the *sql.DB the modules receive, for a test that gives its
	// module a database of its own. nakamatest keeps its state in memory,
	// never in DB, so module SQL sees none of the server's tables (users,
	// storage, ...): use the runtime.NakamaModule for those. Default nil,
	// which a module that runs SQL must expect.
	DB *sql.DB
	// RuntimeEnv is the runtime environment modules read from their
	// context under runtime.RUNTIME_CTX_ENV, the server's runtime.env.
	// Default: empty.
	RuntimeEnv map[string]string
}

// withDefaults returns a copy of o with every zero field set to its default,
// so the caller's struct is never changed.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = "127.0.0.1:0"
	}
	if c.ServerKey == "" {
		c.ServerKey = "defaultkey"
	}
	if c.HTTPKey == "" {
		c.HTTPKey = "defaulthttpkey"
	}
	if c.EncryptionKey == "" {
		c.EncryptionKey = "defaultencryptionkey"
	}
	if c.RefreshEncryptionKey == "" {
		c.RefreshEncryptionKey = "defaultrefreshencryptionkey"
	}
	if c.TokenExpiry == 0 {
		c.TokenExpiry = 60 * time.Second
	}
	if c.RefreshTokenExpiry == 0 {
		c.RefreshTokenExpiry = 3600 * time.Second
	}
	c.TokenExpiry = wholeSeconds(c.TokenExpiry)
	c.RefreshTokenExpiry = wholeSeconds(c.RefreshTokenExpiry)
	if c.MaxRequestSize <= 0 {
		c.MaxRequestSize = 262_144
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func wholeSeconds(d time.Duration) time.Duration {
	if d < time.Second {
		return time.Second
	}
	return d.Truncate(time.Second)
}

// Server is an in-memory Nakama server. Create it with NewServer and Start,
// or with Run or RunT. All its methods are safe for concurrent use, also
// while it serves requests. Close releases the ports and every goroutine.
type Server struct {
	opts Options
	log  *slog.Logger

	clock clock
	rand  randomness

	// mu guards st and every area's state. Handlers hold it for their whole
	// work so each call is atomic.
	mu sync.Mutex
	st store

	// Area state, guarded by mu: each area file adds one field of its own
	// type on a line here (friends friendsState, ...) and initialises it in
	// its register method.
	rpc           rpcState
	storage       storageState
	notifications notificationState
	channels      channelState
	matches       matchState
	parties       partyState
	events        eventState

	friends friendsState
	groups  groupsState

	leaderboards leaderboardsState

	realtime realtimeState

	modules moduleState // see runtime.go

	// Routing, fixed once NewServer returns.
	routes   []*route
	byName   map[string]*route
	paths    map[string]http.Handler
	grpcDesc *grpc.ServiceDesc

	// Hooks areas use to release what they own.
	onClose           []func()
	onDropConnections []func()

	life       sync.Mutex // serialises Start, Restart and Close; guards below
	addr       string     // the bound address, kept for Restart
	grpcAddr   string     // the bound gRPC address, kept for Restart
	hs         *http.Server
	served     chan struct{} // closed when the serve goroutine returns
	gs         *grpc.Server
	grpcServed chan struct{} // closed when the gRPC serve goroutine returns
	closed     bool

	// connMu guards conns apart from life, because the HTTP server reports
	// connection changes while Close holds life and waits for it.
	connMu sync.Mutex
	conns  map[net.Conn]struct{}
}

// NewServer returns a server configured by opts (nil means defaults) but not
// yet listening; call Start. Options are copied, so later changes to *opts
// have no effect.
func NewServer(opts *Options) *Server {
	s := &Server{opts: opts.withDefaults()}
	s.log = s.opts.Logger
	s.st.init(s.clock.now())
	s.modules.resets.wake = make(chan struct{}, 1)
	s.buildRoutes()
	s.registerAreas()
	s.grpcDesc = s.grpcService()
	return s
}

// Run returns a new server, configured by opts, already listening.
func Run(opts *Options) (*Server, error) {
	s := NewServer(opts)
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Tester is the part of *testing.T, *testing.B and *testing.F that RunT
// needs.
type Tester interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// RunT starts a server for the test t, configured by opts (nil means
// defaults), fails the test if it cannot start, and closes it when the test
// and its subtests finish.
func RunT(t Tester, opts *Options) *Server {
	t.Helper()
	s, err := Run(opts)
	if err != nil {
		t.Fatalf("nakamatest: %v", err)
		return nil
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts listening on Options.Addr and serving. It fails if the
// configuration is one the real server refuses to start with, if the
// address is taken, or if the server is already running or closed.
func (s *Server) Start() error {
	if s.opts.EncryptionKey == s.opts.RefreshEncryptionKey {
		return errors.New("nakamatest: EncryptionKey and RefreshEncryptionKey must differ")
	}
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return errors.New("nakamatest: server closed")
	}
	if s.hs != nil {
		return errors.New("nakamatest: server already started")
	}
	if err := s.loadModules(); err != nil {
		return err
	}
	if err := s.listen(s.opts.Addr, s.opts.GRPCAddr); err != nil {
		return err
	}
	s.startResets()
	return nil
}

// Restart closes every connection and the listeners, as a server bounce
// would, then listens again on the same addresses; it also reopens a server
// that Close stopped. Realtime sockets are dropped without a close frame,
// as when the server's process exits, and what they held (presences,
// matchmaker tickets) goes with them before Restart returns. The state
// (users, tokens, time) survives, so clients can test reconnection. It
// fails if the server was never started or the port was taken meanwhile.
func (s *Server) Restart() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.addr == "" {
		return errors.New("nakamatest: server never started")
	}
	s.closed = false
	s.stop()
	// Shutdown neither closes nor waits for hijacked connections, the
	// sockets; with the listener closed and every upgrade done, they are
	// all registered and can be dropped for good.
	s.dropConnections()
	if err := s.listen(s.addr, s.grpcAddr); err != nil {
		return err
	}
	s.startResets()
	return nil
}

// listen binds addr and grpcAddr and starts the serve goroutines; s.life
// is held.
func (s *Server) listen(addr, grpcAddr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("nakamatest: listen: %w", err)
	}
	gl, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		_ = l.Close()
		return fmt.Errorf("nakamatest: listen for gRPC: %w", err)
	}
	s.addr, s.grpcAddr = l.Addr().String(), gl.Addr().String()
	s.connMu.Lock()
	s.conns = make(map[net.Conn]struct{})
	s.connMu.Unlock()
	s.hs = &http.Server{
		Handler: s,
		// The real server's limit, so an oversized header fails alike.
		MaxHeaderBytes: 5120,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:      s.trackConn,
	}
	s.served = make(chan struct{})
	go func(hs *http.Server, done chan struct{}) {
		defer close(done)
		_ = hs.Serve(l) // returns http.ErrServerClosed on Shutdown
	}(s.hs, s.served)
	s.gs = s.newGRPCServer()
	s.grpcServed = make(chan struct{})
	go func(gs *grpc.Server, done chan struct{}) {
		defer close(done)
		_ = gs.Serve(trackedListener{Listener: gl, s: s}) // returns nil on Stop
	}(s.gs, s.grpcServed)
	return nil
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	switch state {
	case http.StateNew:
		if s.conns != nil {
			s.conns[c] = struct{}{}
		}
	case http.StateHijacked, http.StateClosed:
		delete(s.conns, c)
	}
}

// URL returns the base URL of the running server, such as
// "http://127.0.0.1:41234", or "" before Start.
func (s *Server) URL() string {
	addr := s.Addr()
	if addr == "" {
		return ""
	}
	return "http://" + addr
}

// Addr returns the address the server listens on, such as
// "127.0.0.1:41234", or "" before Start.
func (s *Server) Addr() string {
	s.life.Lock()
	defer s.life.Unlock()
	return s.addr
}

// GRPCAddr returns the address the server's gRPC API listens on, such as
// "127.0.0.1:41235", or "" before Start.
func (s *Server) GRPCAddr() string {
	s.life.Lock()
	defer s.life.Unlock()
	return s.grpcAddr
}

// Close stops the server: it stops accepting connections, waits for
// requests in flight to finish, closes every connection and returns once no
// goroutine of the server is left. It is safe to call more than once.
func (s *Server) Close() {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return
	}
	s.closed = true
	s.stop()
	s.stopResets()
	s.life.Unlock()
	for _, fn := range s.onClose {
		fn()
	}
}

// stop shuts the HTTP and gRPC servers down and waits for them; s.life is
// held.
func (s *Server) stop() {
	if s.hs == nil {
		return
	}
	_ = s.hs.Shutdown(context.Background())
	<-s.served
	stopGRPC(s.gs, s.grpcServed)
	s.hs, s.served, s.gs, s.grpcServed = nil, nil, nil, nil
}

// CloseClientConnections closes every client connection at once, even with
// a request in progress, to simulate a network failure. The server keeps
// listening.
func (s *Server) CloseClientConnections() {
	s.connMu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.connMu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	s.dropConnections()
}

// dropConnections runs the areas' hooks that drop the connections they
// own, the realtime sockets, and returns once they are gone.
func (s *Server) dropConnections() {
	for _, fn := range s.onDropConnections {
		fn()
	}
}

// tokenLifetime and refreshLifetime are the expiries in whole seconds, the
// unit of the server's token arithmetic.
func (s *Server) tokenLifetime() int64   { return int64(s.opts.TokenExpiry / time.Second) }
func (s *Server) refreshLifetime() int64 { return int64(s.opts.RefreshTokenExpiry / time.Second) }
