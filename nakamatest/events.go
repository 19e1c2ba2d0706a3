package nakamatest

import (
	"context"
	"slices"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// EventFunc receives an event a client submitted with Event, as a runtime
// module's event handler does. userID is the submitting session's user.
type EventFunc func(ctx context.Context, userID string, e *api.Event)

// eventState records submitted events and the functions that receive them.
type eventState struct {
	events   []*api.Event
	handlers []EventFunc
}

func (s *Server) registerEvents() {
	handle(s, "Event", s.event)
}

// event accepts any event, marks it external (it came from a client) and
// hands it to the event handlers. The server queues events for its
// handlers; here they run before the call returns, so a test sees them at
// once.
func (s *Server) event(ctx context.Context, c *call, req *api.Event) (*emptypb.Empty, error) {
	req.External = true
	s.mu.Lock()
	s.events.events = append(s.events.events, proto.Clone(req).(*api.Event))
	handlers := slices.Clone(s.events.handlers)
	s.mu.Unlock()
	for _, fn := range handlers {
		fn(ctx, c.userID, proto.Clone(req).(*api.Event))
	}
	s.moduleEvent(ctx, runtimeCaller{userID: c.userID, username: c.username, vars: c.vars, expiry: c.expiry,
		clientIP: c.clientIP, clientPort: c.clientPort}, s.modules.events, req)
	return &emptypb.Empty{}, nil
}

// OnEvent registers fn to receive every event clients submit from now on.
// It runs on the request's goroutine, without the server's lock, before
// the Event call is answered.
func (s *Server) OnEvent(fn EventFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events.handlers = append(s.events.handlers, fn)
}

// Events returns the events clients have submitted, oldest first, each
// marked external as the server marks them.
func (s *Server) Events() []*api.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*api.Event, len(s.events.events))
	for i, e := range s.events.events {
		out[i] = proto.Clone(e).(*api.Event)
	}
	return out
}
