package nakamatest_test

import (
	"testing"
	"time"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
	"github.com/heroiclabs/nakama-common/rtapi"
)

func TestChatRoom(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		alice, bob := e.user("alice"), e.user("bob")
		a := e.connect(alice, f, nil)
		b := e.connect(bob, nakama.SocketJSON, nil)

		ch, err := a.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Id != "2...lobby" || ch.RoomName != "lobby" || len(ch.Presences) != 0 || ch.Self.GetUsername() != "alice" ||
			!ch.Self.GetPersistence() || ch.Self.GetUserId() != alice.UserID() {
			t.Fatalf("channel %v", ch)
		}
		// The joiner hears of their own join.
		ev := waitFor[*rtapi.ChannelPresenceEvent](a, nil)
		if ev.ChannelId != ch.Id || len(ev.Joins) != 1 || ev.Joins[0].SessionId != ch.Self.SessionId || ev.RoomName != "lobby" {
			t.Fatalf("own join %v", ev)
		}

		chB, err := b.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_TYPE_UNSPECIFIED, &nakama.JoinChatOptions{Persistence: nakama.Ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if len(chB.Presences) != 1 || chB.Presences[0].Username != "alice" {
			t.Fatalf("bob sees %v", chB.Presences)
		}
		ev = waitFor[*rtapi.ChannelPresenceEvent](a, nil)
		if len(ev.Joins) != 1 || ev.Joins[0].Username != "bob" {
			t.Fatalf("alice sees %v", ev)
		}
		// Joining again changes nothing, and the member is then listed.
		again, err := b.JoinChat(rtCtx(t), "lobby", rtapi.ChannelJoin_ROOM, nil)
		if err != nil || len(again.Presences) != 2 {
			t.Fatalf("rejoin: %v %v", again, err)
		}

		ack, err := a.WriteChatMessage(rtCtx(t), ch.Id, `{"text":"hi"}`)
		if err != nil {
			t.Fatal(err)
		}
		if ack.ChannelId != ch.Id || ack.Code.GetValue() != 0 || !ack.Persistent.GetValue() || ack.Username != "alice" || ack.RoomName != "lobby" {
			t.Fatalf("ack %v", ack)
		}
		for _, c := range []*sock{a, b} {
			m := waitFor[*api.ChannelMessage](c, nil)
			if m.MessageId != ack.MessageId || m.Content != `{"text":"hi"}` || m.SenderId != alice.UserID() ||
				!m.CreateTime.AsTime().Equal(ack.CreateTime.AsTime()) {
				t.Fatalf("message %v", m)
			}
		}

		up, err := a.UpdateChatMessage(rtCtx(t), ch.Id, ack.MessageId, `{"text":"hello"}`)
		if err != nil {
			t.Fatal(err)
		}
		if up.Code.GetValue() != 1 || up.MessageId != ack.MessageId {
			t.Fatalf("update ack %v", up)
		}
		m := waitFor[*api.ChannelMessage](b, nil)
		if m.Code.GetValue() != 1 || m.Content != `{"text":"hello"}` {
			t.Fatalf("update %v", m)
		}
		// Only the sender may change a message.
		_, err = b.UpdateChatMessage(rtCtx(t), ch.Id, ack.MessageId, `{}`)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Could not find message to update in channel history")
		_, err = b.RemoveChatMessage(rtCtx(t), ch.Id, ack.MessageId)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Could not find message to remove in channel history")

		ack2, err := b.WriteChatMessage(rtCtx(t), ch.Id, `{"n":2}`)
		if err != nil {
			t.Fatal(err)
		}
		// History, through REST, oldest first, with the update applied.
		list, err := e.client.ListChannelMessages(rtCtx(t), bob, ch.Id, &nakama.ListChannelMessagesOptions{ListOptions: nakama.ListOptions{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Messages) != 2 || list.Messages[0].MessageId != ack.MessageId || list.Messages[0].Content != `{"text": "hello"}` ||
			list.Messages[1].MessageId != ack2.MessageId || list.Messages[0].Username != "alice" {
			t.Fatalf("history %v", list.Messages)
		}
		if got := list.Messages[1].CreateTime.AsTime(); !got.Equal(ack2.CreateTime.AsTime().Truncate(time.Microsecond)) {
			t.Errorf("stored time %v, ack %v", got, ack2.CreateTime.AsTime())
		}

		rm, err := a.RemoveChatMessage(rtCtx(t), ch.Id, ack.MessageId)
		if err != nil {
			t.Fatal(err)
		}
		if rm.Code.GetValue() != 2 || !rm.CreateTime.AsTime().Equal(list.Messages[0].CreateTime.AsTime()) {
			t.Fatalf("remove ack %v", rm)
		}
		m = waitFor[*api.ChannelMessage](b, func(m *api.ChannelMessage) bool { return m.Code.GetValue() == 2 })
		if m.Content != "{}" || m.MessageId != ack.MessageId {
			t.Fatalf("remove %v", m)
		}
		if n := len(e.srv.ChannelMessages(ch.Id)); n != 1 {
			t.Fatalf("%d stored messages after remove", n)
		}

		if err := b.LeaveChat(rtCtx(t), ch.Id); err != nil {
			t.Fatal(err)
		}
		ev = waitFor[*rtapi.ChannelPresenceEvent](a, func(ev *rtapi.ChannelPresenceEvent) bool { return len(ev.Leaves) > 0 })
		if ev.Leaves[0].Username != "bob" {
			t.Fatalf("leave %v", ev)
		}
		_, err = b.WriteChatMessage(rtCtx(t), ch.Id, `{}`)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Must join channel before sending messages")
	})
}

func TestChatErrors(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		me := e.user("me")
		c := e.connect(me, f, nil)
		bad := func(target string, typ rtapi.ChannelJoin_Type, msg string) {
			t.Helper()
			_, err := c.JoinChat(rtCtx(t), target, typ, nil)
			socketErr(t, err, rtapi.Error_BAD_INPUT, msg)
		}
		bad("", rtapi.ChannelJoin_ROOM, "Invalid channel target")
		bad(string(make([]byte, 65)), rtapi.ChannelJoin_ROOM, "Channel name is required and must be 1-64 chars: Invalid channel target")
		bad("a\tb", rtapi.ChannelJoin_ROOM, "Channel name must not contain control chars: Invalid channel target")
		bad("x", rtapi.ChannelJoin_DIRECT_MESSAGE, "Invalid user ID in direct message join: Invalid channel target")
		bad("00000000-0000-0000-0000-000000000000", rtapi.ChannelJoin_DIRECT_MESSAGE, "Invalid user ID in direct message join: Invalid channel target")
		bad("4b3b4f0e-1ab4-4dc0-9bd2-0f3a5e9f1a11", rtapi.ChannelJoin_DIRECT_MESSAGE, "User ID not found: Invalid channel target")
		bad("x", rtapi.ChannelJoin_GROUP, "Invalid group ID in group channel join: Invalid channel target")
		bad("4b3b4f0e-1ab4-4dc0-9bd2-0f3a5e9f1a11", rtapi.ChannelJoin_GROUP, "Group not found: Invalid channel target")
		bad("x", rtapi.ChannelJoin_Type(9), "Invalid channel type")

		ch, err := c.JoinChat(rtCtx(t), "room", rtapi.ChannelJoin_ROOM, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, content := range []string{"", "[]", `"x"`, "{", " 1"} {
			_, err = c.WriteChatMessage(rtCtx(t), ch.Id, content)
			socketErr(t, err, rtapi.Error_BAD_INPUT, "Message content must be a valid JSON object")
		}
		_, err = c.WriteChatMessage(rtCtx(t), "9.x", `{}`)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid channel identifier")
		_, err = c.UpdateChatMessage(rtCtx(t), ch.Id, "nope", `{}`)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid message identifier")
		_, err = c.RemoveChatMessage(rtCtx(t), "2...other", "4b3b4f0e-1ab4-4dc0-9bd2-0f3a5e9f1a11")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Must join channel before removing messages")
		err = c.LeaveChat(rtCtx(t), "")
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid channel identifier")
		// Leaving a channel one is not in is fine.
		if err := c.LeaveChat(rtCtx(t), "2...elsewhere"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestChatDirect(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		alice, bob := e.user("alice"), e.user("bob")
		a := e.connect(alice, f, nil)
		b := e.connect(bob, f, nil)
		ch, err := a.JoinChat(rtCtx(t), bob.UserID(), rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		if err != nil {
			t.Fatal(err)
		}
		one, two := alice.UserID(), bob.UserID()
		if one > two {
			one, two = two, one
		}
		if ch.Id != "4."+one+"."+two+"." || ch.UserIdOne != one || ch.UserIdTwo != two {
			t.Fatalf("channel %v", ch)
		}
		// Bob is told, live and in his stored notifications.
		n := waitFor[*api.Notification](b, nil)
		if n.Subject != "alice wants to chat" || n.Code != -1 || n.SenderId != alice.UserID() || n.Content != `{"username":"alice"}` || !n.Persistent {
			t.Fatalf("notification %v", n)
		}
		if stored := e.srv.Notifications(bob.UserID()); len(stored) != 1 || stored[0].Id != n.Id {
			t.Fatalf("stored %v", stored)
		}
		// Bob joining finds Alice there: no notification for her.
		if _, err := b.JoinChat(rtCtx(t), alice.UserID(), rtapi.ChannelJoin_DIRECT_MESSAGE, nil); err != nil {
			t.Fatal(err)
		}
		none[*api.Notification](a)
		if _, err := b.WriteChatMessage(rtCtx(t), ch.Id, `{"x":1}`); err != nil {
			t.Fatal(err)
		}
		m := waitFor[*api.ChannelMessage](a, nil)
		if m.UserIdOne != one || m.UserIdTwo != two {
			t.Fatalf("message %v", m)
		}
		// A user who blocked another cannot be reached.
		if err := e.srv.BlockFriend(bob.UserID(), alice.UserID()); err != nil {
			t.Fatal(err)
		}
		_, err = a.JoinChat(rtCtx(t), bob.UserID(), rtapi.ChannelJoin_DIRECT_MESSAGE, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "User ID not found: Invalid channel target")
	})
}

func TestChatHiddenAndEphemeral(t *testing.T) {
	e := newRTEnv(t)
	a := e.connect(e.user("a"), nakama.SocketProtobuf, nil)
	b := e.connect(e.user("b"), nakama.SocketJSON, nil)
	if _, err := a.JoinChat(rtCtx(t), "r", rtapi.ChannelJoin_ROOM, nil); err != nil {
		t.Fatal(err)
	}
	waitFor[*rtapi.ChannelPresenceEvent](a, nil)
	ch, err := b.JoinChat(rtCtx(t), "r", rtapi.ChannelJoin_ROOM, &nakama.JoinChatOptions{Hidden: true, Persistence: nakama.Ptr(false)})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Self.Persistence {
		t.Fatal("persistence should be off")
	}
	none[*rtapi.ChannelPresenceEvent](a) // hidden joins are not announced
	ack, err := b.WriteChatMessage(rtCtx(t), ch.Id, `{}`)
	if err != nil || ack.Persistent.GetValue() {
		t.Fatalf("ack %v %v", ack, err)
	}
	waitFor[*api.ChannelMessage](a, nil)
	waitFor[*api.ChannelMessage](b, nil) // hidden members still get messages
	if n := len(e.srv.ChannelMessages(ch.Id)); n != 0 {
		t.Fatalf("%d messages stored without persistence", n)
	}
	// Without persistence, an update is not checked against the history.
	if _, err := b.UpdateChatMessage(rtCtx(t), ch.Id, ack.MessageId, `{"a":1}`); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	none[*rtapi.ChannelPresenceEvent](a)
}

func TestChatGroup(t *testing.T) {
	e := newRTEnv(t)
	owner, other := e.user("owner"), e.user("other")
	g, err := e.client.CreateGroup(rtCtx(t), owner, "chatters", &nakama.CreateGroupOptions{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	a := e.connect(owner, nakama.SocketJSON, nil)
	b := e.connect(other, nakama.SocketProtobuf, nil)
	ch, err := a.JoinChat(rtCtx(t), g.Id, rtapi.ChannelJoin_GROUP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Id != "3."+g.Id+".." || ch.GroupId != g.Id {
		t.Fatalf("channel %v", ch)
	}
	_, err = b.JoinChat(rtCtx(t), g.Id, rtapi.ChannelJoin_GROUP, nil)
	socketErr(t, err, rtapi.Error_BAD_INPUT, "Group not found: Invalid channel target")
	if err := e.client.JoinGroup(rtCtx(t), other, g.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.JoinChat(rtCtx(t), g.Id, rtapi.ChannelJoin_GROUP, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteChatMessage(rtCtx(t), ch.Id, `{"m":1}`); err != nil {
		t.Fatal(err)
	}
	if m := waitFor[*api.ChannelMessage](a, nil); m.GroupId != g.Id {
		t.Fatalf("message %v", m)
	}
	var _ = nakamatest.ChannelMessage{}
}
