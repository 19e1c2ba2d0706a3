package nakamatest

import (
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

func TestSendNotificationValidation(t *testing.T) {
	srv, c := startServer(t, nil)
	uid := c.account(c.device("notify-device-01")).User.Id
	bad := []struct {
		n   Notification
		msg string
	}{
		{Notification{UserID: "x", Subject: "s", Code: 1}, "expects userID to be a valid UUID"},
		{Notification{UserID: uid, Code: 1}, "expects subject to be a non-empty string"},
		{Notification{UserID: uid, Subject: "s", Code: 0}, "expects code to number above 0"},
		{Notification{UserID: uid, Subject: "s", Code: -999}, "expects code to number above 0"},
		{Notification{UserID: uid, Subject: "s", Code: 1, SenderID: "x"}, "expects sender to either be an empty string or a valid UUID"},
		{Notification{UserID: uid, Subject: "s", Code: 1, Content: "[1]"}, "expects content to be a JSON object"},
		{Notification{UserID: "9f2b0b9e-7d51-4d52-9d7a-3c1b3e4a5b6c", Subject: "s", Code: 1}, msgUserNotFound},
	}
	for _, b := range bad {
		if err := srv.SendNotification(b.n); err == nil || asError(err).Message != b.msg {
			t.Errorf("%+v: %v, want %q", b.n, err, b.msg)
		}
	}
	// The runtime's reserved range is open to it.
	if err := srv.SendNotification(Notification{UserID: uid, Subject: "s", Code: -1500, Persistent: true}); err != nil {
		t.Error(err)
	}
	if ns := srv.Notifications(uid); len(ns) != 1 || ns[0].Content != "{}" || ns[0].Code != -1500 {
		t.Errorf("stored %v", ns)
	}
}

func TestNotificationListing(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("notify-device-02")
	uid := c.account(s).User.Id
	var live []string
	srv.mu.Lock()
	srv.notifications.live = append(srv.notifications.live, func(userID string, ns []*api.Notification) {
		for _, n := range ns {
			live = append(live, n.Subject)
		}
	})
	srv.mu.Unlock()
	for i, subj := range []string{"a", "b", "c"} {
		if err := srv.SendNotification(Notification{UserID: uid, Subject: subj, Code: 10 + i, Content: `{"n":1.50}`, Persistent: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.SendNotification(Notification{UserID: uid, Subject: "live-only", Code: 1}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(live, ",") != "a,b,c,live-only" {
		t.Errorf("live delivery saw %v", live)
	}

	list := func(query string) *api.NotificationList {
		t.Helper()
		l := &api.NotificationList{}
		c.send("GET", "/v2/notification"+query, "", bearerHeader(s)).ok(t, l)
		return l
	}
	// With the clock stopped, notifications keep the order they were sent.
	l := list("?limit=100")
	if got := notificationSubjects(l.Notifications); got != "a,b,c" {
		t.Fatalf("listed %s", got)
	}
	if n := l.Notifications[0]; n.Content != `{"n": 1.50}` || !n.Persistent || n.SenderId != "" || n.CreateTime.Seconds != fixedTime.Unix() {
		t.Errorf("notification %v", n)
	}
	if got := notificationSubjects(list("").Notifications); got != "a" {
		t.Errorf("default page %s", got)
	}
	page := list("?limit=2")
	next := list("?limit=2&cacheable_cursor=" + page.CacheableCursor)
	if notificationSubjects(next.Notifications) != "c" {
		t.Errorf("second page %s", notificationSubjects(next.Notifications))
	}
	end := list("?limit=2&cacheable_cursor=" + next.CacheableCursor)
	if len(end.Notifications) != 0 || end.CacheableCursor != next.CacheableCursor {
		t.Errorf("end of list %v", end)
	}
	srv.FastForward(time.Second)
	if err := srv.SendNotification(Notification{UserID: uid, Subject: "d", Code: 1, Persistent: true}); err != nil {
		t.Fatal(err)
	}
	if got := notificationSubjects(list("?limit=100&cacheable_cursor=" + next.CacheableCursor).Notifications); got != "d" {
		t.Errorf("after the cursor: %s", got)
	}
	// An empty first listing starts a cursor that lists from the beginning.
	other := c.device("notify-device-03")
	empty := &api.NotificationList{}
	c.send("GET", "/v2/notification", "", bearerHeader(other)).ok(t, empty)
	if empty.CacheableCursor == "" || len(empty.Notifications) != 0 {
		t.Errorf("empty listing %v", empty)
	}
	if got := notificationSubjects(list("?limit=100&cacheable_cursor=" + empty.CacheableCursor).Notifications); got != "a,b,c,d" {
		t.Errorf("from an empty listing's cursor: %s", got)
	}

	c.send("GET", "/v2/notification?limit=101", "", bearerHeader(s)).fails(t, 400, InvalidArgument, msgLimit100)
	c.send("GET", "/v2/notification?cacheable_cursor=%25", "", bearerHeader(s)).fails(t, 500, Internal, "Error retrieving notifications.")

	ids := l.Notifications[0].Id + "&ids=" + l.Notifications[2].Id
	c.send("DELETE", "/v2/notification?ids="+ids, "", bearerHeader(other)).ok(t, nil) // not theirs
	c.send("DELETE", "/v2/notification?ids="+ids, "", bearerHeader(s)).ok(t, nil)
	if got := notificationSubjects(list("?limit=100").Notifications); got != "b,d" {
		t.Errorf("after delete: %s", got)
	}
	c.send("DELETE", "/v2/notification?ids=nope", "", bearerHeader(s)).fails(t, 500, Internal, "Error while deleting notifications.")
	c.send("DELETE", "/v2/notification", "", bearerHeader(s)).ok(t, nil)

	if err := srv.DeleteUser(uid); err != nil {
		t.Fatal(err)
	}
	if n := srv.Notifications(uid); len(n) != 0 {
		t.Errorf("deleted user keeps %d notifications", len(n))
	}
}

func notificationSubjects(ns []*api.Notification) string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Subject)
	}
	return strings.Join(out, ",")
}

func TestPGUUID(t *testing.T) {
	const canon = "0d3c1f7e-7f6a-4c41-8a3e-2f1d9e0b4c5a"
	for _, in := range []string{canon, "{" + canon + "}", "0D3C1F7E7F6A4C418A3E2F1D9E0B4C5A", "0d3c-1f7e-7f6a-4c41-8a3e-2f1d-9e0b-4c5a"} {
		if got, ok := pgUUID(in); !ok || got != canon {
			t.Errorf("pgUUID(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "{}", "urn:uuid:" + canon, "0d3c1f7eX7f6aX4c41X8a3eX2f1d9e0b4c5a", "-" + canon,
		canon + "-", "0d3c1f7e--7f6a-4c41-8a3e-2f1d9e0b4c5a", "0d3c1f7-e7f6a-4c41-8a3e-2f1d9e0b4c5a", "{" + canon, canon[:35]} {
		if got, ok := pgUUID(in); ok {
			t.Errorf("pgUUID(%q) = %q, want invalid", in, got)
		}
	}
}
