package nakama

// What both socket adapters, native and browser, report about a connection
// that failed or reads too much.

// DefaultSocketReadLimit is the largest message a WebSocketAdapter reads by
// default: 4 MiB. The server bounds what it reads from clients
// (socket.max_message_size_bytes, 4096 bytes by default; see
// SocketOptions.MaxMessageSize) but not what it sends: a chat room's
// presence list, a notification batch or an RPC result can be far larger.
const DefaultSocketReadLimit = 4 << 20

// SocketDialError is a failed Connect: the dial, the TLS or WebSocket
// handshake, or the server's refusal. Its message and cause never hold the
// session token. When the server answered the handshake with an HTTP error
// it also wraps a *Error, so errors.Is(err, ErrUnauthenticated) tells a
// rejected token.
type SocketDialError struct {
	// HTTPStatus is the status of the server's answer to the handshake
	// when it was not a switch to WebSocket; 0 when there was none.
	HTTPStatus int
	msg        string
	errs       []error
}

func (e *SocketDialError) Error() string { return "nakama: socket dial: " + e.msg }

// Unwrap returns the cause (a context error, a network error with the token
// removed from any URL) and the server's *Error, when it refused.
func (e *SocketDialError) Unwrap() []error { return e.errs }

// codeFromHTTP maps the status of a refused handshake to a code, as the
// server's gateway maps codes to statuses. The statuses are numbers, not
// net/http's names, so that a browser build does not link net/http.
func sockCodeFromHTTP(status int) Code {
	switch status {
	case 400:
		return InvalidArgument
	case 401:
		return Unauthenticated
	case 403:
		return PermissionDenied
	case 404:
		return NotFound
	case 429:
		return ResourceExhausted
	case 502, 503, 504:
		return Unavailable
	case 500:
		return Internal
	}
	return Unknown
}
