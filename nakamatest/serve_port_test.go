package nakamatest

import "testing"

func TestPortBelow(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:7350": "127.0.0.1:7349",
		"127.0.0.1:0":    "127.0.0.1:0",
		":7350":          ":7349",
		"127.0.0.1:1":    "",
		"nope":           "",
	} {
		got, err := portBelow(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("portBelow(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
