package nakamatest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

func TestParseChannelID(t *testing.T) {
	const u1, u2 = "0d3c1f7e-7f6a-4c41-8a3e-2f1d9e0b4c5a", "9f2b0b9e-7d51-4d52-9d7a-3c1b3e4a5b6c"
	good := map[string]channelStream{
		"2...lobby":                         {mode: streamModeRoom, subject: systemUserID, subcontext: systemUserID, label: "lobby"},
		"2...a.b":                           {mode: streamModeRoom, subject: systemUserID, subcontext: systemUserID, label: "a.b"},
		"3." + u1 + "..":                    {mode: streamModeGroup, subject: u1, subcontext: systemUserID},
		"3.{" + strings.ToUpper(u1) + "}..": {mode: streamModeGroup, subject: u1, subcontext: systemUserID},
		"3...":                              {mode: streamModeGroup, subject: systemUserID, subcontext: systemUserID},
		"4." + u1 + "." + u2 + ".":          {mode: streamModeDM, subject: u1, subcontext: u2},
		"4.." + u2 + ".":                    {mode: streamModeDM, subject: systemUserID, subcontext: u2},
	}
	for id, want := range good {
		got, ok := parseChannelID(id)
		if !ok || got != want {
			t.Errorf("parseChannelID(%q) = %+v, %v; want %+v", id, got, ok, want)
		}
	}
	for _, id := range []string{"", "lobby", "2..", "2...", "2..." + strings.Repeat("x", 65), "2.x..y", "2..x.y",
		"3.x..", "3." + u1 + ".x.", "3." + u1 + "..l", "4...l", "4.x..", "1...x", "5...x"} {
		if got, ok := parseChannelID(id); ok {
			t.Errorf("parseChannelID(%q) = %+v, want invalid", id, got)
		}
	}
	if id := (channelStream{mode: streamModeDM, subject: u1, subcontext: u2}).id(); id != "4."+u1+"."+u2+"." {
		t.Errorf("id %q", id)
	}
	if id := (channelStream{mode: streamModeRoom, subject: systemUserID, subcontext: systemUserID, label: "r"}).id(); id != "2...r" {
		t.Errorf("id %q", id)
	}
}

func TestChannelHistory(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("channel-device-01")
	acc := c.account(s)
	room := "2...lobby"
	for i, content := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		if _, err := srv.AddChannelMessage(ChannelMessage{ChannelID: room, SenderID: acc.User.Id, Content: content}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			srv.FastForward(time.Millisecond) // the rest tie on time and keep their order
		}
	}
	list := func(query string) *api.ChannelMessageList {
		t.Helper()
		l := &api.ChannelMessageList{}
		c.send("GET", "/v2/channel/"+url.PathEscape(room)+query, "", bearerHeader(s)).ok(t, l)
		return l
	}
	contents := func(l *api.ChannelMessageList) string {
		var out []string
		for _, m := range l.Messages {
			out = append(out, m.Content)
		}
		return strings.Join(out, ",")
	}
	first := list("?limit=2")
	if contents(first) != `{"n": 1},{"n": 2}` || first.NextCursor == "" || first.PrevCursor != "" || first.CacheableCursor == "" {
		t.Fatalf("first page %v", first)
	}
	m := first.Messages[0]
	if m.ChannelId != room || m.RoomName != "lobby" || m.Username != acc.User.Username || m.SenderId != acc.User.Id ||
		m.GetCode().GetValue() != 0 || !m.GetPersistent().GetValue() || !m.CreateTime.AsTime().Equal(fixedTime) {
		t.Errorf("message %v", m)
	}
	second := list("?limit=2&cursor=" + first.NextCursor)
	if contents(second) != `{"n": 3}` || second.NextCursor != "" || second.PrevCursor == "" {
		t.Errorf("second page %v", second)
	}
	back := list("?limit=2&cursor=" + second.PrevCursor)
	if contents(back) != `{"n": 1},{"n": 2}` {
		t.Errorf("previous page %v", contents(back))
	}
	if contents(list("")) != `{"n": 1}` {
		t.Errorf("default limit")
	}
	newest := list("?limit=2&forward=false")
	if contents(newest) != `{"n": 3},{"n": 2}` || newest.NextCursor == "" {
		t.Errorf("backward %v", newest)
	}
	older := list("?limit=2&forward=false&cursor=" + newest.NextCursor)
	if contents(older) != `{"n": 1}` {
		t.Errorf("backward page 2 %v", contents(older))
	}
	// A cacheable cursor lists what came after.
	if _, err := srv.AddChannelMessage(ChannelMessage{ChannelID: room, Content: `{"n":4}`}); err != nil {
		t.Fatal(err)
	}
	if got := list("?limit=10&cursor=" + second.CacheableCursor); contents(got) != `{"n": 4}` || got.Messages[0].SenderId != systemUserID {
		t.Errorf("after the cacheable cursor: %v", got)
	}
	// Cursors are bound to their channel and direction.
	c.send("GET", "/v2/channel/"+url.PathEscape(room)+"?forward=false&cursor="+first.NextCursor, "", bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")
	c.send("GET", "/v2/channel/2...other?cursor="+first.NextCursor, "", bearerHeader(s)).
		fails(t, 400, InvalidArgument, "Cursor is invalid or expired.")
	c.send("GET", "/v2/channel/lobby", "", bearerHeader(s)).fails(t, 400, InvalidArgument, "Invalid channel ID.")
	c.send("GET", "/v2/channel/"+url.PathEscape(room)+"?limit=0", "", bearerHeader(s)).fails(t, 400, InvalidArgument, msgLimit100)
}

func TestChannelAccess(t *testing.T) {
	srv, c := startServer(t, nil)
	a, b := c.device("channel-device-a"), c.device("channel-device-b")
	ua := c.account(a).User.Id
	ub := c.account(b).User.Id
	dm := "4." + ua + "." + ub + "."
	if _, err := srv.AddChannelMessage(ChannelMessage{ChannelID: dm, SenderID: ua, Content: `{}`}); err != nil {
		t.Fatal(err)
	}
	l := &api.ChannelMessageList{}
	c.send("GET", "/v2/channel/"+url.PathEscape(dm), "", bearerHeader(b)).ok(t, l)
	if len(l.Messages) != 1 || l.Messages[0].UserIdOne != ua || l.Messages[0].UserIdTwo != ub {
		t.Errorf("direct chat %v", l)
	}
	third := c.device("channel-device-c")
	c.send("GET", "/v2/channel/"+url.PathEscape(dm), "", bearerHeader(third)).fails(t, 400, InvalidArgument, "Channel not found.")

	const group = "0d3c1f7e-7f6a-4c41-8a3e-2f1d9e0b4c5a"
	gid := "3." + group + ".."
	c.send("GET", "/v2/channel/"+url.PathEscape(gid), "", bearerHeader(a)).fails(t, 400, InvalidArgument, "Group not found.")
	srv.mu.Lock()
	srv.channels.groupMember = func(g, u string) bool { return g == group && u == ua }
	srv.mu.Unlock()
	if _, err := srv.AddChannelMessage(ChannelMessage{ChannelID: gid, SenderID: ub, Content: `{"x":1}`}); err != nil {
		t.Fatal(err)
	}
	l = &api.ChannelMessageList{}
	c.send("GET", "/v2/channel/"+url.PathEscape(gid), "", bearerHeader(a)).ok(t, l)
	if len(l.Messages) != 1 || l.Messages[0].GroupId != group {
		t.Errorf("group history %v", l)
	}
	c.send("GET", "/v2/channel/"+url.PathEscape(gid), "", bearerHeader(b)).fails(t, 400, InvalidArgument, "Group not found.")

	// A deleted sender's messages go with the account.
	if err := srv.DeleteUser(ub); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.ChannelMessages(gid)); n != 0 {
		t.Errorf("deleted sender leaves %d messages", n)
	}
	if _, err := srv.AddChannelMessage(ChannelMessage{ChannelID: "2...r", Content: `[]`}); err == nil {
		t.Error("array content accepted")
	}
	if _, err := srv.AddChannelMessage(ChannelMessage{ChannelID: "2...r", SenderID: ub, Content: `{}`}); err == nil {
		t.Error("unknown sender accepted")
	}
}

// The realtime socket updates and removes persisted messages through these.
func TestChannelMessageUpdateRemove(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	uid := c.account(c.device("channel-device-u")).User.Id
	sent, err := srv.AddChannelMessage(ChannelMessage{ChannelID: "2...r", SenderID: uid, Content: `{"v":1}`})
	if err != nil {
		t.Fatal(err)
	}
	srv.FastForward(time.Second)
	srv.mu.Lock()
	_, errOther := srv.updateChannelMessageLocked(sent.MessageId, systemUserID, "x", `{}`)
	row, err := srv.updateChannelMessageLocked(sent.MessageId, uid, "renamed", `{"v":2}`)
	srv.mu.Unlock()
	if errOther != errChannelMessageNotFound || err != nil || row.content != `{"v": 2}` || row.username != "renamed" ||
		!row.updateTime.Equal(fixedTime.Add(time.Second)) || !row.createTime.Equal(fixedTime) {
		t.Fatalf("update: %v %v %+v", errOther, err, row)
	}
	srv.mu.Lock()
	_, errOther = srv.removeChannelMessageLocked(sent.MessageId, systemUserID)
	_, err = srv.removeChannelMessageLocked(sent.MessageId, uid)
	_, errAgain := srv.removeChannelMessageLocked(sent.MessageId, uid)
	srv.mu.Unlock()
	if errOther != errChannelMessageNotFound || err != nil || errAgain != errChannelMessageNotFound {
		t.Errorf("remove: %v %v %v", errOther, err, errAgain)
	}
	if n := len(srv.ChannelMessages("2...r")); n != 0 {
		t.Errorf("%d messages left", n)
	}
}
