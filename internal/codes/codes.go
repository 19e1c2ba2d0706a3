// Package codes is the gRPC status code type shared by the client and
// nakamatest: the server reports every failure with one, over REST, gRPC and
// the realtime socket. It is a leaf so the browser build can use it without
// linking grpc.
package codes

import (
	"strconv"
)

// Code is a gRPC status code.
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

var names = [...]string{
	"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
	"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
	"Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
	"Unauthenticated",
}

// String returns the code's gRPC name, such as "NotFound".
func (c Code) String() string {
	if int(c) < len(names) {
		return names[c]
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// httpStatus is grpc-gateway's HTTPStatusFromCode table, which the server's
// REST gateway answers with: FailedPrecondition is 400, not 412, and
// Canceled is the non-standard 499.
var httpStatus = [...]int{
	OK:                 200, // OK
	Canceled:           499,
	Unknown:            500, // InternalServerError
	InvalidArgument:    400, // BadRequest
	DeadlineExceeded:   504, // GatewayTimeout
	NotFound:           404, // NotFound
	AlreadyExists:      409, // Conflict
	PermissionDenied:   403, // Forbidden
	ResourceExhausted:  429, // TooManyRequests
	FailedPrecondition: 400, // BadRequest
	Aborted:            409, // Conflict
	OutOfRange:         400, // BadRequest
	Unimplemented:      501, // NotImplemented
	Internal:           500, // InternalServerError
	Unavailable:        503, // ServiceUnavailable
	DataLoss:           500, // InternalServerError
	Unauthenticated:    401, // Unauthorized
}

// HTTPStatus returns the HTTP status the server's REST gateway answers with
// for the code; 500 for codes it does not know.
func (c Code) HTTPStatus() int {
	if int(c) < len(httpStatus) {
		return httpStatus[c]
	}
	return 500
}
