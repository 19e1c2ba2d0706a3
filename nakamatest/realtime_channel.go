package nakamatest

import (
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
	"github.com/heroiclabs/nakama-common/runtime"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Chat over the socket: joining a room, group or direct channel tracks a
// presence on its stream; messages go to every session on the stream and,
// unless the sender joined with persistence off, into the history that
// ListChannelMessages pages through (channels.go).

// The codes of chat messages the socket sends.
const (
	channelMessageChat       int32 = 0
	channelMessageChatUpdate int32 = 1
	channelMessageChatRemove int32 = 2
)

// notificationCodeDMRequest is the code of the notification a user gets
// when someone opens a direct chat with them.
const notificationCodeDMRequest int32 = -1

// The server's messages for a bad join target; each ends with the text of
// runtime.ErrInvalidChannelTarget.
const (
	msgInvalidChannelTarget = "Invalid channel target"
	msgInvalidChannelType   = "Invalid channel type"
)

var controlChars = regexp.MustCompile(`[[:cntrl:]]+`)

// rtChannelTarget resolves a join request to a stream, with the server's
// validation. A non-empty code means the join fails with that code and msg.
func (s *Server) rtChannelTargetLocked(userID, target string, typ rtapi.ChannelJoin_Type) (rtStream, rtapi.Error_Code, string) {
	bad := func(msg string) (rtStream, rtapi.Error_Code, string) {
		return rtStream{}, rtapi.Error_BAD_INPUT, msg
	}
	if target == "" {
		return bad(msgInvalidChannelTarget)
	}
	stream := rtStream{mode: streamModeRoom, subject: systemUserID, subcontext: systemUserID}
	switch typ {
	case rtapi.ChannelJoin_TYPE_UNSPECIFIED, rtapi.ChannelJoin_ROOM:
		if len(target) > 64 {
			return bad("Channel name is required and must be 1-64 chars: " + msgInvalidChannelTarget)
		}
		if controlChars.MatchString(target) {
			return bad("Channel name must not contain control chars: " + msgInvalidChannelTarget)
		}
		if !utf8.ValidString(target) {
			return bad("Channel name must only contain valid UTF-8 bytes: " + msgInvalidChannelTarget)
		}
		stream.label = target
	case rtapi.ChannelJoin_DIRECT_MESSAGE:
		other, ok := parseUUID(target)
		if !ok || other == systemUserID {
			return bad("Invalid user ID in direct message join: " + msgInvalidChannelTarget)
		}
		// The other user must exist and must not have blocked the joiner.
		if s.st.users[other] == nil || s.friendBlockedLocked(other, userID) {
			return bad("User ID not found: " + msgInvalidChannelTarget)
		}
		stream.mode = streamModeDM
		if other > userID {
			stream.subject, stream.subcontext = userID, other
		} else {
			stream.subject, stream.subcontext = other, userID
		}
	case rtapi.ChannelJoin_GROUP:
		gid, ok := parseUUID(target)
		if !ok {
			return bad("Invalid group ID in group channel join: " + msgInvalidChannelTarget)
		}
		if !s.groupMemberLocked(gid, userID) {
			return bad("Group not found: " + msgInvalidChannelTarget)
		}
		stream.mode, stream.subject = streamModeGroup, gid
	default:
		return bad(msgInvalidChannelType)
	}
	return stream, 0, ""
}

// friendBlockedLocked reports whether user has blocked other.
func (s *Server) friendBlockedLocked(user, other string) bool {
	e := s.friends.edge(user, other)
	return e != nil && e.state == friendBlocked
}

// groupMemberLocked reports whether a user may chat in a group's channel:
// a member, admin or superadmin, not a pending request.
func (s *Server) groupMemberLocked(groupID, userID string) bool {
	return s.channels.groupMember != nil && s.channels.groupMember(groupID, userID)
}

func (s *Server) rtChannelJoin(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetChannelJoin()
	s.mu.Lock()
	defer s.rtUnlock()
	stream, code, msg := s.rtChannelTargetLocked(sess.userID, in.Target, rtapi.ChannelJoin_Type(in.Type))
	if code != 0 {
		sess.sendError(env.Cid, code, msg)
		return
	}
	meta := rtMeta{
		hidden:      in.Hidden != nil && in.Hidden.Value,
		persistence: in.Persistence == nil || in.Persistence.Value,
		username:    sess.username,
	}
	ok, isNew := s.rtTrackLocked(sess, stream, meta)
	if !ok {
		sess.sendError(env.Cid, rtapi.Error_RUNTIME_EXCEPTION, "Error joining channel")
		return
	}
	visible := s.rtPresencesLocked(stream, false, true)

	// A new direct chat tells the other user, unless they are already in
	// it, with a persistent notification.
	if isNew && stream.mode == streamModeDM {
		other := stream.subject
		if other == sess.userID {
			other = stream.subcontext
		}
		present := false
		for _, p := range visible {
			if p.sess.userID == other {
				present = true
				break
			}
		}
		if !present {
			content, _ := json.Marshal(map[string]string{"username": sess.username})
			s.notifyLocked(other, &api.Notification{
				Id:         s.rand.uuid(),
				Subject:    sess.username + " wants to chat",
				Content:    string(content),
				SenderId:   sess.userID,
				Code:       notificationCodeDMRequest,
				Persistent: true,
				CreateTime: &timestamppb.Timestamp{Seconds: s.clock.now().Unix()},
			})
		}
	}

	ch := &rtapi.Channel{Id: stream.id(), Presences: []*rtapi.UserPresence{},
		Self: &rtapi.UserPresence{UserId: sess.userID, SessionId: sess.id, Username: meta.username, Persistence: meta.persistence}}
	for _, p := range visible {
		if isNew && p.sess == sess {
			continue // a new member is not among those already there
		}
		ch.Presences = append(ch.Presences, p.userPresence())
	}
	switch stream.mode {
	case streamModeRoom:
		ch.RoomName = stream.label
	case streamModeGroup:
		ch.GroupId = stream.subject
	case streamModeDM:
		ch.UserIdOne, ch.UserIdTwo = stream.subject, stream.subcontext
	}
	sess.send(&rtapi.Envelope{Cid: env.Cid, Message: &rtapi.Envelope_Channel{Channel: ch}})
}

// rtChannelStream parses a channel id, answering the request's error
// itself when it is malformed.
func rtChannelStream(sess *rtSession, cid, channelID string) (rtStream, bool) {
	stream, ok := parseChannelID(channelID)
	if !ok {
		sess.sendError(cid, rtapi.Error_BAD_INPUT, "Invalid channel identifier")
	}
	return stream, ok
}

func (s *Server) rtChannelLeave(sess *rtSession, env *rtapi.Envelope) {
	stream, ok := rtChannelStream(sess, env.Cid, env.GetChannelLeave().ChannelId)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	s.rtUntrackLocked(sess, stream, runtime.PresenceReasonLeave)
	sess.send(&rtapi.Envelope{Cid: env.Cid})
}

// validContentObject is the server's test of message content: valid JSON
// whose first non-space character opens an object.
func validContentObject(content string) bool {
	b := []byte(content)
	return json.Valid(b) && firstNonSpace(b) == '{'
}

// rtChatMessage builds the broadcast message and its receipt, which share
// their timestamps as they share them on the server.
func rtChatMessage(stream rtStream, channelID, messageID string, code int32, sess *rtSession, content string,
	createTime, updateTime *timestamppb.Timestamp, persist bool) (*api.ChannelMessage, *rtapi.ChannelMessageAck) {
	codeValue := wrapperspb.Int32(code)
	persistent := wrapperspb.Bool(persist)
	msg := &api.ChannelMessage{ChannelId: channelID, MessageId: messageID, Code: codeValue, SenderId: sess.userID,
		Username: sess.username, Content: content, CreateTime: createTime, UpdateTime: updateTime, Persistent: persistent}
	ack := &rtapi.ChannelMessageAck{ChannelId: channelID, MessageId: messageID, Code: codeValue, Username: sess.username,
		CreateTime: createTime, UpdateTime: updateTime, Persistent: persistent}
	msg.RoomName, msg.GroupId, msg.UserIdOne, msg.UserIdTwo = stream.targets()
	ack.RoomName, ack.GroupId, ack.UserIdOne, ack.UserIdTwo = stream.targets()
	return msg, ack
}

// rtDeliverChatLocked sends a message to the channel (the sender included)
// and then its receipt to the sender, in that order.
func (s *Server) rtDeliverChatLocked(sess *rtSession, cid string, stream rtStream, msg *api.ChannelMessage, ack *rtapi.ChannelMessageAck) {
	s.rtSendToStreamLocked(stream, &rtapi.Envelope{Message: &rtapi.Envelope_ChannelMessage{ChannelMessage: msg}})
	sess.send(&rtapi.Envelope{Cid: cid, Message: &rtapi.Envelope_ChannelMessageAck{ChannelMessageAck: ack}})
}

func (s *Server) rtChannelMessageSend(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetChannelMessageSend()
	stream, ok := rtChannelStream(sess, env.Cid, in.ChannelId)
	if !ok {
		return
	}
	if !validContentObject(in.Content) {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Message content must be a valid JSON object")
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	p := s.rtPresenceLocked(sess.id, stream)
	if p == nil {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Must join channel before sending messages")
		return
	}
	now := s.clock.now().UTC()
	ts := timestamppb.New(now)
	msg, ack := rtChatMessage(stream, in.ChannelId, s.rand.uuid(), channelMessageChat, sess, in.Content, ts, ts, p.meta.persistence)
	if p.meta.persistence {
		if _, err := pgJSONB(in.Content); err != nil {
			sess.sendError(env.Cid, rtapi.Error_RUNTIME_EXCEPTION, "Could not persist message to channel history")
			return
		}
		row := s.persistChannelMessageLocked(stream, msg)
		// The history holds the message's own time, at the database's
		// precision.
		row.createTime, row.updateTime = dbMicros(now), dbMicros(now)
	}
	s.rtDeliverChatLocked(sess, env.Cid, stream, msg, ack)
}

func (s *Server) rtChannelMessageUpdate(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetChannelMessageUpdate()
	messageID, ok := parseUUID(in.MessageId)
	if !ok {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid message identifier")
		return
	}
	stream, ok := rtChannelStream(sess, env.Cid, in.ChannelId)
	if !ok {
		return
	}
	if !validContentObject(in.Content) {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Message content must be a valid JSON object")
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	p := s.rtPresenceLocked(sess.id, stream)
	if p == nil {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Must join channel before updating messages")
		return
	}
	now := s.clock.now().UTC()
	createTime, updateTime := timestamppb.New(now), timestamppb.New(now)
	if p.meta.persistence {
		// The stored message is found by id and sender alone, whatever
		// channel the update names.
		row, err := s.updateChannelMessageLocked(messageID, sess.userID, sess.username, in.Content)
		if err != nil {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Could not find message to update in channel history")
			return
		}
		row.updateTime = dbMicros(now)
		createTime = timestamppb.New(row.createTime)
	}
	msg, ack := rtChatMessage(stream, in.ChannelId, in.MessageId, channelMessageChatUpdate, sess, in.Content, createTime, updateTime, p.meta.persistence)
	s.rtDeliverChatLocked(sess, env.Cid, stream, msg, ack)
}

func (s *Server) rtChannelMessageRemove(sess *rtSession, env *rtapi.Envelope) {
	in := env.GetChannelMessageRemove()
	messageID, ok := parseUUID(in.MessageId)
	if !ok {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Invalid message identifier")
		return
	}
	stream, ok := rtChannelStream(sess, env.Cid, in.ChannelId)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.rtUnlock()
	p := s.rtPresenceLocked(sess.id, stream)
	if p == nil {
		sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Must join channel before removing messages")
		return
	}
	now := s.clock.now().UTC()
	createTime, updateTime := timestamppb.New(now), timestamppb.New(now)
	if p.meta.persistence {
		row, err := s.removeChannelMessageLocked(messageID, sess.userID)
		if err != nil {
			sess.sendError(env.Cid, rtapi.Error_BAD_INPUT, "Could not find message to remove in channel history")
			return
		}
		createTime, updateTime = timestamppb.New(row.createTime), timestamppb.New(row.updateTime)
	}
	msg, ack := rtChatMessage(stream, in.ChannelId, in.MessageId, channelMessageChatRemove, sess, "{}", createTime, updateTime, p.meta.persistence)
	s.rtDeliverChatLocked(sess, env.Cid, stream, msg, ack)
}
