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

// Call is one request to the server, as a ClientAdapter sends it. Its
// fields are set by DefaultClient; an adapter reads them and fills in
// Response.
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
// DefaultClient and a transport (REST, gRPC, or a test double). Package op
// (github.com/gonakama/nakama/op) documents the operation rows a Call names.
//
// Send handles one exchange. It returns nil when the server answered with
// success and Response is filled in; a *Error when the server answered with
// an error (its code, message and, over HTTP, status); and any other error
// when no answer was received or understood (a transport failure, a context
// error, or an error wrapping ErrBadResponse for an answer that is not the
// server's). It does not retry, refresh sessions or log: DefaultClient does.
// Send must be safe for concurrent use, and must not keep or modify the call
// after it returns. DefaultClient checks the path fields before Send (none
// is empty, "." or ".."), so an adapter sees only calls that can travel.
//
// Retries. DefaultClient retries only what is positively transient, and
// learns it from the error through two optional methods, found with
// errors.As anywhere in the chain:
//
//	SafeToRetry() bool // true: the request never reached the server
//	Temporary() bool   // true: a transport failure; the request may have been sent
//
// An error whose SafeToRetry reports true (a failure to connect, a closed
// connection the request was never written to) is resent for any
// operation. One whose Temporary reports true (a connection lost after
// sending, an exchange timeout) is resent only for idempotent operations, as
// are *Error answers with Unavailable, ResourceExhausted or Aborted and
// HTTP 502, 503 or 504 answers. Every other error is returned as it is, so
// an adapter's error of a kind unknown to DefaultClient is never retried.
// The adapter's own context errors (the caller's context ending) end the
// call whatever their methods say. RESTAdapter's transport errors implement
// both methods; SafeToRetry (the function) reports the first.
//
// Secrets. DefaultClient removes from every error and log line the
// credentials the call carries (Token, and the request's token,
// refresh_token, http_key and password fields, in their plain, escaped and
// JSON forms; credentials shorter than 4 bytes excepted), whatever the server
// or a proxy echoes. Credentials the
// adapter holds itself, such as the server key, are the adapter's to remove
// from the errors it returns, as RESTAdapter does for its key in plain and
// basic-auth form.
type ClientAdapter interface {
	Send(ctx context.Context, call *Call) error
}
