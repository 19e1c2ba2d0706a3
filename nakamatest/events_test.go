package nakamatest

import (
	"context"
	"testing"

	"github.com/heroiclabs/nakama-common/api"
)

func TestEvents(t *testing.T) {
	srv, c := startServer(t, nil)
	s := c.device("event-device-01")
	uid := c.account(s).User.Id
	var seen []*api.Event
	var seenUser string
	srv.OnEvent(func(_ context.Context, userID string, e *api.Event) {
		seenUser = userID
		seen = append(seen, e)
	})
	c.send("POST", "/v2/event", `{"name":"level_up","properties":{"level":"3"},"external":false}`, bearerHeader(s)).ok(t, nil)
	c.send("POST", "/v2/event", `{}`, bearerHeader(s)).ok(t, nil)
	if len(seen) != 2 || seenUser != uid || seen[0].Name != "level_up" || seen[0].Properties["level"] != "3" || !seen[0].External {
		t.Fatalf("handler saw %v from %s", seen, seenUser)
	}
	// Handlers and the record get copies.
	seen[0].Name = "changed"
	if ev := srv.Events(); len(ev) != 2 || ev[0].Name != "level_up" || !ev[1].External {
		t.Errorf("recorded %v", ev)
	}
	c.send("POST", "/v2/event", `{"name":"x"}`).fails(t, 401, Unauthenticated, "Auth token required")
}
