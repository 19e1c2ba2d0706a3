package conformance

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gonakama/nakama"
	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/api"
)

func init() {
	installers = append(installers, func(s *nakamatest.Server) {
		s.RegisterRPC(FixtureSendNotification, func(_ context.Context, in nakamatest.RPCRequest) (string, error) {
			var n Notification
			if err := json.Unmarshal([]byte(in.Payload), &n); err != nil {
				return "", err
			}
			content, err := fixtureContent(n.Content)
			if err != nil {
				return "", err
			}
			err = s.SendNotification(nakamatest.Notification{UserID: n.UserID, Subject: n.Subject, Content: content,
				Code: n.Code, SenderID: n.SenderID, Persistent: n.Persistent})
			if err != nil {
				return "", err
			}
			return "{}", nil
		})
	})

	register(Case{Name: "notifications/list-page-delete", Run: func(t *testing.T, h *Harness) {
		s := h.NewUser(t)
		sender := h.NewUser(t)
		send := func(subject string, code int, senderID string, persistent bool) {
			h.Fixture(t, FixtureSendNotification, Notification{UserID: s.UserID(), Subject: subject,
				Content: map[string]any{"b": 2, "a": "x"}, Code: code, SenderID: senderID, Persistent: persistent}, nil)
		}
		send("first", 101, "", true)
		send("second", 102, sender.UserID(), true)
		send("ephemeral", 103, "", false) // not stored
		send("third", 104, "", true)

		list := func(limit int, cursor string) *api.NotificationList {
			t.Helper()
			l, err := h.Client.ListNotifications(h.Ctx(t), s, &nakama.ListNotificationsOptions{Limit: limit, CacheableCursor: cursor})
			Must(t, err)
			return l
		}
		all := list(100, "")
		want := []string{"first", "second", "third"}
		if got := subjects(all.Notifications); !equalStrings(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		for i, n := range all.Notifications {
			if n.Content != `{"a": "x", "b": 2}` {
				t.Errorf("%s: content %q, want the stored form", n.Subject, n.Content)
			}
			if !n.Persistent || n.Code != int32(101+i+i/2) || n.Id == "" || n.CreateTime == nil {
				t.Errorf("%s: %v", n.Subject, n)
			}
		}
		if all.Notifications[0].SenderId != "" || all.Notifications[1].SenderId != sender.UserID() {
			t.Errorf("senders %q and %q", all.Notifications[0].SenderId, all.Notifications[1].SenderId)
		}
		if all.CacheableCursor == "" {
			t.Fatal("no cacheable cursor")
		}

		// The default page is one notification.
		if got := subjects(list(0, "").Notifications); !equalStrings(got, want[:1]) {
			t.Errorf("default page %v", got)
		}
		// Paging one by one to the end; the cursor of an empty page stays.
		var paged []string
		cursor := ""
		for i := 0; ; i++ {
			l := list(1, cursor)
			if len(l.Notifications) == 0 {
				if l.CacheableCursor != cursor {
					t.Errorf("empty page moved the cursor")
				}
				break
			}
			paged = append(paged, subjects(l.Notifications)...)
			cursor = l.CacheableCursor
			if i > 5 {
				t.Fatal("paging does not end")
			}
		}
		if !equalStrings(paged, want) {
			t.Errorf("paged %v, want %v", paged, want)
		}
		// A cacheable cursor lists only what came later.
		send("fourth", 105, "", true)
		if got := subjects(list(100, all.CacheableCursor).Notifications); !equalStrings(got, []string{"fourth"}) {
			t.Errorf("after the cursor: %v", got)
		}

		// Deleting: by id, only one's own, unknown ids ignored.
		other := h.NewUser(t)
		Must(t, h.Client.DeleteNotifications(h.Ctx(t), other, all.Notifications[0].Id))
		Must(t, h.Client.DeleteNotifications(h.Ctx(t), s, all.Notifications[0].Id, all.Notifications[2].Id,
			"00000000-0000-4000-8000-000000000001"))
		if got := subjects(list(100, "").Notifications); !equalStrings(got, []string{"second", "fourth"}) {
			t.Errorf("after delete: %v", got)
		}
		err := h.Client.DeleteNotifications(h.Ctx(t), s, "not-a-uuid")
		if e := Code(t, err, nakama.Internal); e.Message != "Error while deleting notifications." {
			t.Errorf("bad id: %q", e.Message)
		}
		_, err = h.Client.ListNotifications(h.Ctx(t), s, &nakama.ListNotificationsOptions{Limit: 101})
		if e := Code(t, err, nakama.InvalidArgument); e.Message != "Invalid limit - limit must be between 1 and 100." {
			t.Errorf("bad limit: %q", e.Message)
		}
		_, err = h.Client.ListNotifications(h.Ctx(t), s, &nakama.ListNotificationsOptions{CacheableCursor: "!!"})
		if e := Code(t, err, nakama.Internal); e.Message != "Error retrieving notifications." {
			t.Errorf("bad cursor: %q", e.Message)
		}
	}})
}

func subjects(ns []*api.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Subject
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
