package nakama

import (
	"context"

	"github.com/gonakama/nakama/op"
	"google.golang.org/protobuf/proto"
)

// Operation describes one Nakama API operation: its name, REST route, where
// each request field travels, its credential and whether it is idempotent.
// It is the row type of package op (github.com/gonakama/nakama/op), whose
// documentation lists its fields; adapters build requests from it, and
// Operations lists them all.
type Operation = op.Operation

// AuthKind says which credential an Operation carries.
type AuthKind = op.Auth

// The credential kinds of Operation.Auth.
const (
	// AuthNone: no credential (Healthcheck).
	AuthNone = op.None
	// AuthBasic: the server key, as HTTP basic auth or gRPC metadata.
	AuthBasic = op.Basic
	// AuthBearer: the session token.
	AuthBearer = op.Bearer
	// AuthBearerOrHTTPKey: the session token, or the runtime http_key carried
	// in the request (the RPC operations).
	AuthBearerOrHTTPKey = op.BearerOrHTTPKey
)

// Operations returns every operation of the API the client speaks, one per
// route, sorted by name. The slice is a copy; the operations are shared and
// must not be modified.
func Operations() []*Operation {
	out := make([]*Operation, len(op.All))
	for i := range op.All {
		out[i] = &op.All[i]
	}
	return out
}

// Call is one request to the server, as a ClientAdapter sends it.
type Call struct {
	// Operation says how the call travels.
	Operation *Operation
	// Token is the session token for AuthBearer and AuthBearerOrHTTPKey
	// operations; empty for the others and for server-to-server RPC.
	Token string
	// Request is the request message, of the operation's Request type.
	Request proto.Message
	// Response receives the answer, of the operation's Response type. The
	// adapter fills it in; for operations that answer with nothing it is an
	// empty message and may be left alone.
	Response proto.Message
}

// ClientAdapter sends calls to a Nakama server: it is the one seam between
// DefaultClient and a transport (REST, gRPC, or a test double).
//
// Send handles one exchange. It returns nil when the server answered with
// success and Response is filled in; a *Error when the server answered with an
// error; and any other error (wrapping the context's error, a network error,
// or ErrBadResponse) when no answer from the server was received or
// understood. It does not retry, refresh sessions or log: DefaultClient does.
// Send must be safe for concurrent use, and must not keep or modify the call
// after it returns.
type ClientAdapter interface {
	Send(ctx context.Context, call *Call) error
}
