package nakamatest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/heroiclabs/nakama-common/api"
)

func TestGetUsers(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.AddFacebookToken("fb", FacebookIdentity{ID: "fb-77"})
	s := &api.Session{}
	c.send("POST", devicePath+"?username=first", `{"id":"users-device-1"}`, defaultServerKey).ok(t, s)
	c.send("POST", devicePath+"?username=second", `{"id":"users-device-2"}`, defaultServerKey).ok(t, nil)
	fb := &api.Session{}
	c.send("POST", "/v2/account/authenticate/facebook?username=third", `{"token":"fb"}`, defaultServerKey).ok(t, fb)
	firstID := claims(t, s.Token)["uid"].(string)

	get := func(q url.Values) *api.Users {
		t.Helper()
		users := &api.Users{}
		c.send("GET", "/v2/user?"+q.Encode(), "", bearerHeader(s)).ok(t, users)
		return users
	}
	names := func(us *api.Users) string {
		var out []string
		for _, u := range us.Users {
			out = append(out, u.Username)
		}
		return strings.Join(out, ",")
	}

	// Any mix of keys; each user once, in creation order; unknown ones absent.
	got := get(url.Values{
		"facebook_ids": {"fb-77", "fb-unknown"},
		"usernames":    {"second", "first", "nobody"},
		"ids":          {strings.ToUpper(firstID), "{" + firstID + "}", "00000000-0000-4000-8000-000000000000"},
	})
	if names(got) != "first,second,third" {
		t.Errorf("users %q", names(got))
	}
	if u := got.Users[0]; u.Id != firstID || u.LangTag != "en" || u.Metadata != "{}" || u.CreateTime == nil {
		t.Errorf("user %v", u)
	}
	// JSON names work in the query too.
	if got := get(url.Values{"facebookIds": {"fb-77"}}); names(got) != "third" {
		t.Errorf("by facebookIds: %q", names(got))
	}

	r := c.send("GET", "/v2/user", "", bearerHeader(s))
	r.ok(t, nil)
	if r.body != "{}" {
		t.Errorf("no keys answered %s", r.body)
	}
	c.send("GET", "/v2/user?ids=nope", "", bearerHeader(s)).
		fails(t, 400, InvalidArgument, "ID 'nope' is not a valid system ID.")
	c.send("GET", "/v2/user?ids="+firstID, "").fails(t, 401, Unauthenticated, "Auth token required")
}

func TestHealthcheck(t *testing.T) {
	_, c := startServer(t, nil)
	r := c.send("GET", "/healthcheck", "")
	r.ok(t, nil)
	if r.body != "{}" {
		t.Errorf("healthcheck body %q", r.body)
	}
}
