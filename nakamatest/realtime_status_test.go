package nakamatest_test

import (
	"testing"

	"github.com/gonakama/nakama"
	"github.com/heroiclabs/nakama-common/rtapi"
)

func TestStatusFollow(t *testing.T) {
	rtForEachFormat(t, func(t *testing.T, f nakama.SocketFormat) {
		e := newRTEnv(t)
		alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
		a := e.connect(alice, f, nil)

		// Bob is offline: following him gives nothing yet.
		st, err := a.FollowUsers(rtCtx(t), []string{bob.UserID(), alice.UserID()}, []string{"carol", "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Presences) != 0 {
			t.Fatalf("offline presences %v", st.Presences)
		}
		// Bob appears online: Alice hears of it, and so does Bob himself.
		b := e.connect(bob, nakama.SocketJSON, &nakama.ConnectOptions{AppearOnline: true})
		ev := waitFor[*rtapi.StatusPresenceEvent](a, nil)
		if len(ev.Joins) != 1 || ev.Joins[0].UserId != bob.UserID() || ev.Joins[0].Status == nil || ev.Joins[0].Status.Value != "" {
			t.Fatalf("online %v", ev)
		}
		waitFor[*rtapi.StatusPresenceEvent](b, nil)
		if u, _ := e.srv.User(bob.UserID()); !u.Online {
			t.Fatal("bob not online")
		}
		users, err := e.client.GetUsers(rtCtx(t), alice, []string{bob.UserID()}, nil, nil)
		if err != nil || len(users.Users) != 1 || !users.Users[0].Online {
			t.Fatalf("GetUsers %v %v", users, err)
		}

		if err := b.UpdateStatus(rtCtx(t), nakama.Ptr("playing")); err != nil {
			t.Fatal(err)
		}
		ev = waitFor[*rtapi.StatusPresenceEvent](a, nil)
		if len(ev.Joins) != 1 || ev.Joins[0].Status.GetValue() != "playing" || len(ev.Leaves) != 1 || ev.Leaves[0].Status.GetValue() != "" {
			t.Fatalf("update %v", ev)
		}
		// A new follower sees the status at once.
		c := e.connect(carol, f, nil)
		st, err = c.FollowUsers(rtCtx(t), nil, []string{"bob"})
		if err != nil || len(st.Presences) != 1 || st.Presences[0].Status.GetValue() != "playing" || st.Presences[0].Username != "bob" {
			t.Fatalf("follow %v %v", st, err)
		}

		if err := a.UnfollowUsers(rtCtx(t), []string{bob.UserID()}); err != nil {
			t.Fatal(err)
		}
		if err := b.UpdateStatus(rtCtx(t), nil); err != nil {
			t.Fatal(err)
		}
		ev = waitFor[*rtapi.StatusPresenceEvent](c, nil)
		if len(ev.Leaves) != 1 || len(ev.Joins) != 0 {
			t.Fatalf("offline %v", ev)
		}
		none[*rtapi.StatusPresenceEvent](a)
		if u, _ := e.srv.User(bob.UserID()); u.Online {
			t.Fatal("bob still online")
		}

		_, err = a.FollowUsers(rtCtx(t), []string{"x"}, nil)
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid user identifier")
		_, err = a.FollowUsers(rtCtx(t), nil, []string{""})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid username")
		err = a.UnfollowUsers(rtCtx(t), []string{"x"})
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Invalid user identifier")
		long := make([]byte, 2049)
		for i := range long {
			long[i] = 'x'
		}
		err = a.UpdateStatus(rtCtx(t), nakama.Ptr(string(long)))
		socketErr(t, err, rtapi.Error_BAD_INPUT, "Status must be 2048 characters or less")
	})
}

func TestStatusDisconnect(t *testing.T) {
	e := newRTEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	a := e.connect(alice, nakama.SocketProtobuf, nil)
	b := e.connect(bob, nakama.SocketProtobuf, &nakama.ConnectOptions{AppearOnline: true})
	if _, err := a.FollowUsers(rtCtx(t), []string{bob.UserID()}, nil); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	ev := waitFor[*rtapi.StatusPresenceEvent](a, nil)
	if len(ev.Leaves) != 1 || ev.Leaves[0].UserId != bob.UserID() {
		t.Fatalf("disconnect %v", ev)
	}
}
