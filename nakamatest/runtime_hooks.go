package nakamatest

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// hookName is the operation whose hooks a row runs: a second route runs
// its first route's.
func hookName(rt *route) string {
	if rt.op.VariantOf != "" {
		return rt.op.VariantOf
	}
	return rt.op.Name
}

// callHandler runs an operation's handler between the modules' before and
// after hooks, as the server's API handlers do: the before hook may
// replace the request or reject it (a nil request answers NotFound
// "Requested resource was not found."), the after hook sees the answer and
// its error is only logged. Every transport serves operations through it.
func (s *Server) callHandler(ctx context.Context, rt *route, c *call, req proto.Message) (proto.Message, error) {
	name := hookName(rt)
	before, after := s.modules.before[name], s.modules.after[name]
	if before == nil && after == nil {
		return rt.h(ctx, c, req)
	}
	caller := runtimeCaller{userID: c.userID, username: c.username, vars: c.vars, expiry: c.expiry,
		clientIP: c.clientIP, clientPort: c.clientPort}
	if before != nil {
		out, err := s.runBefore(s.runtimeContext(ctx, "before", caller), name, before, req)
		if err != nil {
			return nil, runtimeCode(err)
		}
		if out == nil {
			return nil, newError(NotFound, "Requested resource was not found.")
		}
		req = out
	}
	resp, err := rt.h(ctx, c, req)
	if err != nil || after == nil {
		return resp, err
	}
	if sess, ok := resp.(*api.Session); ok && caller.userID == "" {
		// After authenticating or refreshing, the server's context has
		// the session's user, vars and expiry.
		if cl, ok := parseToken(s.opts.EncryptionKey, sess.Token, s.clock.now()); ok {
			caller.userID, caller.username, caller.vars, caller.expiry = cl.UserID, cl.Username, cl.Vars, cl.ExpiresAt
		}
	}
	if err := s.runAfter(s.runtimeContext(ctx, "after", caller), name, after, resp, req); err != nil {
		s.modules.log.Error("after hook of %s failed: %v", name, err)
	}
	return resp, nil
}

func (s *Server) runBefore(ctx context.Context, name string, h beforeHook, req proto.Message) (out proto.Message, err error) {
	defer s.recovered("before hook of "+name, &err)
	return h(ctx, req)
}

func (s *Server) runAfter(ctx context.Context, name string, h afterHook, resp, req proto.Message) (err error) {
	defer s.recovered("after hook of "+name, &err)
	return h(ctx, resp, req)
}

// rtMessageName is the id realtime hooks are registered under, as the
// server derives it from the message's Go type.
func rtMessageName(env *rtapi.Envelope) string {
	return strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%T", env.Message), "*rtapi.Envelope_"))
}

// rtCapture records the answer a realtime handler sends for one request,
// for the after hook.
type rtCapture struct {
	cid    string
	mu     sync.Mutex
	out    *rtapi.Envelope
	failed bool
}

func (c *rtCapture) record(env *rtapi.Envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.out == nil && !c.failed {
		if _, isErr := env.Message.(*rtapi.Envelope_Error); isErr {
			c.failed = true
			return
		}
		c.out = env
	}
}

// rtHandle runs a realtime handler between the modules' BeforeRt and
// AfterRt hooks, as the server's pipeline does, and reports whether the
// session may go on. Rpc has no hooks.
func (s *Server) rtHandle(sess *rtSession, env *rtapi.Envelope, fn func(*rtSession, *rtapi.Envelope)) bool {
	if len(s.modules.beforeRt) == 0 && len(s.modules.afterRt) == 0 {
		fn(sess, env)
		return true
	}
	if _, rpc := env.Message.(*rtapi.Envelope_Rpc); rpc {
		fn(sess, env)
		return true
	}
	name := rtMessageName(env)
	before, after := s.modules.beforeRt[name], s.modules.afterRt[name]
	caller := runtimeCaller{userID: sess.userID, username: sess.username, vars: sess.vars, expiry: sess.expiry,
		sessionID: sess.id, lang: sess.lang, clientIP: sess.clientIP, clientPort: sess.clientPort}
	if before != nil {
		var out *rtapi.Envelope
		err := func() (err error) {
			defer s.recovered("realtime before hook of "+name, &err)
			out, err = before(s.runtimeContext(sess.ctx, "before", caller), env)
			return err
		}()
		if err != nil {
			sess.sendError(env.Cid, rtapi.Error_RUNTIME_FUNCTION_EXCEPTION, err.Error())
			return true
		}
		if out == nil {
			sess.sendError(env.Cid, rtapi.Error_UNRECOGNIZED_PAYLOAD, "Requested resource was not found.")
			return false
		}
		env = out
	}
	if after == nil {
		fn(sess, env)
		return true
	}
	c := &rtCapture{cid: env.Cid}
	if env.Cid != "" {
		sess.capture.Store(c)
	}
	fn(sess, env)
	sess.capture.Store(nil)
	c.mu.Lock()
	out, failed := c.out, c.failed
	c.mu.Unlock()
	if failed {
		return true
	}
	err := func() (err error) {
		defer s.recovered("realtime after hook of "+name, &err)
		return after(s.runtimeContext(sess.ctx, "after", caller), out, env)
	}()
	if err != nil {
		s.modules.log.Error("realtime after hook of %s failed: %v", name, err)
	}
	return true
}

// moduleEvent hands an event to the modules' event functions, in the
// context of its sender.
func (s *Server) moduleEvent(ctx context.Context, caller runtimeCaller, fns []func(context.Context, runtime.Logger, *api.Event), evt *api.Event) {
	if len(fns) == 0 {
		return
	}
	ctx = s.runtimeContext(ctx, "event", caller)
	for _, fn := range fns {
		func() {
			var err error
			defer func() {
				if err != nil {
					s.modules.log.Error("event function failed: %v", err)
				}
			}()
			defer s.recovered("event function", &err)
			fn(ctx, s.modules.log, proto.Clone(evt).(*api.Event))
		}()
	}
}

// sessionEvent runs the session start or end functions for sess.
func (s *Server) sessionEvent(sess *rtSession, name string, fns []func(context.Context, runtime.Logger, *api.Event)) {
	if len(fns) == 0 {
		return
	}
	caller := runtimeCaller{userID: sess.userID, username: sess.username, vars: sess.vars, expiry: sess.expiry,
		sessionID: sess.id, lang: sess.lang, clientIP: sess.clientIP, clientPort: sess.clientPort}
	// As the server's: whole seconds, and the end's close reason ("" for
	// a client's normal close).
	evt := &api.Event{Name: name, Timestamp: &timestamppb.Timestamp{Seconds: s.clock.now().Unix()}}
	if name == "session_end" {
		sess.closeMu.Lock()
		evt.Properties = map[string]string{"reason": sess.closeReason}
		sess.closeMu.Unlock()
	}
	s.moduleEvent(context.Background(), caller, fns, evt)
}
