package nakamatest

import (
	"errors"
	"fmt"
	"github.com/gonakama/nakama/internal/codes"
)

// Code is a gRPC status code. The real server reports every failure with
// one, in the "code" field of a REST error body, and grpc-gateway derives the
// HTTP status from it.
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

// Error is a failure as the real server reports it: a gRPC code and a
// message. Handlers return it (possibly wrapped) to choose the code and
// message a client sees; the direct API returns it where a protocol call
// would have failed the same way. Use it as a pointer, *Error.
type Error struct {
	// Code is the gRPC status code.
	Code Code
	// Message is the message the client receives, word for word.
	Message string
}

// Error returns the code and the message.
func (e *Error) Error() string {
	return "nakamatest: " + e.Code.String() + ": " + e.Message
}

// newError returns an *Error. Messages are usually the real server's exact
// strings, kept literal at the call site so they are easy to compare with it.
func newError(code Code, msg string) *Error {
	return &Error{Code: code, Message: msg}
}

// errorf returns an *Error with a formatted message.
func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// asError turns any handler error into the status a client receives. An
// error that is not an *Error becomes Unknown with its text, which is what
// grpc-go does with a plain error returned by a service method.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Unknown, Message: err.Error()}
}
