package nakamatest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/heroiclabs/nakama-common/api"
)

func TestListParties(t *testing.T) {
	srv, c := startServer(t, nil)
	s := c.device("party-device-01")
	var open []string
	for i, p := range []Party{
		{Open: true, MaxSize: 4, Label: `{"mode":"coop"}`},
		{Open: false, MaxSize: 4},
		{Open: true, MaxSize: 2},
		{Open: true, MaxSize: 8, Hidden: true},
		{Open: true, MaxSize: 3, Label: `{"mode":"pvp"}`},
	} {
		id, err := srv.AddParty(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(id, ".nakama") {
			t.Errorf("party id %q", id)
		}
		if p.Open && !p.Hidden {
			open = append(open, id)
		}
		_ = i
	}
	list := func(query string) *api.PartyList {
		t.Helper()
		l := &api.PartyList{}
		c.send("GET", "/v2/party"+query, "", bearerHeader(s)).ok(t, l)
		return l
	}
	all := list("")
	if len(all.Parties) != 4 || all.Cursor != "" {
		t.Fatalf("listing %v", all)
	}
	if p := all.Parties[0]; p.Label != `{"mode":"coop"}` || p.MaxSize != 4 || !p.Open || p.Hidden {
		t.Errorf("party %v", p)
	}
	if all.Parties[2].Label != "{}" {
		t.Errorf("a party without a label lists %q", all.Parties[2].Label)
	}
	// Paging through the open ones.
	var got []string
	query := "?open=true&limit=2"
	for i := 0; ; i++ {
		l := list(query)
		for _, p := range l.Parties {
			got = append(got, p.PartyId)
		}
		if l.Cursor == "" {
			break
		}
		query = "?open=true&limit=2&cursor=" + l.Cursor
		if i > 3 {
			t.Fatal("paging does not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(open, ",") {
		t.Errorf("open parties %v, want %v", got, open)
	}
	if l := list("?open=false"); len(l.Parties) != 1 || l.Parties[0].Open {
		t.Errorf("closed parties %v", l.Parties)
	}
	if l := list("?query=" + url.QueryEscape("+label.mode:pvp")); len(l.Parties) != 1 || l.Parties[0].MaxSize != 3 {
		t.Errorf("query %v", l.Parties)
	}
	if l := list("?query=" + url.QueryEscape("+max_size:>=4")); len(l.Parties) != 2 {
		t.Errorf("max size query %v", l.Parties)
	}
	// A cursor continues only its own listing.
	first := list("?limit=1")
	for _, q := range []string{"?limit=2", "?limit=1&open=true", "?limit=1&query=x"} {
		c.send("GET", "/v2/party"+q+"&cursor="+first.Cursor, "", bearerHeader(s)).fails(t, 500, Internal, "Error listing matches.")
	}
	if l := list("?limit=1&cursor=" + first.Cursor); len(l.Parties) != 1 || l.Parties[0].PartyId == first.Parties[0].PartyId {
		t.Errorf("second page %v", l)
	}
	c.send("GET", "/v2/party?cursor=%25", "", bearerHeader(s)).fails(t, 500, Internal, "Error listing matches.")
	c.send("GET", "/v2/party?query="+url.QueryEscape(`"x`), "", bearerHeader(s)).fails(t, 500, Internal, "Error listing matches.")
	c.send("GET", "/v2/party?limit=101", "", bearerHeader(s)).fails(t, 400, InvalidArgument, msgLimit100)

	if err := srv.UpdateParty(open[0], Party{Open: false, MaxSize: 4}); err != nil {
		t.Fatal(err)
	}
	if !srv.RemoveParty(open[1]) || srv.RemoveParty(open[1]) {
		t.Error("RemoveParty does not report existence")
	}
	if l := list("?open=true"); len(l.Parties) != 1 {
		t.Errorf("after update and remove %v", l.Parties)
	}
	if _, err := srv.AddParty(Party{Hidden: true, Label: `{"a":1}`}); err == nil {
		t.Error("a hidden party with a label was accepted")
	}
	if _, err := srv.AddParty(Party{Label: `[1]`}); err == nil {
		t.Error("a non-object label was accepted")
	}
}
