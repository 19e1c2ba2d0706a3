package nakamatest

import (
	"context"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
)

func (s *Server) registerUsers() {
	handle(s, "GetUsers", s.getUsers)
	handle(s, "Healthcheck", s.healthcheck)
}

// getUsers returns the users matching any of the ids, usernames or
// Facebook ids, each once, in creation order. Unknown ones are simply
// absent; an id that is not a UUID fails the whole call.
func (s *Server) getUsers(_ context.Context, _ *call, req *api.GetUsersRequest) (*api.Users, error) {
	if len(req.Ids) == 0 && len(req.Usernames) == 0 && len(req.FacebookIds) == 0 {
		return &api.Users{}, nil
	}
	ids := make([]string, 0, len(req.Ids))
	for _, id := range req.Ids {
		canonical, ok := parseUUID(id)
		if !ok {
			return nil, newError(InvalidArgument, "ID '"+id+"' is not a valid system ID.")
		}
		ids = append(ids, canonical)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[*user]bool)
	var found []*user
	add := func(u *user) {
		if u != nil && !seen[u] {
			seen[u] = true
			found = append(found, u)
		}
	}
	for _, id := range ids {
		add(s.st.users[id])
	}
	for _, name := range req.Usernames {
		add(s.st.byUsername[name])
	}
	for _, fb := range req.FacebookIds {
		add(s.st.byID[kindFacebook][fb])
	}
	out := &api.Users{Users: make([]*api.User, 0, len(found))}
	for _, u := range sortedUsers(found) {
		out.Users = append(out.Users, u.apiUser())
	}
	return out, nil
}

func (s *Server) healthcheck(context.Context, *call, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
