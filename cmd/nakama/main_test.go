package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gonakama/nakama/nakamagrpc"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemo runs the demo as the README's first command does and checks that
// every step happened.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo"}, &out, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"started nakamatest",
		"authenticated with a device id",
		"new account true",
		"authenticated with an email",
		`display name "Alice"`,
		"read alice's public save",
		"with the same, now stale, version: refused, InvalidArgument",
		"has a friend request from",
		"is now friends with",
		"best kept: 1200",
		"#1 bob-",
		`it answered {"hello":"from bob"}`,
		"opened a realtime socket",
		`heard alice-`,
		"hi bob, fancy a duel?",
		"was matched with 2 players and joined the match",
		`received op 1 "e2e4" from alice`,
		`received op 1 "e7e5" from bob`,
		"logged out",
		"after logout: ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out, &out); err == nil || !strings.Contains(out.String(), "usage: nakama") {
		t.Errorf("no command: err %v, output %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"frobnicate"}, &out, &out); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("unknown command: err %v", err)
	}
	if err := run(context.Background(), []string{"demo", "-url", "ftp://x"}, io.Discard, io.Discard); err == nil {
		t.Error("demo with a bad URL succeeded")
	}
}

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe starts the standalone server on a free port, checks that it
// answers, and stops it the way an interrupt does.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0"}, &out, &out) }()

	re := regexp.MustCompile(`listening on (http://\S+) and gRPC on (\S+)`)
	var url, grpcAddr string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url, grpcAddr = m[1], m[2]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("serve never said where it listens: %q", out.String())
	}
	resp, err := http.Get(url + "/healthcheck")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthcheck: %s", resp.Status)
	}
	g, err := nakamagrpc.NewClient(grpcAddr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Healthcheck(ctx); err != nil {
		t.Errorf("gRPC healthcheck: %v", err)
	}
	_ = g.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
