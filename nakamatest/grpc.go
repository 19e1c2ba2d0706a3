package nakamatest

import (
	"context"
	"maps"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gonakama/nakama/op"
	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// The gRPC API is served from the same routes and handlers as REST: one
// unary method per operation of the table, described without generated
// code, behind the rules of the server's gRPC interceptor (authorize).

// grpcService describes the service nakama.api.Nakama with one method per
// operation; a second REST route has no method of its own.
func (s *Server) grpcService() *grpc.ServiceDesc {
	desc := &grpc.ServiceDesc{ServiceName: op.GRPCService, HandlerType: (*any)(nil), Metadata: "api.proto"}
	for _, rt := range s.routes {
		if rt.op.VariantOf != "" {
			continue
		}
		desc.Methods = append(desc.Methods, grpc.MethodDesc{
			MethodName: rt.op.Name,
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				return s.serveGRPC(ctx, rt, dec)
			},
		})
	}
	return desc
}

// serveGRPC answers one gRPC call as the real server does: the message is
// decoded first, then the interceptor checks the credential, then the
// handler runs. Errors become statuses with the handler's code and message.
func (s *Server) serveGRPC(ctx context.Context, rt *route, dec func(any) error) (resp any, err error) {
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			s.log.Warn("nakamatest: handler panicked", "op", rt.op.Name, "panic", v, "stack", string(debug.Stack()))
			resp, err = nil, status.Errorf(codes.Internal, "nakamatest: %s handler panicked: %v", rt.op.Name, v)
		}
		s.log.Debug("nakamatest: gRPC request", "op", rt.op.Name, "code", status.Code(err), "duration", time.Since(start))
	}()
	req := rt.op.NewRequest()
	if err := dec(req); err != nil {
		return nil, err // already a status, as grpc reports a message it cannot decode
	}
	md, _ := metadata.FromIncomingContext(ctx)
	auth, ok := md["authorization"]
	if !ok {
		auth = md["grpcgateway-authorization"]
	}
	c, err := s.authorize(rt.op, auth, req)
	if err != nil {
		return nil, grpcStatus(err)
	}
	if rt.h == nil {
		return nil, status.Errorf(codes.Unimplemented, "method %s not implemented", rt.op.Name)
	}
	c.clientIP, c.clientPort = grpcClientAddress(ctx)
	m, err := s.callHandler(ctx, rt, c, req)
	if err != nil {
		return nil, grpcStatus(err)
	}
	return m, nil
}

// grpcStatus turns a handler's error into the status the client receives.
func grpcStatus(err error) error {
	e := asError(err)
	return status.Error(codes.Code(e.Code), e.Message)
}

// rpcGRPC serves RpcFunc over gRPC, as the server's service method does
// (the REST routes have a handler of their own, rpcHTTP): the http_key or
// session was checked by authorize; the payload is the message's, whatever
// the call; metadata keys starting "q_" are the query parameters and the
// others the headers; a function's error answers with its code and text.
func (s *Server) rpcGRPC(ctx context.Context, c *call, in *api.Rpc) (*api.Rpc, error) {
	if in.Id == "" {
		return nil, newError(InvalidArgument, "RPC ID must be set")
	}
	id := strings.ToLower(in.Id)
	s.mu.Lock()
	fn := s.rpc.fns[id]
	s.mu.Unlock()
	if fn == nil {
		return nil, newError(NotFound, "RPC function not found")
	}
	md, _ := metadata.FromIncomingContext(ctx)
	req := RPCRequest{ID: id, Payload: in.Payload, HTTPKey: c.httpKey,
		QueryParams: map[string][]string{}, Headers: map[string][]string{}}
	for k, v := range md {
		if q, ok := strings.CutPrefix(k, "q_"); ok {
			req.QueryParams[q] = append([]string(nil), v...)
		} else {
			req.Headers[k] = append([]string(nil), v...)
		}
	}
	if !c.httpKey {
		req.UserID, req.Username, req.Vars, req.Expiry = c.userID, c.username, maps.Clone(c.vars), c.expiry
	}
	req.ClientIP, req.ClientPort = grpcClientAddress(ctx)
	result, err := fn(ctx, req)
	if err != nil {
		code, value := rpcErrorStatus(err)
		return nil, newError(code, value.Error())
	}
	return &api.Rpc{Payload: result}, nil
}

// grpcClientAddress finds a gRPC caller's address as the server does: from
// the X-Forwarded-For metadata when there is some, else the peer's
// address. A context not of a gRPC call has neither.
func grpcClientAddress(ctx context.Context) (ip, port string) {
	var remote string
	if p, ok := peer.FromContext(ctx); ok {
		remote = p.Addr.String()
	}
	h := http.Header{}
	md, _ := metadata.FromIncomingContext(ctx)
	if xff := md.Get("x-forwarded-for"); len(xff) > 0 {
		h.Set("X-Forwarded-For", xff[0])
	}
	return clientAddress(h, remote)
}

// newGRPCServer returns the gRPC server for the service, configured as the
// real one: requests up to MaxRequestSize.
func (s *Server) newGRPCServer() *grpc.Server {
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(int(s.opts.MaxRequestSize)))
	gs.RegisterService(s.grpcDesc, s)
	return gs
}

// grpcStopGrace is how long stopping waits for gRPC calls in flight and for
// clients to let go of their connections before closing them.
const grpcStopGrace = 5 * time.Second

// stopGRPC stops the gRPC server like Shutdown stops the HTTP one: calls in
// flight finish, then every connection closes. A client that keeps its
// connection past grpcStopGrace has it closed under it.
func stopGRPC(gs *grpc.Server, served <-chan struct{}) {
	force := time.AfterFunc(grpcStopGrace, gs.Stop)
	gs.GracefulStop()
	force.Stop()
	<-served
}

// trackedListener records the connections it accepts in the server's
// connection set, so CloseClientConnections reaches gRPC clients too.
type trackedListener struct {
	net.Listener
	s *Server
}

func (l trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.connMu.Lock()
	if l.s.conns != nil {
		l.s.conns[tc] = struct{}{}
	}
	l.s.connMu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.s.connMu.Lock()
		delete(c.s.conns, c)
		c.s.connMu.Unlock()
	})
	return c.Conn.Close()
}
