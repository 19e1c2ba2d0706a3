package nakamatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The stream modes of chat channels, which lead their channel ids.
const (
	streamModeRoom  uint8 = 2
	streamModeGroup uint8 = 3
	streamModeDM    uint8 = 4
)

// channelStream identifies a chat channel as the server's presence stream
// does. Subject and subcontext are canonical UUIDs, the nil UUID when
// absent; only rooms have a label.
type channelStream struct {
	mode       uint8
	subject    string
	subcontext string
	label      string
}

// parseChannelID reads a channel id, "<mode>.<subject>.<subcontext>.<label>",
// with the server's rules: a room (2) has only a label of 1 to 64 bytes, a
// group (3) only a subject, a direct chat (4) no label.
func parseChannelID(id string) (channelStream, bool) {
	parts := strings.SplitN(id, ".", 4)
	if len(parts) != 4 {
		return channelStream{}, false
	}
	cs := channelStream{subject: systemUserID, subcontext: systemUserID}
	uuidOrNil := func(s string, dst *string) bool {
		if s == "" {
			return true
		}
		u, ok := parseUUID(s)
		*dst = u
		return ok
	}
	switch parts[0] {
	case "2":
		if parts[1] != "" || parts[2] != "" || len(parts[3]) < 1 || len(parts[3]) > 64 {
			return channelStream{}, false
		}
		cs.mode, cs.label = streamModeRoom, parts[3]
	case "3":
		if parts[2] != "" || parts[3] != "" || !uuidOrNil(parts[1], &cs.subject) {
			return channelStream{}, false
		}
		cs.mode = streamModeGroup
	case "4":
		if parts[3] != "" || !uuidOrNil(parts[1], &cs.subject) || !uuidOrNil(parts[2], &cs.subcontext) {
			return channelStream{}, false
		}
		cs.mode = streamModeDM
	default:
		return channelStream{}, false
	}
	return cs, true
}

// id returns the channel's canonical id, as the server builds it when a
// user joins: the nil UUID is left out.
func (cs channelStream) id() string {
	part := func(u string) string {
		if u == systemUserID {
			return ""
		}
		return u
	}
	return strconv.Itoa(int(cs.mode)) + "." + part(cs.subject) + "." + part(cs.subcontext) + "." + cs.label
}

// storedMessage is one row of the message table.
type storedMessage struct {
	seq        int64
	id         string
	code       int32
	senderID   string
	username   string
	content    string // as the database returns it
	createTime time.Time
	updateTime time.Time
}

// channelState holds the persisted chat history of every channel.
type channelState struct {
	seq     int64
	streams map[channelStream][]*storedMessage

	// groupMember reports whether a user is a member of a group (state
	// superadmin, admin or member; not a join request), which reading a
	// group channel's history requires. The groups area sets it; until it
	// does, no one belongs to any group. It runs with s.mu held.
	groupMember func(groupID, userID string) bool
}

func (s *Server) registerChannels() {
	s.channels.streams = make(map[channelStream][]*storedMessage)
	s.st.userDeleted = append(s.st.userDeleted, func(userID string) {
		for cs, msgs := range s.channels.streams {
			msgs = slices.DeleteFunc(msgs, func(m *storedMessage) bool { return m.senderID == userID })
			if len(msgs) == 0 {
				delete(s.channels.streams, cs)
			} else {
				s.channels.streams[cs] = msgs
			}
		}
	})
	handle(s, "ListChannelMessages", s.listChannelMessages)
}

// apiMessage returns a stored message as listings show it, under the
// channel id the caller used.
func (m *storedMessage) apiMessage(cs channelStream, channelID string) *api.ChannelMessage {
	out := &api.ChannelMessage{
		ChannelId:  channelID,
		MessageId:  m.id,
		Code:       wrapperspb.Int32(m.code),
		SenderId:   m.senderID,
		Username:   m.username,
		Content:    m.content,
		CreateTime: timestamppb.New(m.createTime),
		UpdateTime: timestamppb.New(m.updateTime),
		Persistent: wrapperspb.Bool(true),
	}
	out.RoomName, out.GroupId, out.UserIdOne, out.UserIdTwo = cs.targets()
	return out
}

// targets returns what messages and receipts of the channel name it by:
// a room's name, a group's id, or a direct chat's two users.
func (cs channelStream) targets() (room, group, one, two string) {
	switch cs.mode {
	case streamModeRoom:
		return cs.label, "", "", ""
	case streamModeGroup:
		return "", cs.subject, "", ""
	case streamModeDM:
		return "", "", cs.subject, cs.subcontext
	}
	return "", "", "", ""
}

// persistChannelMessageLocked stores a chat message sent on a channel, as a
// persistent send does. Its id, code, sender, username and content are
// taken from m and its create time is now, at the database's precision;
// the stored row is returned. s.mu is held.
func (s *Server) persistChannelMessageLocked(cs channelStream, m *api.ChannelMessage) *storedMessage {
	content, err := pgJSONB(m.Content)
	if err != nil {
		content = "{}"
	}
	now := dbMicros(s.clock.now())
	s.channels.seq++
	row := &storedMessage{seq: s.channels.seq, id: m.MessageId, code: m.GetCode().GetValue(), senderID: m.SenderId,
		username: m.Username, content: content, createTime: now, updateTime: now}
	msgs := append(s.channels.streams[cs], row)
	slices.SortStableFunc(msgs, func(a, b *storedMessage) int { return a.createTime.Compare(b.createTime) })
	s.channels.streams[cs] = msgs
	return row
}

// errChannelMessageNotFound is what updating or removing a message that
// the sender does not have answers.
var errChannelMessageNotFound = errors.New("channel message not found")

// updateChannelMessageLocked replaces the content and username of a stored
// message sent by senderID, as a persistent update does, and returns the
// row. The server matches the message by id and sender only. s.mu is held.
func (s *Server) updateChannelMessageLocked(messageID, senderID, username, content string) (*storedMessage, error) {
	row := s.findChannelMessage(messageID, senderID)
	if row == nil {
		return nil, errChannelMessageNotFound
	}
	if c, err := pgJSONB(content); err == nil {
		row.content = c
	}
	row.username = username
	row.updateTime = dbMicros(s.clock.now())
	return row, nil
}

// removeChannelMessageLocked deletes a stored message sent by senderID and
// returns it. s.mu is held.
func (s *Server) removeChannelMessageLocked(messageID, senderID string) (*storedMessage, error) {
	for cs, msgs := range s.channels.streams {
		for i, m := range msgs {
			if m.id == messageID && m.senderID == senderID {
				s.channels.streams[cs] = slices.Delete(msgs, i, i+1)
				return m, nil
			}
		}
	}
	return nil, errChannelMessageNotFound
}

func (s *Server) findChannelMessage(messageID, senderID string) *storedMessage {
	for _, msgs := range s.channels.streams {
		for _, m := range msgs {
			if m.id == messageID && m.senderID == senderID {
				return m
			}
		}
	}
	return nil
}

// channelCursor is where a history listing resumes: next to the message
// created at T (unix nanoseconds) with sequence Seq, in the given
// direction, for one channel only.
type channelCursor struct {
	Mode       uint8  `json:"m"`
	Subject    string `json:"s"`
	Subcontext string `json:"c"`
	Label      string `json:"l"`
	T          int64  `json:"t"`
	Seq        int64  `json:"q"`
	ID         string `json:"i"`
	Forward    bool   `json:"f"`
	IsNext     bool   `json:"n"`
}

func (c *channelCursor) encode() string {
	if c == nil {
		return ""
	}
	b, _ := json.Marshal(c)
	return base64.URLEncoding.EncodeToString(b)
}

func (s *Server) listChannelMessages(_ context.Context, c *call, req *api.ListChannelMessagesRequest) (*api.ChannelMessageList, error) {
	invalidID := newError(InvalidArgument, "Invalid channel ID.")
	if req.ChannelId == "" {
		return nil, invalidID
	}
	limit := 1
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, msgLimit100)
		}
		limit = int(req.Limit.Value)
	}
	forward := true
	if req.Forward != nil {
		forward = req.Forward.Value
	}
	cs, ok := parseChannelID(req.ChannelId)
	if !ok {
		return nil, invalidID
	}
	var in *channelCursor
	if req.Cursor != "" {
		badCursor := newError(InvalidArgument, "Cursor is invalid or expired.")
		b, err := base64.URLEncoding.DecodeString(req.Cursor)
		if err != nil {
			if b, err = base64.StdEncoding.DecodeString(req.Cursor); err != nil {
				return nil, badCursor
			}
		}
		in = &channelCursor{}
		if json.Unmarshal(b, in) != nil || in.Forward != forward || in.Mode != cs.mode ||
			in.Subject != cs.subject || in.Subcontext != cs.subcontext || in.Label != cs.label {
			return nil, badCursor
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The runtime (no caller) reads any channel.
	switch {
	case c.userID == "":
	case cs.mode == streamModeGroup:
		if s.channels.groupMember == nil || !s.channels.groupMember(cs.subject, c.userID) {
			return nil, newError(InvalidArgument, "Group not found.")
		}
	case cs.mode == streamModeDM:
		if cs.subject != c.userID && cs.subcontext != c.userID {
			return nil, newError(InvalidArgument, "Channel not found.")
		}
	}
	return s.listChannel(cs, req.ChannelId, limit, forward, in), nil
}

// listChannel pages through a channel's history as the server does, with
// next, previous and cacheable cursors. s.mu is held.
func (s *Server) listChannel(cs channelStream, channelID string, limit int, forward bool, in *channelCursor) *api.ChannelMessageList {
	all := s.channels.streams[cs] // oldest first
	cmp := func(m *storedMessage, t, seq int64) int {
		if mt := m.createTime.UnixNano(); mt != t {
			if mt < t {
				return -1
			}
			return 1
		}
		switch {
		case m.seq < seq:
			return -1
		case m.seq > seq:
			return 1
		}
		return 0
	}
	var rows []*storedMessage
	ascending := forward
	switch {
	case in == nil:
		rows = slices.Clone(all)
	case (forward && in.IsNext) || (!forward && !in.IsNext):
		ascending = true
		for _, m := range all {
			if cmp(m, in.T, in.Seq) > 0 {
				rows = append(rows, m)
			}
		}
	default:
		ascending = false
		for _, m := range all {
			if cmp(m, in.T, in.Seq) < 0 {
				rows = append(rows, m)
			}
		}
	}
	if !ascending {
		slices.Reverse(rows)
	}

	at := func(m *storedMessage, isNext bool) *channelCursor {
		return &channelCursor{Mode: cs.mode, Subject: cs.subject, Subcontext: cs.subcontext, Label: cs.label,
			T: m.createTime.UnixNano(), Seq: m.seq, ID: m.id, Forward: forward, IsNext: isNext}
	}
	var next, prev *channelCursor
	var page []*storedMessage
	for _, m := range rows {
		if len(page) >= limit {
			next = at(page[len(page)-1], true)
			break
		}
		page = append(page, m)
		if in != nil && prev == nil {
			prev = at(m, false)
		}
	}
	if in != nil && !in.IsNext {
		// A previous page: back to the normal order, cursors swapped.
		next, prev = prev, next
		if next != nil {
			next.IsNext = !next.IsNext
		}
		if prev != nil {
			prev.IsNext = !prev.IsNext
		}
		slices.Reverse(page)
	}

	var cacheable *channelCursor
	switch {
	case len(page) > 0:
		cacheable = at(page[len(page)-1], true)
		cacheable.Forward = true
	case in != nil && forward:
		cacheable = in
	case in != nil:
		// A backward cursor becomes a forward one from the same place.
		cacheable = in
		cacheable.Forward, cacheable.IsNext = true, true
	}
	out := &api.ChannelMessageList{
		NextCursor:      next.encode(),
		PrevCursor:      prev.encode(),
		CacheableCursor: cacheable.encode(),
	}
	for _, m := range page {
		out.Messages = append(out.Messages, m.apiMessage(cs, channelID))
	}
	return out
}

// ChannelMessage describes a message for AddChannelMessage.
type ChannelMessage struct {
	// ChannelID is the channel, in the id form the server gives out:
	// "2...<room>", "3.<group id>..", or "4.<user id>.<user id>." with the
	// smaller id first.
	ChannelID string
	// SenderID is the sending user; "" means the system user.
	SenderID string
	// Username is recorded with the message; "" takes the sender's current
	// username.
	Username string
	// Content is a JSON object.
	Content string
	// Code is the message's type: 0 (the default) is a chat message.
	Code int32
}

// AddChannelMessage stores a message in a channel's history, as a
// persistent chat message sent now, and returns it as ListChannelMessages
// will show it. It fails with an *Error for an invalid channel id, content
// that is not a JSON object, or an unknown sender.
func (s *Server) AddChannelMessage(m ChannelMessage) (*api.ChannelMessage, error) {
	cs, ok := parseChannelID(m.ChannelID)
	if !ok {
		return nil, newError(InvalidArgument, "Invalid channel ID.")
	}
	if v := []byte(m.Content); !json.Valid(v) || firstNonSpace(v) != '{' {
		return nil, newError(InvalidArgument, "Content must be a JSON object.")
	}
	if _, err := pgJSONB(m.Content); err != nil {
		return nil, newError(InvalidArgument, "Content must be a JSON object.")
	}
	sender := systemUserID
	if m.SenderID != "" {
		id, ok := parseUUID(m.SenderID)
		if !ok {
			return nil, newError(NotFound, msgUserNotFound)
		}
		sender = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[sender]
	if u == nil {
		return nil, newError(NotFound, msgUserNotFound)
	}
	username := m.Username
	if username == "" {
		username = u.username
	}
	row := s.persistChannelMessageLocked(cs, &api.ChannelMessage{MessageId: s.rand.uuid(), Code: wrapperspb.Int32(m.Code),
		SenderId: sender, Username: username, Content: m.Content})
	return row.apiMessage(cs, m.ChannelID), nil
}

// ChannelMessages returns a channel's stored history, oldest first.
func (s *Server) ChannelMessages(channelID string) []*api.ChannelMessage {
	cs, ok := parseChannelID(channelID)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs := s.channels.streams[cs]
	out := make([]*api.ChannelMessage, len(msgs))
	for i, m := range msgs {
		out[i] = m.apiMessage(cs, channelID)
	}
	return out
}
