// Package nakamagrpc is a nakama.ClientAdapter that speaks the server's gRPC
// API (service nakama.api.Nakama, on the HTTP port minus one: 7349 by
// default) with google.golang.org/grpc. It lives in its own package so that
// programs that use only REST, and browser builds, never link grpc.
//
// NewClient gives a ready nakama client over gRPC; NewAdapter gives the bare
// adapter, for nakama.NewClientWithAdapter. Calls, sessions, retries and
// errors behave as over REST: a server's answer is a *nakama.Error with the
// same code and message (HTTPStatus 0), a cancelled or expired context gives
// the context's error, and a transport failure says whether the request may
// have reached the server, so DefaultClient resends only what is safe.
package nakamagrpc

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gonakama/nakama"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxAnswer is the largest answer the adapter accepts when it dials, as the
// REST adapter's cap on a success body.
const maxAnswer = 64 << 20

// DefaultAddr is a local server's gRPC address: nakama.DefaultServerURL's
// port minus one.
const DefaultAddr = "127.0.0.1:7349"

// Options configures an Adapter. The zero value is ready to use: plaintext
// to the address given to NewAdapter.
type Options struct {
	// Conn, when set, is the connection the adapter sends on; the address,
	// TLS and DialOptions are then ignored, and Close leaves Conn open (its
	// owner closes it). Default: the adapter dials a connection of its own.
	Conn *grpc.ClientConn
	// TLS, when set, secures the connection the adapter dials. Default:
	// plaintext, as a server without socket.ssl_certificate serves.
	TLS *tls.Config
	// DialOptions are added after the adapter's own when it dials, so they
	// can override them (credentials, reconnect backoff starting at 250 ms
	// and capped at 5 s, answers up to 64 MiB, interceptors). Do
	// not add grpc.WithDefaultCallOptions(grpc.WaitForReady(true)): an
	// unreachable server then makes calls wait out their deadline instead
	// of failing at once with an error that says nothing was sent.
	DialOptions []grpc.DialOption
	// Timeout bounds each exchange, on top of the call's context. Default
	// nakama.DefaultTimeout. Negative: no bound but the context's.
	Timeout time.Duration
	// UserAgent is sent as the gRPC user agent (grpc-go appends its own).
	// Default "gonakama/<version>". Ignored when Conn is set.
	UserAgent string
}

// Adapter is the nakama.ClientAdapter that calls the server's gRPC service:
// /nakama.api.Nakama/<Operation> for every row of the operation table (a
// REST-only second route such as RpcFunc2 goes to its first route's method).
// It sends the server key as basic auth for the authenticate and refresh
// operations, the session token as a bearer token for the others, and for
// server-to-server RPC (a call without a token) nothing but the http_key the
// request message carries, which is where the server's gRPC service reads
// it.
//
// An Adapter is safe for concurrent use. Close it when done, unless it was
// given an Options.Conn.
type Adapter struct {
	conn    *grpc.ClientConn
	owned   bool
	addr    string
	basic   string // "Basic base64(serverKey:)"
	timeout time.Duration
}

var _ nakama.ClientAdapter = (*Adapter)(nil)

// NewAdapter returns an adapter for the server's gRPC address addr
// ("host:port"; DefaultAddr when empty) that authenticates with serverKey
// (nakama.DefaultServerKey when empty). opts may be nil. It does not connect:
// the first call does, and a server that cannot be reached fails that call.
func NewAdapter(addr, serverKey string, opts *Options) (*Adapter, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if serverKey == "" {
		serverKey = nakama.DefaultServerKey
	}
	a := &Adapter{
		basic:   "Basic " + base64.StdEncoding.EncodeToString([]byte(serverKey+":")),
		timeout: o.Timeout,
	}
	if a.timeout == 0 {
		a.timeout = nakama.DefaultTimeout
	}
	if o.Conn != nil {
		a.conn, a.addr = o.Conn, o.Conn.Target()
		return a, nil
	}
	if addr == "" {
		addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("nakamagrpc: bad address %q: %w", addr, err)
	}
	creds := insecure.NewCredentials()
	if o.TLS != nil {
		creds = credentials.NewTLS(o.TLS)
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "gonakama/" + nakama.Version
	}
	dial := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent(ua),
		// grpc's default cap on an answer is 4 MiB; the REST adapter reads up
		// to 64 MiB, and a storage listing may be that large.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxAnswer)),
		// grpc's own reconnect backoff starts at 1 s and grows to 2 min; a
		// game client wants a restarted server back within DefaultClient's
		// retry budget.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
	}, o.DialOptions...)
	// "passthrough" hands the address to the dialer as it is, as net.Dial
	// would take it, rather than resolving it through grpc's DNS resolver.
	conn, err := grpc.NewClient("passthrough:///"+addr, dial...)
	if err != nil {
		return nil, fmt.Errorf("nakamagrpc: %w", err)
	}
	a.conn, a.owned, a.addr = conn, true, addr
	return a, nil
}

// Addr returns the address the adapter sends to.
func (a *Adapter) Addr() string { return a.addr }

// Conn returns the connection the adapter sends on.
func (a *Adapter) Conn() *grpc.ClientConn { return a.conn }

// Close closes the connection the adapter dialed and returns once its
// goroutines are gone; calls in flight fail. It does nothing to a connection
// given in Options.Conn. It is safe to call more than once.
func (a *Adapter) Close() error {
	if !a.owned {
		return nil
	}
	if err := a.conn.Close(); err != nil && status.Code(err) != codes.Canceled {
		return fmt.Errorf("nakamagrpc: %w", err)
	}
	return nil
}

// Send sends one call as a unary gRPC call. See nakama.ClientAdapter.
func (a *Adapter) Send(ctx context.Context, call *nakama.Call) error {
	o := call.Operation
	if o == nil || call.Request == nil || call.Response == nil {
		return errors.New("nakamagrpc: call without operation, request or response")
	}
	callCtx := ctx
	switch o.Auth {
	case nakama.AuthBasic:
		callCtx = metadata.AppendToOutgoingContext(callCtx, "authorization", a.basic)
	case nakama.AuthBearer, nakama.AuthBearerOrHTTPKey:
		// Without a token, an RPC presents the http_key its request carries:
		// the server reads it from the message only when no authorization
		// metadata is present.
		if call.Token != "" {
			callCtx = metadata.AppendToOutgoingContext(callCtx, "authorization", "Bearer "+call.Token)
		}
	}
	if a.timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(callCtx, a.timeout)
		defer cancel()
	}
	var p peer.Peer
	var trailer metadata.MD
	err := a.conn.Invoke(callCtx, o.GRPCMethod(), call.Request, call.Response, grpc.Peer(&p), grpc.Trailer(&trailer))
	if err == nil {
		return nil
	}
	st := status.Convert(err)
	// The server learns the deadline and may end the stream when it passes,
	// a moment before the context here notices: its expiry is the
	// context's, not an answer.
	expired := st.Code() == codes.DeadlineExceeded && len(trailer) == 0
	if cerr := ctx.Err(); cerr != nil || (expired && pastDeadline(ctx)) {
		if cerr == nil {
			cerr = context.DeadlineExceeded
		}
		return fmt.Errorf("nakamagrpc: %s: %w", o.Name, cerr)
	}
	msg := scrub(st.Message(), call)
	if len(trailer) > 0 {
		// Trailers (with at least the content type) arrived: the status is
		// the server's own answer, not one grpc made up on this side.
		return &nakama.Error{Code: nakama.Code(st.Code()), Message: msg}
	}
	return &transportError{op: o.Name, code: st.Code(), msg: msg, sent: p.Addr != nil,
		timedOut: expired && pastDeadline(callCtx)}
}

func pastDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// scrub removes the call's token and http key from a message: a proxy in
// between may echo what it received. (The server key travels only in
// base64, which nothing echoes.)
func scrub(msg string, call *nakama.Call) string {
	secrets := []string{call.Token}
	m := call.Request.ProtoReflect()
	if fd := m.Descriptor().Fields().ByName("http_key"); fd != nil && fd.Kind() == protoreflect.StringKind {
		secrets = append(secrets, m.Get(fd).String())
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "REDACTED")
		}
	}
	return msg
}

// transportError is a failure that grpc reported on this side: no status
// came from the server. Its methods tell DefaultClient what a retry risks.
type transportError struct {
	op       string
	code     codes.Code
	msg      string
	sent     bool // a stream was opened on a connection: the request may have left
	timedOut bool // the adapter's own Timeout ended the exchange
}

func (e *transportError) Error() string {
	return "nakamagrpc: " + e.op + ": " + e.code.String() + ": " + e.msg
}

// SafeToRetry reports that nothing reached the server: the call failed
// before grpc opened a stream for it on any connection (the server refused
// the connection or could not be reached, or no connection was ready in
// time), so any operation may be sent again.
func (e *transportError) SafeToRetry() bool {
	return !e.sent && (e.code == codes.Unavailable || e.timedOut)
}

// Temporary reports a failure after the request may have been sent that a
// later attempt may not meet: the connection was lost (Unavailable) or the
// adapter's Timeout ran out. Only idempotent operations are resent.
func (e *transportError) Temporary() bool {
	return e.code == codes.Unavailable || e.timedOut
}

// Timeout reports whether the adapter's own Timeout ended the exchange.
func (e *transportError) Timeout() bool { return e.timedOut }

// Unwrap gives context.DeadlineExceeded for a timeout, nakama.ErrBadResponse
// for an answer grpc could not use (a malformed or oversized message, a
// stream cut before its status), and nothing otherwise.
func (e *transportError) Unwrap() error {
	switch {
	case e.timedOut:
		return context.DeadlineExceeded
	case e.code == codes.Internal || e.code == codes.ResourceExhausted:
		return nakama.ErrBadResponse
	}
	return nil
}

// GRPCStatus lets status.Code and status.FromError read the failure.
func (e *transportError) GRPCStatus() *status.Status { return status.New(e.code, e.msg) }

// AddrForURL returns the gRPC address of the server whose REST API is at
// serverURL: the same host, port minus one, as the server binds them. It
// fails when the URL names no port, since a server behind a proxy on the
// scheme's default port has no gRPC port to derive.
func AddrForURL(serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("nakamagrpc: bad server URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("nakamagrpc: bad server URL %q: scheme must be http or https", serverURL)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 2 || port > 65535 {
		return "", fmt.Errorf("nakamagrpc: server URL %q has no port to derive the gRPC port from", serverURL)
	}
	return net.JoinHostPort(u.Hostname(), strconv.Itoa(port-1)), nil
}
