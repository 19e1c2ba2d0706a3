package nakamatest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"strings"
)

// RPCFunc is a server function that clients call with RpcFunc, as a Go
// runtime module registers with RegisterRpc. It returns the payload to
// answer with. An error answers the call with an error: an *Error (see
// NewError), possibly wrapped, gives its code and message, as a runtime
// error with a code does on the real server; any other error answers
// Internal with the error's text.
//
// The function runs without any lock of the server held, so it may call the
// direct API; it may run concurrently with itself.
type RPCFunc func(ctx context.Context, in RPCRequest) (string, error)

// RPCRequest is what an RPCFunc learns about its call.
type RPCRequest struct {
	// ID is the function's id as registered: lower case.
	ID string
	// UserID, Username, Vars and Expiry (unix seconds) describe the caller's
	// session; they are empty when the call presented the http key.
	UserID   string
	Username string
	Vars     map[string]string
	Expiry   int64
	// Payload is the call's input. A POST carries it in the body; a GET
	// carries none, as on the real server, whatever its query says; a gRPC
	// call carries the message's.
	Payload string
	// HTTPKey is true when the call was made server-to-server with the
	// runtime http key rather than a session.
	HTTPKey bool
	// QueryParams holds the request's query parameters, less http_key;
	// over gRPC, the metadata whose keys start "q_", less that prefix.
	QueryParams map[string][]string
	// Headers holds the request's HTTP headers; over gRPC, the other
	// metadata, with lower-case keys.
	Headers map[string][]string
	// SessionID and Lang are the socket session's id and language, for a
	// call over a socket; REST calls have neither, as on the real server.
	SessionID string
	Lang      string
	// ClientIP and ClientPort are the caller's address, from the
	// X-Forwarded-For header when present, as the server finds it.
	ClientIP   string
	ClientPort string
}

// NewError returns an *Error with the given code and message, for an
// RPCFunc to fail with, as runtime.NewError does in a Go runtime module.
func NewError(code Code, msg string) *Error { return newError(code, msg) }

// rpcState is the registry of server functions, by lower-case id.
type rpcState struct {
	fns map[string]RPCFunc
}

func (s *Server) registerRPC() {
	s.rpc.fns = make(map[string]RPCFunc)
	s.handleRaw("RpcFunc", s.rpcHTTP)
	s.handleRaw("RpcFunc2", s.rpcHTTP)
	handle(s, "RpcFunc", s.rpcGRPC) // served over gRPC only: REST takes rpcHTTP
}

// RegisterRPC makes fn callable as the server function id. Ids are case
// insensitive, as on the real server, which lower-cases them both when a
// module registers a function and when a client calls one. Registering an
// id again replaces its function; a nil fn removes it.
func (s *Server) RegisterRPC(id string, fn RPCFunc) {
	id = strings.ToLower(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn == nil {
		delete(s.rpc.fns, id)
		return
	}
	s.rpc.fns[id] = fn
}

// The server's custom RPC route writes these bodies itself, byte for byte,
// rather than through the gateway's error encoder.
var (
	rpcAuthTokenInvalid    = []byte(`{"error":"Auth token invalid","message":"Auth token invalid","code":16}`)
	rpcHTTPKeyInvalid      = []byte(`{"error":"HTTP key invalid","message":"HTTP key invalid","code":16}`)
	rpcNoAuth              = []byte(`{"error":"Auth token or HTTP key required","message":"Auth token or HTTP key required","code":16}`)
	rpcIDMustBeSet         = []byte(`{"error":"RPC ID must be set","message":"RPC ID must be set","code":3}`)
	rpcFunctionNotFound    = []byte(`{"error":"RPC function not found","message":"RPC function not found","code":5}`)
	rpcInternalServerError = []byte(`{"error":"Internal Server Error","message":"Internal Server Error","code":13}`)
	rpcBadJSON             = []byte(`{"error":"json: cannot unmarshal object into Go value of type string","message":"json: cannot unmarshal object into Go value of type string","code":3}`)
	rpcBodyTooLarge        = []byte(`{"code":3, "message":"http: request body too large"}`)
)

func writeRPCBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// rpcHTTP serves both RPC routes the way the server's own handler does (it
// takes /v2/rpc/ away from the gateway): its own credential rules, a body
// that is a JSON string unless the query has "unwrap", and error bodies of
// its own shape.
func (s *Server) rpcHTTP(w http.ResponseWriter, r *http.Request, params map[string]string) {
	query := r.URL.Query()
	c := &call{}
	tokenAuth := false
	// An http_key in the query wins over any Authorization header; an empty
	// one counts as absent.
	if key := query.Get("http_key"); key != "" {
		if key != s.opts.HTTPKey {
			writeRPCBody(w, http.StatusUnauthorized, rpcHTTPKeyInvalid)
			return
		}
		c.httpKey = true
	} else if auth := r.Header["Authorization"]; len(auth) >= 1 {
		if key, ok := parseBasicAuth(auth[0]); ok {
			if key != s.opts.HTTPKey {
				writeRPCBody(w, http.StatusUnauthorized, rpcHTTPKeyInvalid)
				return
			}
			c.httpKey = true
		} else {
			if !s.bearerSession(c, auth[0]) {
				writeRPCBody(w, http.StatusUnauthorized, rpcAuthTokenInvalid)
				return
			}
			tokenAuth = true
		}
	} else {
		writeRPCBody(w, http.StatusUnauthorized, rpcNoAuth)
		return
	}

	rawID := params["id"]
	if rawID == "" {
		writeRPCBody(w, http.StatusBadRequest, rpcIDMustBeSet)
		return
	}
	id := strings.ToLower(rawID)
	s.mu.Lock()
	fn := s.rpc.fns[id]
	s.mu.Unlock()
	if fn == nil {
		writeRPCBody(w, http.StatusNotFound, rpcFunctionNotFound)
		return
	}

	// Any "unwrap" parameter, even an empty one, asks for the raw body in
	// and the raw result out.
	_, unwrap := query["unwrap"]
	var payload string
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeRPCBody(w, http.StatusBadRequest, rpcBodyTooLarge)
				return
			}
			writeRPCBody(w, http.StatusInternalServerError, rpcInternalServerError)
			return
		}
		if len(b) > 0 && !unwrap {
			if err := json.Unmarshal(b, &payload); err != nil {
				writeRPCBody(w, http.StatusBadRequest, rpcBadJSON)
				return
			}
		} else {
			payload = string(b)
		}
	}
	query.Del("http_key")

	in := RPCRequest{ID: id, Payload: payload, HTTPKey: c.httpKey, QueryParams: query,
		Headers: make(map[string][]string, len(r.Header))}
	in.ClientIP, in.ClientPort = clientAddress(r.Header, r.RemoteAddr)
	if tokenAuth {
		in.UserID, in.Username, in.Vars, in.Expiry = c.userID, c.username, c.vars, c.expiry
	}
	for k, v := range r.Header {
		if k != "Grpc-Timeout" {
			in.Headers[k] = append([]string(nil), v...)
		}
	}
	if in.Vars != nil {
		in.Vars = maps.Clone(in.Vars)
	}

	result, err := fn(r.Context(), in)
	if err != nil {
		code, errValue := rpcErrorStatus(err)
		// The server marshals the error value itself into the body, and
		// writes no body at all when that fails.
		body, _ := json.Marshal(map[string]any{"error": errValue, "message": errValue.Error(), "code": code})
		writeRPCBody(w, code.HTTPStatus(), body)
		return
	}

	var body []byte
	if unwrap {
		body = []byte(result)
		if ct := r.Header["Content-Type"]; len(ct) > 0 {
			// The answer is assumed to be of the request's type.
			w.Header().Set("Content-Type", ct[0])
		} else {
			w.Header().Set("Content-Type", "text/plain")
		}
	} else {
		body, err = json.Marshal(map[string]any{"payload": result})
		if err != nil {
			writeRPCBody(w, http.StatusInternalServerError, rpcInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// runtimeError is how a Go runtime error with a code (runtime.Error)
// marshals into the "error" field of an RPC error body.
type runtimeError struct {
	Message string
	Code    int
}

func (e *runtimeError) Error() string { return e.Message }

// rpcErrorStatus returns the code an RPC error answers with and the value
// whose JSON and text go in the body: an *Error's own code when it is a
// valid one (OK and unknown codes become Internal), Internal otherwise.
func rpcErrorStatus(err error) (Code, error) {
	var e *Error
	if errors.As(err, &e) {
		re := &runtimeError{Message: e.Message, Code: int(e.Code)}
		if e.Code == OK || e.Code > Unauthenticated {
			return Internal, re
		}
		return e.Code, re
	}
	return Internal, err
}
