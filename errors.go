package nakama

import (
	"context"
	"errors"
	"fmt"
	"github.com/gonakama/nakama/internal/codes"
	"net"
)

// Code is a gRPC status code, as the server reports it in every error: in
// the "code" field of a REST error body, in a gRPC status, or in a realtime
// error envelope. The values are gRPC's.
type Code = codes.Code

// The gRPC status codes.
const (
	OK                 = codes.OK
	Canceled           = codes.Canceled
	Unknown            = codes.Unknown
	InvalidArgument    = codes.InvalidArgument
	DeadlineExceeded   = codes.DeadlineExceeded
	NotFound           = codes.NotFound
	AlreadyExists      = codes.AlreadyExists
	PermissionDenied   = codes.PermissionDenied
	ResourceExhausted  = codes.ResourceExhausted
	FailedPrecondition = codes.FailedPrecondition
	Aborted            = codes.Aborted
	OutOfRange         = codes.OutOfRange
	Unimplemented      = codes.Unimplemented
	Internal           = codes.Internal
	Unavailable        = codes.Unavailable
	DataLoss           = codes.DataLoss
	Unauthenticated    = codes.Unauthenticated
)

// Error is a failure the server reported. Every error from a Client method
// that the server answered is, or wraps, a *Error; compare it with errors.As,
// or with errors.Is against the sentinel of its code (ErrNotFound, ...).
type Error struct {
	// Code is the server's gRPC status code.
	Code Code
	// Message is the server's message, as sent.
	Message string
	// HTTPStatus is the HTTP status of a REST answer; 0 over other transports.
	HTTPStatus int
}

// Error returns a short, stable description: the code and the server's message.
func (e *Error) Error() string {
	if e.Message == "" {
		return "nakama: " + e.Code.String()
	}
	return "nakama: " + e.Code.String() + ": " + e.Message
}

// Is reports whether target is the sentinel of e's code, so that
// errors.Is(err, nakama.ErrNotFound) holds for every NotFound the server sends.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.code == e.Code
}

// sentinel is a distinct type so that a sentinel never matches by pointer
// identity alone and an *Error from the server never equals a sentinel.
type sentinel struct{ code Code }

func (s *sentinel) Error() string { return "nakama: " + s.code.String() }

// Sentinels for the codes the server uses; errors.Is(err, ErrX) holds when err
// wraps an *Error with that code.
//
// ErrInvalidArgument is also wrapped by the client's own refusal of a call
// it cannot send: a path parameter (a group id, a leaderboard id...) that is
// empty, "." or "..", which would change the route. Such an error is
// returned before anything is sent, retried or refreshed; it is not a
// *Error, since the server never saw the call, but CodeOf reports
// InvalidArgument.
var (
	ErrCanceled           error = &sentinel{Canceled}
	ErrUnknown            error = &sentinel{Unknown}
	ErrInvalidArgument    error = &sentinel{InvalidArgument}
	ErrDeadlineExceeded   error = &sentinel{DeadlineExceeded}
	ErrNotFound           error = &sentinel{NotFound}
	ErrAlreadyExists      error = &sentinel{AlreadyExists}
	ErrPermissionDenied   error = &sentinel{PermissionDenied}
	ErrResourceExhausted  error = &sentinel{ResourceExhausted}
	ErrFailedPrecondition error = &sentinel{FailedPrecondition}
	ErrAborted            error = &sentinel{Aborted}
	ErrOutOfRange         error = &sentinel{OutOfRange}
	ErrUnimplemented      error = &sentinel{Unimplemented}
	ErrInternal           error = &sentinel{Internal}
	ErrUnavailable        error = &sentinel{Unavailable}
	ErrDataLoss           error = &sentinel{DataLoss}
	ErrUnauthenticated    error = &sentinel{Unauthenticated}
)

// ErrSessionExpired is returned, without a call to the server, when a
// session's token has expired and it cannot be refreshed (its refresh token
// has expired too, or auto-refresh is off). Authenticate again.
var ErrSessionExpired = errors.New("nakama: session expired")

// ErrNilSession is returned when an authenticated call is given a nil session.
var ErrNilSession = errors.New("nakama: nil session")

// ErrBadResponse is wrapped by errors for answers that are not the server's:
// a body that is not JSON (a proxy's HTML page), an empty or truncated body.
var ErrBadResponse = errors.New("nakama: bad response")

// CodeOf returns the server's code carried by err: OK for nil, the code of a
// wrapped *Error, Canceled or DeadlineExceeded for context errors, and Unknown
// for anything else (a network failure, for instance).
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var s *sentinel
	if errors.As(err, &s) {
		return s.code
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	}
	return Unknown
}

// Timeout reports whether err is a timeout: a context deadline, a transport
// timeout, the server's DeadlineExceeded, or a socket whose heartbeat went
// unanswered.
func Timeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrDeadlineExceeded) || errors.Is(err, ErrHeartbeatTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// SafeToRetry reports whether err proves the request never reached the
// server (it failed while connecting, for instance), so even a call that is
// not idempotent can be sent again: it is true when err, or an error it
// wraps, has a method SafeToRetry() bool that returns true. The REST adapter
// marks its failures so; see ClientAdapter for other adapters.
func SafeToRetry(err error) bool {
	var se safeToRetryError
	return errors.As(err, &se) && se.SafeToRetry()
}

// OpError wraps every error a Client method returns with the operation's
// name, so a log line says which call failed. Unwrap reaches the cause: a
// *Error, a context error, a network error or ErrBadResponse.
type OpError struct {
	// Op is the operation's name, such as "AuthenticateDevice".
	Op  string
	Err error
}

func (e *OpError) Error() string { return "nakama: " + e.Op + ": " + trimPrefix(e.Err.Error()) }

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }

func trimPrefix(s string) string {
	const p = "nakama: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// badResponse describes an answer that is not the server's JSON.
func badResponse(status int, format string, args ...any) error {
	return &responseError{status: status, msg: fmt.Sprintf(format, args...)}
}

// responseError is an answer that could not be understood. It matches
// ErrBadResponse and remembers the HTTP status, so retries can tell a proxy's
// 502 page from a 400 they should not repeat.
type responseError struct {
	status int
	msg    string
}

func (e *responseError) Error() string {
	return fmt.Sprintf("nakama: bad response: HTTP %d: %s", e.status, e.msg)
}

func (e *responseError) Is(target error) bool { return target == ErrBadResponse }

// HTTPStatusCode returns the HTTP status of the answer.
func (e *responseError) HTTPStatusCode() int { return e.status }
