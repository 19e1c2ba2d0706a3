package nakamatest

import (
	"slices"

	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Status: a user appears online by having a presence on their status
// stream (status=true on connect, or UpdateStatus), and its joins and
// leaves reach the sessions that follow the user. A follow is only a
// subscription: it gives the statuses of users online at the time and
// the changes after, and nothing for users who are offline.

func (s *Server) rtStatusFollow(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetStatusFollow()
	empty := func() {
		sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Status{Status: &rtapi.Status{}}})
	}
	if len(in.UserIds) == 0 && len(in.Usernames) == 0 {
		empty()
		return
	}
	var ids []string
	for _, raw := range in.UserIds {
		id, ok := parseUUID(raw)
		if !ok {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid user identifier")
			return
		}
		if id != sess.userID && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var names []string
	for _, name := range in.Usernames {
		if name == "" {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid username")
			return
		}
		if name != sess.username && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(ids) == 0 && len(names) == 0 {
		empty()
		return
	}

	s.mu.Lock()
	defer s.rtUnlock()
	// Users that do not exist, the system user and the user themselves
	// are left out without an error.
	var follow []string
	add := func(id string) {
		if id != systemUserID && id != sess.userID && !slices.Contains(follow, id) {
			follow = append(follow, id)
		}
	}
	for _, id := range ids {
		if s.st.users[id] != nil {
			add(id)
		}
	}
	for _, name := range names {
		if u := s.st.byUsername[name]; u != nil {
			add(u.id)
		}
	}
	s.rtFollowLocked(sess.id, follow)
	presences := []*rtapi.UserPresence{}
	for _, id := range follow {
		for _, p := range s.rtPresencesLocked(userStream(streamModeStatus, id), false, true) {
			presences = append(presences, &rtapi.UserPresence{UserId: p.sess.userID, SessionId: p.sess.id,
				Username: p.meta.username, Status: wrapperspb.String(p.meta.status)})
		}
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Status{Status: &rtapi.Status{Presences: presences}}})
}

func (s *Server) rtStatusUnfollow(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetStatusUnfollow()
	var ids []string
	for _, raw := range in.UserIds {
		id, ok := parseUUID(raw)
		if !ok {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid user identifier")
			return
		}
		if id != sess.userID {
			ids = append(ids, id)
		}
	}
	s.mu.Lock()
	defer s.rtUnlock()
	s.rtUnfollowLocked(sess.id, ids)
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

// rtUnfollowLocked stops a session following the users.
func (s *Server) rtUnfollowLocked(sessionID string, ids []string) {
	for _, id := range ids {
		if f := s.realtime.follows[sessionID]; f != nil {
			delete(f, id)
			if len(f) == 0 {
				delete(s.realtime.follows, sessionID)
			}
		}
		if f := s.realtime.followers[id]; f != nil {
			delete(f, sessionID)
			if len(f) == 0 {
				delete(s.realtime.followers, id)
			}
		}
	}
}

func (s *Server) rtStatusUpdate(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetStatusUpdate()
	stream := userStream(streamModeStatus, sess.userID)
	if in.Status == nil {
		s.mu.Lock()
		defer s.rtUnlock()
		s.rtUntrackLocked(sess, stream, runtime.PresenceReasonLeave)
		sess.send(&rtapi.Envelope{Cid: env.Cid})
		return
	}
	if len(in.Status.Value) > 2048 {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Status must be 2048 characters or less")
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	if !s.rtUpdateLocked(sess, stream, rtMeta{username: sess.username, status: in.Status.Value}) {
		sess.sendError(env.Cid, rtapi.Error_RUNTIME_EXCEPTION, "Error tracking status update")
		return
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

func (s *Server) rtFollowLocked(sessionID string, userIDs []string) {
	rt := &s.realtime
	for _, id := range userIDs {
		f := rt.follows[sessionID]
		if f == nil {
			f = make(map[string]struct{})
			rt.follows[sessionID] = f
		}
		f[id] = struct{}{}
		g := rt.followers[id]
		if g == nil {
			g = make(map[string]struct{})
			rt.followers[id] = g
		}
		g[sessionID] = struct{}{}
	}
}

func (s *Server) rtUnfollowAllLocked(sessionID string) {
	rt := &s.realtime
	for id := range rt.follows[sessionID] {
		if g := rt.followers[id]; g != nil {
			delete(g, sessionID)
			if len(g) == 0 {
				delete(rt.followers, id)
			}
		}
	}
	delete(rt.follows, sessionID)
}

// rtStatusEventLocked records who is online and tells the user's followers
// of a status change.
func (s *Server) rtStatusEventLocked(userID string, joins, leaves []*rtapi.UserPresence) {
	rt := &s.realtime
	on := rt.online[userID]
	for _, p := range leaves {
		delete(on, p.SessionId)
	}
	for _, p := range joins {
		if on == nil {
			on = make(map[string]struct{})
			rt.online[userID] = on
		}
		on[p.SessionId] = struct{}{}
	}
	if len(on) == 0 {
		delete(rt.online, userID)
	}
	if u := s.st.users[userID]; u != nil {
		u.online = len(on) > 0
	}
	followers := rt.followers[userID]
	if len(followers) == 0 {
		return
	}
	sessions := make([]*rtSession, 0, len(followers))
	for id := range followers {
		if sess := rt.sessions[id]; sess != nil {
			sessions = append(sessions, sess)
		}
	}
	slices.SortFunc(sessions, func(a, b *rtSession) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	rtSendTo(sessions, &rtapi.Envelope{Message: &rtapi.Envelope_StatusPresenceEvent{StatusPresenceEvent: &rtapi.StatusPresenceEvent{
		Joins: joins, Leaves: leaves}}})
}
