package nakamatest

import (
	"fmt"
	"maps"
	"runtime/debug"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

// rtRPC calls a function registered with RegisterRPC for the socket's
// user. Like the server, it runs on the session's reader, so the session's
// next request waits for it; the function's context ends when the socket
// closes.
func (s *Server) rtRPC(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetRpc()
	if in.Id == "" {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "RPC ID must be set")
		return
	}
	id := strings.ToLower(in.Id)
	s.mu.Lock()
	fn := s.rpc.fns[id]
	s.mu.Unlock()
	if fn == nil {
		sess.sendError(env.Cid, rtapi.Error_RUNTIME_FUNCTION_NOT_FOUND, "RPC function not found")
		return
	}
	req := RPCRequest{ID: id, UserID: sess.userID, Username: sess.username, Vars: maps.Clone(sess.vars),
		Expiry: sess.expiry, Payload: in.Payload, SessionID: sess.id, Lang: sess.lang,
		ClientIP: sess.clientIP, ClientPort: sess.clientPort}
	result, err := s.rtCallRPC(sess, fn, req)
	if err != nil {
		// The function's own code is not sent, only its message.
		sess.sendError(env.Cid, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, errorMessage(err))
		return
	}
	// The answer carries the id as the client wrote it.
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Rpc{Rpc: &api.Rpc{Id: in.Id, Payload: result}}})
}

// rtCallRPC runs fn, turning a panic into an error as a runtime reports a
// failed function, rather than losing the connection.
func (s *Server) rtCallRPC(sess *rtSession, fn RPCFunc, req RPCRequest) (result string, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Warn("nakamatest: RPC function panicked", "id", req.ID, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("%v", v)
		}
	}()
	return fn(sess.ctx, req)
}
