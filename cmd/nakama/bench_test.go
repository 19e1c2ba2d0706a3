package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gonakama/nakama/nakamatest"
)

// TestBenchRelay runs a short relay against an in-process nakamatest and
// checks that every contender relayed and was measured. It asserts no
// figure: those depend on the machine.
func TestBenchRelay(t *testing.T) {
	srv := nakamatest.RunT(t, nil)
	for _, format := range []string{"protobuf", "json"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"bench", "relay", "-url", srv.URL(), "-format", format,
			"-messages", "300", "-window", "20", "-rounds", "1", "-idle", "3", "-frame", "0"}, &out, &out)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out.String())
		}
		for _, want := range []string{"relay: " + format, "gonakama Tick ", "gonakama AutoDispatch ", "naive Go (",
			"idle: 3 connected sockets", "gonakama adapter only"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: output lacks %q:\n%s", format, want, out.String())
			}
		}
	}
}

func TestBenchRelayBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench"},
		{"bench", "nope"},
		{"bench", "relay", "-format", "xml"},
		{"bench", "relay", "-messages", "0"},
		{"bench", "relay", "-window", "-1"},
		{"bench", "relay", "-contenders", "tick,fast", "-url", "http://127.0.0.1:1"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
