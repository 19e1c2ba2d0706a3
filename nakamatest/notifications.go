package nakamatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// storedNotification is one row of the notification table. Rows of a user
// are kept in listing order: create time, then insertion (the server breaks
// ties by id, but only a batch sent at once can tie there, while a test
// with a stopped clock ties every notification).
type storedNotification struct {
	seq        int64
	id         string
	subject    string
	content    string // as the database returns it
	code       int32
	senderID   string // "" for the system
	createTime time.Time
}

func (n *storedNotification) apiNotification() *api.Notification {
	return &api.Notification{
		Id:         n.id,
		Subject:    n.subject,
		Content:    n.content,
		Code:       n.code,
		SenderId:   n.senderID,
		CreateTime: &timestamppb.Timestamp{Seconds: n.createTime.Unix()},
		Persistent: true,
	}
}

// notificationState holds the persistent notifications of every user.
type notificationState struct {
	seq    int64
	byUser map[string][]*storedNotification

	// live receives every notification sent, persistent or not, for
	// delivery to the user's connected sockets. The realtime area appends
	// to it; the functions run with s.mu held and must not block.
	live []func(userID string, ns []*api.Notification)
}

func (s *Server) registerNotifications() {
	s.notifications.byUser = make(map[string][]*storedNotification)
	s.st.userDeleted = append(s.st.userDeleted, func(userID string) {
		delete(s.notifications.byUser, userID)
	})
	handle(s, "ListNotifications", s.listNotifications)
	handle(s, "DeleteNotifications", s.deleteNotifications)
}

// notifyLocked sends notifications to a user as the server's own features
// do (friend requests, group joins, ...): persistent ones are stored, and
// all are handed to the live listeners. Each must have its id, subject,
// content, code, sender and create time set. s.mu is held.
func (s *Server) notifyLocked(userID string, ns ...*api.Notification) {
	now := dbMicros(s.clock.now())
	for _, n := range ns {
		if !n.Persistent {
			continue
		}
		content, err := pgJSONB(n.Content)
		if err != nil {
			content = "{}"
		}
		sender := n.SenderId
		if sender == systemUserID {
			sender = ""
		}
		s.notifications.seq++
		s.notifications.byUser[userID] = append(s.notifications.byUser[userID], &storedNotification{
			seq: s.notifications.seq, id: n.Id, subject: n.Subject, content: content,
			code: n.Code, senderID: sender, createTime: now,
		})
	}
	rows := s.notifications.byUser[userID]
	slices.SortStableFunc(rows, func(a, b *storedNotification) int { return a.createTime.Compare(b.createTime) })
	for _, fn := range s.notifications.live {
		fn(userID, ns)
	}
}

// notificationCursor is where a listing resumes: after the notification
// created at T (unix nanoseconds) with sequence Seq. The cursor of an empty
// first listing has Seq 0 and lists from the start.
type notificationCursor struct {
	T   int64 `json:"t"`
	Seq int64 `json:"s"`
}

func encodeNotificationCursor(c notificationCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) listNotifications(_ context.Context, c *call, req *api.ListNotificationsRequest) (*api.NotificationList, error) {
	limit := 1
	if req.Limit != nil {
		if req.Limit.Value < 1 || req.Limit.Value > 100 {
			return nil, newError(InvalidArgument, msgLimit100)
		}
		limit = int(req.Limit.Value)
	}
	// A malformed cursor is reported as the server reports any failure of
	// the listing.
	failed := newError(Internal, "Error retrieving notifications.")
	var cur notificationCursor
	if req.CacheableCursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(req.CacheableCursor)
		if err != nil || json.Unmarshal(b, &cur) != nil {
			return nil, failed
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var page []*storedNotification
	for _, n := range s.notifications.byUser[c.userID] {
		if cur.Seq != 0 {
			t := n.createTime.UnixNano()
			if t < cur.T || (t == cur.T && n.seq <= cur.Seq) {
				continue
			}
		}
		page = append(page, n)
		if len(page) == limit {
			break
		}
	}
	out := &api.NotificationList{}
	if len(page) == 0 {
		// The cursor stays where it was, or starts at the beginning.
		out.CacheableCursor = req.CacheableCursor
		if out.CacheableCursor == "" {
			out.CacheableCursor = encodeNotificationCursor(notificationCursor{})
		}
		return out, nil
	}
	for _, n := range page {
		out.Notifications = append(out.Notifications, n.apiNotification())
	}
	last := page[len(page)-1]
	out.CacheableCursor = encodeNotificationCursor(notificationCursor{T: last.createTime.UnixNano(), Seq: last.seq})
	return out, nil
}

func (s *Server) deleteNotifications(_ context.Context, c *call, req *api.DeleteNotificationsRequest) (*emptypb.Empty, error) {
	if len(req.Ids) == 0 {
		return &emptypb.Empty{}, nil
	}
	ids := make(map[string]bool, len(req.Ids))
	for _, id := range req.Ids {
		uid, ok := pgUUID(id)
		if !ok {
			// The database refuses the whole statement.
			return nil, newError(Internal, "Error while deleting notifications.")
		}
		ids[uid] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := slices.DeleteFunc(s.notifications.byUser[c.userID], func(n *storedNotification) bool { return ids[n.id] })
	if len(rows) == 0 {
		delete(s.notifications.byUser, c.userID)
	} else {
		s.notifications.byUser[c.userID] = rows
	}
	return &emptypb.Empty{}, nil
}

// Notification describes a notification for SendNotification, as the
// runtime's NotificationSend takes it.
type Notification struct {
	// UserID is the recipient.
	UserID string
	// Subject is required.
	Subject string
	// Content is a JSON object; "" means "{}".
	Content string
	// Code must be above 0; the server reserves codes up to 0 for itself,
	// apart from -2000 to -1000.
	Code int
	// SenderID is the sending user's id; "" means the system.
	SenderID string
	// Persistent notifications are stored and listed by
	// ListNotifications; others only reach the user's open sockets.
	Persistent bool
}

// SendNotification sends a notification as the runtime's NotificationSend
// does, with its validation and messages. It fails with an *Error when a
// field is invalid or the recipient does not exist.
func (s *Server) SendNotification(n Notification) error {
	uid, ok := parseUUID(n.UserID)
	if !ok {
		return newError(InvalidArgument, "expects userID to be a valid UUID")
	}
	if n.Subject == "" {
		return newError(InvalidArgument, "expects subject to be a non-empty string")
	}
	content := n.Content
	if content == "" {
		content = "{}"
	}
	if v := []byte(content); !json.Valid(v) || firstNonSpace(v) != '{' {
		return newError(InvalidArgument, "expects content to be a JSON object")
	}
	if _, err := pgJSONB(content); err != nil {
		return newError(InvalidArgument, "expects content to be a JSON object")
	}
	if n.Code <= 0 && (n.Code < -2000 || n.Code > -1000) {
		return newError(InvalidArgument, "expects code to number above 0")
	}
	sender := systemUserID
	if n.SenderID != "" {
		sid, ok := parseUUID(n.SenderID)
		if !ok {
			return newError(InvalidArgument, "expects sender to either be an empty string or a valid UUID")
		}
		sender = sid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.users[uid] == nil {
		return newError(NotFound, msgUserNotFound)
	}
	s.notifyLocked(uid, &api.Notification{
		Id:         s.rand.uuid(),
		Subject:    n.Subject,
		Content:    content,
		Code:       int32(n.Code),
		SenderId:   sender,
		CreateTime: &timestamppb.Timestamp{Seconds: s.clock.now().Unix()},
		Persistent: n.Persistent,
	})
	return nil
}

// Notifications returns the user's stored notifications in listing order,
// as ListNotifications shows them.
func (s *Server) Notifications(userID string) []*api.Notification {
	uid, _ := parseUUID(userID)
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.notifications.byUser[uid]
	out := make([]*api.Notification, len(rows))
	for i, n := range rows {
		out[i] = n.apiNotification()
	}
	return out
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

// pgUUID reads a UUID as the database's uuid type does: 32 hex digits in
// either case, optionally in braces, with at most one hyphen after any
// group of four digits.
func pgUUID(s string) (string, bool) {
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") || len(s) < 2 {
			return "", false
		}
		s = s[1 : len(s)-1]
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			n := len(digits)
			if n == 0 || n%4 != 0 || n >= 32 || s[i-1] == '-' {
				return "", false
			}
			continue
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(c)) {
			return "", false
		}
		digits = append(digits, c)
	}
	if len(digits) != 32 {
		return "", false
	}
	return parseUUID(string(digits))
}
