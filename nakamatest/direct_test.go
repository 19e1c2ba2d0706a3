package nakamatest

import (
	"errors"
	"testing"

	"github.com/heroiclabs/nakama-common/api"
)

func TestCreateUser(t *testing.T) {
	srv, c := startServer(t, nil)
	a, err := srv.CreateUser(NewUser{Username: "direct", CustomID: "direct-custom", Email: "Direct@Example.com",
		Password: "password1", DeviceIDs: []string{"direct-device-1"}, Metadata: `{"level":3}`})
	if err != nil {
		t.Fatal(err)
	}
	if a.User.Username != "direct" || a.User.LangTag != "en" || a.Wallet != "{}" || a.User.Metadata != `{"level":3}` ||
		a.Email != "direct@example.com" || len(a.Devices) != 1 {
		t.Errorf("created %v", a)
	}

	// Every identity logs in to the same account.
	for _, login := range []struct{ path, body string }{
		{customPath, `{"id":"direct-custom"}`},
		{devicePath, `{"id":"direct-device-1"}`},
		{emailPath, `{"email":"direct@example.com","password":"password1"}`},
	} {
		s := &api.Session{}
		c.send("POST", login.path+"?create=false", login.body, defaultServerKey).ok(t, s)
		if claims(t, s.Token)["uid"] != a.User.Id {
			t.Errorf("%s logged in as %v", login.path, claims(t, s.Token)["uid"])
		}
	}

	var e *Error
	if _, err := srv.CreateUser(NewUser{Username: "direct"}); !errors.As(err, &e) || e.Code != AlreadyExists {
		t.Errorf("duplicate username: %v", err)
	}
	if _, err := srv.CreateUser(NewUser{CustomID: "direct-custom"}); !errors.As(err, &e) || e.Message != "Custom ID is already in use." {
		t.Errorf("duplicate custom id: %v", err)
	}
	if _, err := srv.CreateUser(NewUser{DeviceIDs: []string{"direct-device-1"}}); !errors.As(err, &e) || e.Code != AlreadyExists {
		t.Errorf("duplicate device: %v", err)
	}
	if _, err := srv.CreateUser(NewUser{Metadata: "{"}); err == nil {
		t.Error("invalid metadata accepted")
	}
}

func TestDirectInspection(t *testing.T) {
	srv := NewServer(nil)
	a, _ := srv.CreateUser(NewUser{Username: "one"})
	b, _ := srv.CreateUser(NewUser{Username: "two"})
	users := srv.Users()
	if len(users) != 2 || users[0].Id != a.User.Id || users[1].Id != b.User.Id {
		t.Errorf("Users() = %v", users)
	}
	if u, ok := srv.User(a.User.Id); !ok || u.Username != "one" {
		t.Errorf("User = %v, %v", u, ok)
	}
	if u, ok := srv.UserByUsername("two"); !ok || u.Id != b.User.Id {
		t.Errorf("UserByUsername = %v, %v", u, ok)
	}
	if _, ok := srv.UserByUsername(""); ok {
		t.Error("the system user is visible")
	}
	if _, ok := srv.User(systemUserID); ok {
		t.Error("the system user is visible")
	}
	if err := srv.DeleteUser(a.User.Id); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Account(a.User.Id); ok {
		t.Error("deleted user still there")
	}
	var e *Error
	if err := srv.DisableUser(a.User.Id); !errors.As(err, &e) || e.Code != NotFound {
		t.Errorf("disabling a deleted user: %v", err)
	}
}

func TestNewSessionAndRevoke(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	a, _ := srv.CreateUser(NewUser{Username: "minted"})
	s, err := srv.NewSession(a.User.Id, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.account(s); got.User.Username != "minted" {
		t.Errorf("account %v", got)
	}
	srv.FastForward(1e9)
	if err := srv.RevokeSessions(a.User.Id); err != nil {
		t.Fatal(err)
	}
	c.send("GET", "/v2/account", "", bearerHeader(s)).fails(t, 401, Unauthenticated, "Auth token invalid")
}

func TestSeedMakesIDsRepeat(t *testing.T) {
	make2 := func() (string, string) {
		srv := NewServer(nil)
		srv.Seed(7)
		a, err := srv.CreateUser(NewUser{})
		if err != nil {
			t.Fatal(err)
		}
		return a.User.Id, a.User.Username
	}
	id1, name1 := make2()
	id2, name2 := make2()
	if id1 != id2 || name1 != name2 {
		t.Errorf("seeded servers differ: %s %s / %s %s", id1, name1, id2, name2)
	}
	if id1[14] != '4' {
		t.Errorf("id %s is not a version 4 UUID", id1)
	}
}
