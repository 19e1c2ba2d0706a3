package nakamatest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// Code is a gRPC status code. The real server reports every failure with
// one, in the "code" field of a REST error body, and grpc-gateway derives the
// HTTP status from it.
type Code uint32

// The gRPC status codes.
const (
	OK                 Code = 0
	Canceled           Code = 1
	Unknown            Code = 2
	InvalidArgument    Code = 3
	DeadlineExceeded   Code = 4
	NotFound           Code = 5
	AlreadyExists      Code = 6
	PermissionDenied   Code = 7
	ResourceExhausted  Code = 8
	FailedPrecondition Code = 9
	Aborted            Code = 10
	OutOfRange         Code = 11
	Unimplemented      Code = 12
	Internal           Code = 13
	Unavailable        Code = 14
	DataLoss           Code = 15
	Unauthenticated    Code = 16
)

var codeNames = [...]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
	"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
	"Unauthenticated",
}

// String returns the code's gRPC name, such as "NotFound".
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// HTTPStatus returns the HTTP status the real server's REST gateway answers
// with for the code. The table is grpc-gateway's HTTPStatusFromCode, so that
// a client sees the same status from nakamatest as from Nakama; note that
// FailedPrecondition is 400, not 412, and Canceled is the non-standard 499.
func (c Code) HTTPStatus() int {
	switch c {
	case OK:
		return http.StatusOK
	case Canceled:
		return 499
	case Unknown:
		return http.StatusInternalServerError
	case InvalidArgument:
		return http.StatusBadRequest
	case DeadlineExceeded:
		return http.StatusGatewayTimeout
	case NotFound:
		return http.StatusNotFound
	case AlreadyExists:
		return http.StatusConflict
	case PermissionDenied:
		return http.StatusForbidden
	case Unauthenticated:
		return http.StatusUnauthorized
	case ResourceExhausted:
		return http.StatusTooManyRequests
	case FailedPrecondition:
		return http.StatusBadRequest
	case Aborted:
		return http.StatusConflict
	case OutOfRange:
		return http.StatusBadRequest
	case Unimplemented:
		return http.StatusNotImplemented
	case Internal:
		return http.StatusInternalServerError
	case Unavailable:
		return http.StatusServiceUnavailable
	case DataLoss:
		return http.StatusInternalServerError
	}
	return http.StatusInternalServerError
}

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
