package nakamatest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
)

func TestIndexQuery(t *testing.T) {
	doc := newIndexDoc()
	var label map[string]any
	if err := json.Unmarshal([]byte(`{"mode":"ffa","level":10,"open":true,"tags":["a","b"],"at":"2026-05-01T12:00:00Z","name":"red fox","sub":{"x":"y"}}`), &label); err != nil {
		t.Fatal(err)
	}
	doc.walk("label", label)
	doc.keyword("handler_name", "h")
	cases := []struct {
		q     string
		match bool
	}{
		{"*", true},
		{"label.mode:ffa", true},
		{"label.mode:FFA", false},
		{"+label.mode:ffa +label.level:10", true},
		{"+label.mode:ffa +label.level:>=10", true},
		{"+label.mode:ffa +label.level:>10", false},
		{"label.level:<11", true},
		{"label.level:<=9", false},
		{"label.level:>-5", true},
		{"label.open:T", true},
		{"label.open:true", false},
		{"label.tags:b", true},
		{"label.sub.x:y", true},
		{`label.name:"red fox"`, true},
		{`label.name:red\ fox`, true},
		{"label.name:red", false},
		{"label.mode:f*", true},
		{"label.mode:f?a", true},
		{"label.mode:/f+a/", true},
		{"label.mode:/f/", false},
		{"label.mode:fa~1", true},
		{`label.at:>"2026-01-01T00:00:00Z"`, true},
		{`label.at:<"2026-01-01T00:00:00Z"`, false},
		{"label.at:2026", false}, // dates are not keywords
		{"ffa", false},           // no default field
		{"label.mode:xyz label.level:10", true},
		{"label.mode:xyz label.level:11", false},
		{"-label.mode:ffa", false},
		{"-label.mode:xyz", true},
		{"+label.mode:ffa -label.level:10", false},
		{"+label.mode:ffa label.level:99", true},
		{"handler_name:h^2", true},
	}
	for _, c := range cases {
		q, err := parseIndexQuery(c.q)
		if err != nil {
			t.Errorf("parse %q: %v", c.q, err)
			continue
		}
		if ok, _ := q.eval(doc); ok != c.match {
			t.Errorf("%q matched %v, want %v", c.q, ok, c.match)
		}
	}
	for _, bad := range []string{`label.x:"open`, "   ", "+", "label.x:>", "label.x:>abc", "label.x:~", "a:b:c:"} {
		if _, err := parseIndexQuery(bad); err == nil {
			t.Errorf("parse %q succeeded", bad)
		}
	}
	// Should clauses raise the score.
	q, _ := parseIndexQuery("label.mode:ffa label.level:10 label.open:F")
	if _, score := q.eval(doc); score != 2 {
		t.Errorf("score %v, want 2", score)
	}
}

func TestListMatches(t *testing.T) {
	srv, c := startServer(t, nil)
	srv.SetTime(fixedTime)
	s := c.device("match-device-01")
	older, _ := srv.AddMatch(Match{Authoritative: true, Label: `{"mode":"ffa","level":5}`, Size: 0, TickRate: 10, HandlerName: "h"})
	srv.FastForward(time.Second)
	newer, _ := srv.AddMatch(Match{Authoritative: true, Label: `{"mode":"ffa","level":20}`, Size: 3})
	relayed, _ := srv.AddMatch(Match{Size: 2})
	if !strings.HasSuffix(older, ".nakama") || !strings.HasSuffix(relayed, ".") || strings.HasSuffix(relayed, "nakama") {
		t.Errorf("ids %q %q", older, relayed)
	}
	ids := func(query string) string {
		t.Helper()
		l := &api.MatchList{}
		c.send("GET", "/v2/match"+query, "", bearerHeader(s)).ok(t, l)
		var out []string
		for _, m := range l.Matches {
			switch m.MatchId {
			case older:
				out = append(out, "older")
			case newer:
				out = append(out, "newer")
			case relayed:
				out = append(out, "relayed")
			}
		}
		return strings.Join(out, ",")
	}
	// Authoritative newest first, then relayed ones; sizes filter both.
	for query, want := range map[string]string{
		"":                       "newer,older,relayed",
		"?limit=1":               "newer",
		"?authoritative=true":    "newer,older",
		"?authoritative=false":   "relayed",
		"?min_size=1":            "newer,relayed",
		"?max_size=2":            "older,relayed",
		"?min_size=0&max_size=0": "older",
		"?label=" + url.QueryEscape(`{"mode":"ffa","level":5}`):     "older",
		"?query=" + url.QueryEscape("+label.level:>=10"):            "newer",
		"?query=" + url.QueryEscape("label.level:5 label.mode:ffa"): "older,newer",
		"?query=":             "newer,older",
		"?query=*&min_size=2": "newer",
	} {
		if got := ids(query); got != want {
			t.Errorf("ListMatches%s = %s, want %s", query, got, want)
		}
	}
	l := &api.MatchList{}
	c.send("GET", "/v2/match?authoritative=true&limit=1&min_size=0", "", bearerHeader(s)).ok(t, l)
	if m := l.Matches[0]; !m.Authoritative || m.Label.GetValue() != `{"mode":"ffa","level":20}` || m.Size != 3 {
		t.Errorf("match %v", m)
	}
	c.send("GET", "/v2/match?authoritative=false", "", bearerHeader(s)).ok(t, l)
	if m := l.Matches[0]; m.Authoritative || m.Label != nil || m.Size != 2 || m.TickRate != 0 {
		t.Errorf("relayed match %v", m)
	}

	if err := srv.UpdateMatch(newer, Match{Label: `{"mode":"tdm"}`, Size: 1}); err != nil {
		t.Fatal(err)
	}
	if got := ids("?query=" + url.QueryEscape("label.mode:tdm")); got != "newer" {
		t.Errorf("after update: %s", got)
	}
	if !srv.RemoveMatch(older) || srv.RemoveMatch(older) {
		t.Error("RemoveMatch does not report existence")
	}
	if got := ids(""); got != "newer,relayed" {
		t.Errorf("after remove: %s", got)
	}
	if err := srv.UpdateMatch(older, Match{}); asError(err).Code != NotFound {
		t.Errorf("updating a removed match: %v", err)
	}
	if _, err := srv.AddMatch(Match{Authoritative: true, Label: strings.Repeat("x", 2049)}); err == nil {
		t.Error("an over-long label was accepted")
	}

	for query, msg := range map[string]string{
		"?limit=0":                     msgLimit100,
		"?label=x&authoritative=false": "Label filtering is not supported for non-authoritative matches.",
		"?query=x&authoritative=false": "Query filtering is not supported for non-authoritative matches.",
		"?min_size=-1":                 "Minimum size must be 0 or above.",
		"?max_size=-1":                 "Maximum size must be 0 or above.",
		"?min_size=2&max_size=1":       "Maximum size must be greater than or equal to minimum size when both are specified.",
	} {
		c.send("GET", "/v2/match"+query, "", bearerHeader(s)).fails(t, 400, InvalidArgument, msg)
	}
	c.send("GET", "/v2/match?query="+url.QueryEscape(`label.x:"open`), "", bearerHeader(s)).
		fails(t, 500, Internal, "Error listing matches.")
}

func TestMatchmakerStatsIdle(t *testing.T) {
	srv, c := startServer(t, nil)
	s := c.device("match-device-02")
	r := c.send("GET", "/v2/matchmaker/stats", "", bearerHeader(s))
	if r.status != 200 || r.body != "{}" {
		t.Errorf("idle stats: %d %s", r.status, r.body)
	}
	srv.mu.Lock()
	srv.matches.matchmakerStats = func() *api.MatchmakerStats { return &api.MatchmakerStats{TicketCount: 2} }
	srv.mu.Unlock()
	st := &api.MatchmakerStats{}
	c.send("GET", "/v2/matchmaker/stats", "", bearerHeader(s)).ok(t, st)
	if st.TicketCount != 2 {
		t.Errorf("stats %v", st)
	}
}
