package nakamatest

import (
	"context"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func (s *Server) registerAccount() {
	handle(s, "GetAccount", s.getAccount)
	handle(s, "UpdateAccount", s.updateAccount)
	handle(s, "DeleteAccount", s.deleteAccount)
}

func (s *Server) getAccount(_ context.Context, c *call, _ *emptypb.Empty) (*api.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[c.userID]
	if u == nil {
		// A token outlives its account for the rest of the second in which
		// the account was deleted.
		return nil, newError(NotFound, "Account not found.")
	}
	a := u.apiAccount()
	a.DisableTime = nil // the server does not show it to the user
	return a, nil
}

// accountColumn is one optional field of UpdateAccount and the width of the
// column that stores it.
type accountColumn struct {
	value *wrapperspb.StringValue
	dst   *string
	width int
}

func (s *Server) updateAccount(_ context.Context, c *call, req *api.UpdateAccountRequest) (*emptypb.Empty, error) {
	if req.Username != nil && (len(req.Username.Value) < 1 || len(req.Username.Value) > 128) {
		return nil, newError(InvalidArgument, msgUsernameLength)
	}
	username := req.GetUsername().GetValue()
	if username != "" && invalidUsername.MatchString(username) {
		return nil, newError(InvalidArgument, msgUsernameChars)
	}
	if req.Username == nil && req.DisplayName == nil && req.Timezone == nil && req.Location == nil &&
		req.LangTag == nil && req.AvatarUrl == nil {
		return nil, newError(InvalidArgument, "No fields to update.")
	}
	for _, v := range []*wrapperspb.StringValue{req.DisplayName, req.Timezone, req.Location, req.LangTag, req.AvatarUrl} {
		// The database refuses NUL characters in text before running the
		// update, whatever the update would change.
		if strings.ContainsRune(v.GetValue(), 0) {
			return nil, newError(Internal, "Error while trying to update account.")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[c.userID]
	if u == nil {
		return &emptypb.Empty{}, nil // the server's update matches no row and succeeds
	}
	cols := []accountColumn{
		{req.DisplayName, &u.displayName, 255},
		{req.Timezone, &u.timezone, 255},
		{req.Location, &u.location, 255},
		{req.LangTag, &u.langTag, 18},
		{req.AvatarUrl, &u.avatarURL, 512},
	}
	// The server updates the row only when some value differs, and only
	// then do column widths and username uniqueness come into play, or the
	// update time move.
	changed := username != "" && username != u.username
	for _, col := range cols {
		if col.value != nil && col.value.Value != *col.dst {
			changed = true
		}
	}
	if !changed {
		return &emptypb.Empty{}, nil
	}
	for _, col := range cols {
		if col.value != nil && !fitsColumn(col.value.Value, col.width) {
			return nil, newError(Internal, "Error while trying to update account.")
		}
	}
	if username != "" && username != u.username && s.st.byUsername[username] != nil {
		// The server wraps its own status error as an InvalidArgument
		// message, so this is what clients receive.
		return nil, newError(InvalidArgument, "rpc error: code = AlreadyExists desc = "+msgUsernameInUse)
	}
	if username != "" {
		s.st.setUsername(u, username)
	}
	for _, col := range cols {
		if col.value != nil {
			*col.dst = col.value.Value
		}
	}
	u.updateTime = s.clock.now()
	return &emptypb.Empty{}, nil
}

func (s *Server) deleteAccount(_ context.Context, c *call, _ *emptypb.Empty) (*emptypb.Empty, error) {
	if c.userID == systemUserID {
		return nil, newError(Internal, "Error deleting user account.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.st.users[c.userID]; u != nil {
		s.st.deleteUser(u)
		s.st.revokeAll(u.id, s.clock.now().Unix())
	}
	return &emptypb.Empty{}, nil
}
