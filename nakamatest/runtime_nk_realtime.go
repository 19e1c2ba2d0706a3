package nakamatest

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The runtime.NakamaModule methods over the realtime area: matches,
// streams, sessions, status, channels and notifications.

// MatchCreate starts an authoritative match of a handler RegisterMatch
// registered.
func (nk *moduleNK) MatchCreate(ctx context.Context, module string, params map[string]any) (string, error) {
	return nk.s.CreateMatch(module, params)
}

// MatchGet returns a running match, or nil when there is none.
func (nk *moduleNK) MatchGet(ctx context.Context, id string) (*api.Match, error) {
	if _, _, ok := splitNodeID(id); !ok {
		return nil, runtime.ErrMatchIdInvalid
	}
	for _, m := range nk.s.Matches() {
		if m.MatchId == id {
			return m, nil
		}
	}
	return nil, nil
}

// MatchList lists matches as ListMatches does; an empty query means none.
func (nk *moduleNK) MatchList(ctx context.Context, limit int, authoritative bool, label string, minSize, maxSize *int, query string) ([]*api.Match, error) {
	req := &api.ListMatchesRequest{Limit: wrapperspb.Int32(int32(limit)), Authoritative: wrapperspb.Bool(authoritative)}
	if label != "" {
		req.Label = wrapperspb.String(label)
	}
	if query != "" {
		req.Query = wrapperspb.String(query)
	}
	if minSize != nil {
		req.MinSize = wrapperspb.Int32(int32(*minSize))
	}
	if maxSize != nil {
		req.MaxSize = wrapperspb.Int32(int32(*maxSize))
	}
	l, err := opAs[*api.MatchList](ctx, nk, "ListMatches", "", req)
	if err != nil {
		return nil, err
	}
	return l.Matches, nil
}

// MatchSignal sends data to a match's MatchSignal and returns its answer.
func (nk *moduleNK) MatchSignal(ctx context.Context, id string, data string) (string, error) {
	return nk.s.SignalMatch(id, data)
}

// Streams.

func stream(mode uint8, subject, subcontext, label string) (rtStream, error) {
	st := rtStream{mode: mode, subject: systemUserID, subcontext: systemUserID, label: label}
	if subject != "" {
		id, ok := parseUUID(subject)
		if !ok {
			return st, errors.New("stream subject must be a valid identifier")
		}
		st.subject = id
	}
	if subcontext != "" {
		id, ok := parseUUID(subcontext)
		if !ok {
			return st, errors.New("stream subcontext must be a valid identifier")
		}
		st.subcontext = id
	}
	return st, nil
}

// wire is the stream as the server sends it: an absent subject or
// subcontext (the nil UUID) is left out.
func (st rtStream) wire() *rtapi.Stream {
	sw := &rtapi.Stream{Mode: int32(st.mode), Label: st.label}
	if st.subject != systemUserID {
		sw.Subject = st.subject
	}
	if st.subcontext != systemUserID {
		sw.Subcontext = st.subcontext
	}
	return sw
}

// rtPresence implements runtime.Presence for the stream functions.
func (p *rtPresence) GetUserId() string                 { return p.sess.userID }
func (p *rtPresence) GetSessionId() string              { return p.sess.id }
func (p *rtPresence) GetNodeId() string                 { return matchNode }
func (p *rtPresence) GetHidden() bool                   { return p.meta.hidden }
func (p *rtPresence) GetPersistence() bool              { return p.meta.persistence }
func (p *rtPresence) GetUsername() string               { return p.meta.username }
func (p *rtPresence) GetStatus() string                 { return p.meta.status }
func (p *rtPresence) GetReason() runtime.PresenceReason { return p.reason }

// StreamUserList returns the presences on a stream.
func (nk *moduleNK) StreamUserList(mode uint8, subject, subcontext, label string, includeHidden, includeNotHidden bool) ([]runtime.Presence, error) {
	st, err := stream(mode, subject, subcontext, label)
	if err != nil {
		return nil, err
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	var out []runtime.Presence
	for _, p := range nk.s.rtPresencesLocked(st, includeHidden, includeNotHidden) {
		out = append(out, p)
	}
	return out, nil
}

// sessionLocked finds a live session of userID.
func (nk *moduleNK) sessionLocked(userID, sessionID string) (*rtSession, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, errors.New("expects valid user id")
	}
	sid, ok := parseUUID(sessionID)
	if !ok {
		return nil, errors.New("expects valid session id")
	}
	sess := nk.s.realtime.sessions[sid]
	if sess == nil || sess.userID != uid {
		return nil, errors.New("session not found") // the server's stream manager's text
	}
	return sess, nil
}

// StreamUserGet returns a session's presence on a stream, or nil.
func (nk *moduleNK) StreamUserGet(mode uint8, subject, subcontext, label, userID, sessionID string) (runtime.PresenceMeta, error) {
	st, err := stream(mode, subject, subcontext, label)
	if err != nil {
		return nil, err
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	if p := nk.s.rtPresenceLocked(sessionID, st); p != nil && p.sess.userID == strings.ToLower(userID) {
		return p, nil
	}
	return nil, nil
}

// onStream runs fn, with the server locked, for the session's presence
// on a stream; presence events it causes go out once it returns.
func (nk *moduleNK) onStream(mode uint8, subject, subcontext, label, userID, sessionID string, fn func(sess *rtSession, st rtStream) error) error {
	st, err := stream(mode, subject, subcontext, label)
	if err != nil {
		return err
	}
	nk.s.mu.Lock()
	defer nk.s.rtUnlock()
	sess, err := nk.sessionLocked(userID, sessionID)
	if err != nil {
		return err
	}
	return fn(sess, st)
}

// StreamUserJoin puts a session on a stream; the stream's members get a
// StreamPresenceEvent unless the presence is hidden. It reports whether
// the presence is new.
func (nk *moduleNK) StreamUserJoin(mode uint8, subject, subcontext, label, userID, sessionID string, hidden, persistence bool, status string) (bool, error) {
	var added bool
	err := nk.onStream(mode, subject, subcontext, label, userID, sessionID, func(sess *rtSession, st rtStream) error {
		ok, isNew := nk.s.rtTrackLocked(sess, st, rtMeta{hidden: hidden, persistence: persistence, username: sess.username, status: status})
		if !ok {
			return errors.New("tracker rejected new presence, session is closing")
		}
		added = isNew
		return nil
	})
	return added, err
}

// StreamUserUpdate changes a session's presence on a stream.
func (nk *moduleNK) StreamUserUpdate(mode uint8, subject, subcontext, label, userID, sessionID string, hidden, persistence bool, status string) error {
	return nk.onStream(mode, subject, subcontext, label, userID, sessionID, func(sess *rtSession, st rtStream) error {
		if !nk.s.rtUpdateLocked(sess, st, rtMeta{hidden: hidden, persistence: persistence, username: sess.username, status: status}) {
			return errors.New("tracker rejected the update")
		}
		return nil
	})
}

// StreamUserLeave takes a session off a stream.
func (nk *moduleNK) StreamUserLeave(mode uint8, subject, subcontext, label, userID, sessionID string) error {
	return nk.onStream(mode, subject, subcontext, label, userID, sessionID, func(sess *rtSession, st rtStream) error {
		nk.s.rtUntrackLocked(sess, st, runtime.PresenceReasonLeave)
		return nil
	})
}

// StreamUserKick takes a presence off a stream.
func (nk *moduleNK) StreamUserKick(mode uint8, subject, subcontext, label string, presence runtime.Presence) error {
	if presence == nil {
		return errors.New("expects a presence")
	}
	return nk.StreamUserLeave(mode, subject, subcontext, label, presence.GetUserId(), presence.GetSessionId())
}

// StreamCount returns the number of presences on a stream.
func (nk *moduleNK) StreamCount(mode uint8, subject, subcontext, label string) (int, error) {
	ps, err := nk.StreamUserList(mode, subject, subcontext, label, true, true)
	return len(ps), err
}

// StreamClose takes every presence off a stream.
func (nk *moduleNK) StreamClose(mode uint8, subject, subcontext, label string) error {
	st, err := stream(mode, subject, subcontext, label)
	if err != nil {
		return err
	}
	nk.s.mu.Lock()
	defer nk.s.rtUnlock()
	nk.s.rtUntrackStreamLocked(st)
	return nil
}

// StreamSend sends data as StreamData, without a sender, to the stream's
// presences, or to the listed presences whether they are on it or not.
func (nk *moduleNK) StreamSend(mode uint8, subject, subcontext, label, data string, presences []runtime.Presence, reliable bool) error {
	st, err := stream(mode, subject, subcontext, label)
	if err != nil {
		return err
	}
	env := &rtapi.Envelope{Message: &rtapi.Envelope_StreamData{StreamData: &rtapi.StreamData{Stream: st.wire(), Data: data, Reliable: reliable}}}
	return nk.streamSend(st, env, presences)
}

// StreamSendRaw sends an envelope to the stream's presences.
func (nk *moduleNK) StreamSendRaw(mode uint8, subject, subcontext, label string, msg *rtapi.Envelope, presences []runtime.Presence, reliable bool) error {
	if msg == nil {
		return errors.New("expects a valid message")
	}
	st, err := stream(mode, subject, subcontext, label)
	if err != nil {
		return err
	}
	return nk.streamSend(st, proto.Clone(msg).(*rtapi.Envelope), presences)
}

// streamSend sends env to the stream's presences, or, as the server does,
// straight to the listed presences' sessions, on the stream or not.
func (nk *moduleNK) streamSend(st rtStream, env *rtapi.Envelope, presences []runtime.Presence) error {
	for _, p := range presences {
		if p == nil {
			return errors.New("expects each presence to be set")
		}
		if _, ok := parseUUID(p.GetSessionId()); !ok {
			return errors.New("expects each presence session id to be a valid identifier")
		}
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	if len(presences) == 0 {
		nk.s.rtSendToStreamLocked(st, env)
		return nil
	}
	var to []*rtSession
	for _, p := range presences {
		if sess := nk.s.realtime.sessions[strings.ToLower(p.GetSessionId())]; sess != nil {
			to = append(to, sess)
		}
	}
	rtSendTo(to, env)
	return nil
}

// Sessions and status.

// SessionDisconnect closes a socket session. It does not wait for the
// session to end, so a function running on that session may call it.
// An unknown session is no error, as on the server.
func (nk *moduleNK) SessionDisconnect(ctx context.Context, sessionID string, reason ...runtime.PresenceReason) error {
	sid, ok := parseUUID(sessionID)
	if !ok {
		return errors.New("expects valid session id")
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	if sess := nk.s.realtime.sessions[sid]; sess != nil {
		sess.initClose("server-side session disconnect", false, false)
	}
	return nil
}

// SessionLogout revokes the user's tokens: the given ones, or all.
func (nk *moduleNK) SessionLogout(userID, token, refreshToken string) error {
	if token == "" && refreshToken == "" {
		return nk.s.RevokeSessions(userID)
	}
	_, err := opAs[*emptyMsg](context.Background(), nk, "SessionLogout", userID,
		&api.SessionLogoutRequest{Token: token, RefreshToken: refreshToken})
	return err
}

// StatusFollow makes a session follow users' status.
func (nk *moduleNK) StatusFollow(sessionID string, userIDs []string) error {
	return nk.status(sessionID, userIDs, nk.s.rtFollowLocked)
}

// StatusUnfollow stops a session following users' status.
func (nk *moduleNK) StatusUnfollow(sessionID string, userIDs []string) error {
	return nk.status(sessionID, userIDs, nk.s.rtUnfollowLocked)
}

func (nk *moduleNK) status(sessionID string, userIDs []string, apply func(string, []string)) error {
	ids := make([]string, 0, len(userIDs))
	for _, u := range userIDs {
		id, ok := parseUUID(u)
		if !ok {
			return errors.New("expects a valid user ID")
		}
		ids = append(ids, id)
	}
	nk.s.mu.Lock()
	defer nk.s.mu.Unlock()
	if nk.s.realtime.sessions[sessionID] == nil {
		return errors.New("session not found")
	}
	apply(sessionID, ids)
	return nil
}

// Channels and notifications.

// ChannelIdBuild returns the id of a room, group or direct channel.
func (nk *moduleNK) ChannelIdBuild(ctx context.Context, sender string, target string, chanType runtime.ChannelType) (string, error) {
	switch chanType {
	case runtime.Room:
		if target == "" || len(target) > 64 {
			return "", runtime.ErrInvalidChannelTarget
		}
		return rtStream{mode: streamModeRoom, subject: systemUserID, subcontext: systemUserID, label: target}.id(), nil
	case runtime.Group:
		id, ok := parseUUID(target)
		if !ok {
			return "", runtime.ErrInvalidChannelTarget
		}
		return rtStream{mode: streamModeGroup, subject: id, subcontext: systemUserID}.id(), nil
	case runtime.DirectMessage:
		a, ok1 := parseUUID(sender)
		b, ok2 := parseUUID(target)
		if !ok1 || !ok2 || a == b {
			return "", runtime.ErrInvalidChannelTarget
		}
		if a > b {
			a, b = b, a
		}
		return rtStream{mode: streamModeDM, subject: a, subcontext: b}.id(), nil
	}
	return "", runtime.ErrInvalidChannelType
}

// ChannelMessageSend sends a message to a channel's members, storing it
// when persist is true.
func (nk *moduleNK) ChannelMessageSend(ctx context.Context, channelID string, content map[string]any, senderId, senderUsername string, persist bool) (*rtapi.ChannelMessageAck, error) {
	cs, ok := parseChannelID(channelID)
	if !ok {
		return nil, runtime.ErrChannelIDInvalid
	}
	body, err := jsonString(content)
	if err != nil {
		return nil, err
	}
	sender := systemUserID
	if senderId != "" {
		id, ok := parseUUID(senderId)
		if !ok {
			return nil, errors.New("expects sender id to be a valid identifier")
		}
		sender = id
	}
	s := nk.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	msg := &api.ChannelMessage{ChannelId: channelID, MessageId: s.rand.uuid(), Code: wrapperspb.Int32(0), SenderId: sender,
		Username: senderUsername, Content: body, Persistent: wrapperspb.Bool(persist)}
	if persist {
		msg = s.persistChannelMessageLocked(cs, msg).apiMessage(cs, channelID)
	} else {
		msg.CreateTime, msg.UpdateTime = timestamp(now), timestamp(now)
		msg.RoomName, msg.GroupId, msg.UserIdOne, msg.UserIdTwo = cs.targets()
	}
	s.rtSendToStreamLocked(cs, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessage{ChannelMessage: msg}})
	ack := &rtapi.ChannelMessageAck{ChannelId: channelID, MessageId: msg.MessageId, Code: msg.Code, Username: senderUsername,
		CreateTime: msg.CreateTime, UpdateTime: msg.UpdateTime, Persistent: msg.Persistent}
	ack.RoomName, ack.GroupId, ack.UserIdOne, ack.UserIdTwo = cs.targets()
	return ack, nil
}

// ChannelMessagesList lists a channel's stored messages.
func (nk *moduleNK) ChannelMessagesList(ctx context.Context, channelId string, limit int, forward bool, cursor string) ([]*api.ChannelMessage, string, string, error) {
	l, err := opAs[*api.ChannelMessageList](ctx, nk, "ListChannelMessages", "", &api.ListChannelMessagesRequest{
		ChannelId: channelId, Limit: wrapperspb.Int32(int32(limit)), Forward: wrapperspb.Bool(forward), Cursor: cursor})
	if err != nil {
		return nil, "", "", err
	}
	return l.Messages, l.NextCursor, l.PrevCursor, nil
}

// NotificationSend sends one notification, delivered at once to the
// user's sockets and stored when persistent.
func (nk *moduleNK) NotificationSend(ctx context.Context, userID, subject string, content map[string]any, code int, sender string, persistent bool) error {
	body, err := jsonString(content)
	if err != nil {
		return err
	}
	return nk.s.SendNotification(Notification{UserID: userID, Subject: subject, Content: body, Code: code, SenderID: sender, Persistent: persistent})
}

// NotificationsSend sends several notifications.
func (nk *moduleNK) NotificationsSend(ctx context.Context, notifications []*runtime.NotificationSend) error {
	for _, n := range notifications {
		if n == nil {
			return errors.New("expects notification to be set")
		}
		if err := nk.NotificationSend(ctx, n.UserID, n.Subject, n.Content, n.Code, n.Sender, n.Persistent); err != nil {
			return err
		}
	}
	return nil
}

// NotificationSendAll sends a notification to every user.
func (nk *moduleNK) NotificationSendAll(ctx context.Context, subject string, content map[string]any, code int, persistent bool) error {
	for _, u := range nk.s.Users() {
		if err := nk.NotificationSend(ctx, u.Id, subject, content, code, "", persistent); err != nil {
			return err
		}
	}
	return nil
}

// NotificationsList lists a user's stored notifications.
func (nk *moduleNK) NotificationsList(ctx context.Context, userID string, limit int, cursor string) ([]*api.Notification, string, error) {
	l, err := opAs[*api.NotificationList](ctx, nk, "ListNotifications", userID, &api.ListNotificationsRequest{
		Limit: wrapperspb.Int32(int32(limit)), CacheableCursor: cursor})
	if err != nil {
		return nil, "", err
	}
	return l.Notifications, l.CacheableCursor, nil
}

// NotificationsDelete deletes notifications of their users.
func (nk *moduleNK) NotificationsDelete(ctx context.Context, notifications []*runtime.NotificationDelete) error {
	for _, n := range notifications {
		if n == nil {
			return errors.New("expects notification to be set")
		}
		if _, ok := parseUUID(n.UserID); !ok {
			return errors.New("expects userID to be a valid UUID")
		}
		if _, ok := parseUUID(n.NotificationID); !ok {
			return errors.New("expects notificationID to be a valid UUID")
		}
		if err := nk.NotificationsDeleteId(ctx, n.UserID, []string{n.NotificationID}); err != nil {
			return err
		}
	}
	return nil
}

// NotificationsDeleteId deletes notifications of a user.
func (nk *moduleNK) NotificationsDeleteId(ctx context.Context, userID string, ids []string) error {
	_, err := opAs[*emptyMsg](ctx, nk, "DeleteNotifications", userID, &api.DeleteNotificationsRequest{Ids: ids})
	return err
}

// PartyList lists parties as ListParties does.
func (nk *moduleNK) PartyList(ctx context.Context, limit int, open *bool, showHidden bool, query, cursor string) ([]*api.Party, string, error) {
	req := &api.ListPartiesRequest{Limit: wrapperspb.Int32(int32(limit))}
	if cursor != "" {
		req.Cursor = wrapperspb.String(cursor)
	}
	if open != nil {
		req.Open = wrapperspb.Bool(*open)
	}
	if query != "" {
		req.Query = wrapperspb.String(query)
	}
	l, err := opAs[*api.PartyList](ctx, nk, "ListParties", "", req)
	if err != nil {
		return nil, "", err
	}
	return l.Parties, l.Cursor, nil
}

type emptyMsg = emptypb.Empty

func timestamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
