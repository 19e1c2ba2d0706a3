package nakamatest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heroiclabs/nakama-common/api"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestOptionsDefaults(t *testing.T) {
	s := NewServer(nil)
	want := Options{
		Addr:                 "127.0.0.1:0",
		GRPCAddr:             "127.0.0.1:0",
		ServerKey:            "defaultkey",
		HTTPKey:              "defaulthttpkey",
		EncryptionKey:        "defaultencryptionkey",
		RefreshEncryptionKey: "defaultrefreshencryptionkey",
		TokenExpiry:          60 * time.Second,
		RefreshTokenExpiry:   3600 * time.Second,
		MaxRequestSize:       262144,
	}
	got := s.opts
	got.Logger = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	if s.opts.Logger == nil {
		t.Error("nil Logger was not replaced by a silent one")
	}
}

func TestOptionsAreCopied(t *testing.T) {
	opts := &Options{ServerKey: "k", TokenExpiry: 1500 * time.Millisecond}
	s := NewServer(opts)
	if !reflect.DeepEqual(*opts, Options{ServerKey: "k", TokenExpiry: 1500 * time.Millisecond}) {
		t.Errorf("caller's options changed to %+v", *opts)
	}
	opts.ServerKey = "changed"
	if s.opts.ServerKey != "k" {
		t.Errorf("server key followed the caller's struct: %q", s.opts.ServerKey)
	}
	if s.opts.TokenExpiry != time.Second {
		t.Errorf("TokenExpiry %v, want whole seconds (1s)", s.opts.TokenExpiry)
	}
}

func TestLifecycle(t *testing.T) {
	s := NewServer(nil)
	if s.URL() != "" || s.Addr() != "" {
		t.Errorf("unstarted server has URL %q, Addr %q", s.URL(), s.Addr())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.URL() != "http://"+s.Addr() {
		t.Errorf("URL %q, Addr %q", s.URL(), s.Addr())
	}
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	resp, err := http.Get(s.URL() + "/healthcheck")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthcheck status %d", resp.StatusCode)
	}
	http.DefaultClient.CloseIdleConnections()
	s.Close()
	s.Close() // idempotent
	if err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
	if _, err := http.Get(s.URL() + "/healthcheck"); err == nil {
		t.Error("closed server still answers")
	}
}

func TestStartRefusesEqualKeys(t *testing.T) {
	_, err := Run(&Options{EncryptionKey: "same", RefreshEncryptionKey: "same"})
	if err == nil || !strings.Contains(err.Error(), "must differ") {
		t.Errorf("Run with equal keys: %v", err)
	}
}

type fakeTester struct {
	failed   string
	cleanups []func()
}

func (f *fakeTester) Helper()                           {}
func (f *fakeTester) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }
func (f *fakeTester) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }

func TestRunT(t *testing.T) {
	ft := &fakeTester{}
	s := RunT(ft, nil)
	if ft.failed != "" || s == nil || len(ft.cleanups) != 1 {
		t.Fatalf("RunT: failed %q, server %v, %d cleanups", ft.failed, s, len(ft.cleanups))
	}
	ft.cleanups[0]()
	if _, err := net.Dial("tcp", s.Addr()); err == nil {
		t.Error("server still listening after cleanup")
	}

	ft = &fakeTester{}
	if s := RunT(ft, &Options{Addr: "256.0.0.1:0"}); s != nil || ft.failed == "" {
		t.Errorf("RunT on a bad address: server %v, failure %q", s, ft.failed)
	}
}

func TestRestartKeepsState(t *testing.T) {
	srv, c := startServer(t, nil)
	sess := c.device("restart-device-1")
	addr := srv.Addr()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != addr {
		t.Errorf("address changed from %s to %s", addr, srv.Addr())
	}
	c.account(sess) // the user and its token survive
}

func TestCloseClientConnections(t *testing.T) {
	srv, _ := startServer(t, nil)
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()

	srv.CloseClientConnections()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Error("connection still open")
	}
	// The server keeps listening.
	resp2, err := http.Get(srv.URL() + "/healthcheck")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp2.Body.Close()
	http.DefaultClient.CloseIdleConnections()
}

func TestCloseWaitsForRequestsInFlight(t *testing.T) {
	srv := NewServer(nil)
	entered, release := make(chan struct{}), make(chan struct{})
	replaceHandler(srv, "Healthcheck", func(context.Context, *call, *emptypb.Empty) (*emptypb.Empty, error) {
		close(entered)
		<-release
		return &emptypb.Empty{}, nil
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	var status int
	var wg sync.WaitGroup
	wg.Go(func() {
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL() + "/healthcheck")
		if err != nil {
			t.Error(err)
			return
		}
		status = resp.StatusCode
		_ = resp.Body.Close()
	})
	<-entered
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned with a request in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-closed
	wg.Wait()
	if status != http.StatusOK {
		t.Errorf("in-flight request got %d", status)
	}
}

func TestPanickingHandler(t *testing.T) {
	srv := NewServer(nil)
	replaceHandler(srv, "GetUsers", func(context.Context, *call, *api.GetUsersRequest) (*api.Users, error) {
		panic("boom")
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &testClient{t: t, srv: srv, hc: &http.Client{Transport: tr}}
	sess := c.device("panic-device-1")
	c.send("GET", "/v2/user?ids="+claims(t, sess.Token)["uid"].(string), "", bearerHeader(sess)).
		fails(t, 500, Internal, "nakamatest: GetUsers handler panicked: boom")
	c.account(sess) // still serving
}

func TestDirectTimeControl(t *testing.T) {
	s := NewServer(nil)
	if d := time.Since(s.Now()); d < -time.Second || d > time.Second {
		t.Errorf("default clock is off by %v", d)
	}
	s.SetTime(fixedTime)
	if !s.Now().Equal(fixedTime) {
		t.Errorf("Now %v after SetTime(%v)", s.Now(), fixedTime)
	}
	s.FastForward(90 * time.Second)
	if want := fixedTime.Add(90 * time.Second); !s.Now().Equal(want) {
		t.Errorf("Now %v, want %v", s.Now(), want)
	}
	s.SetTime(time.Time{})
	s.FastForward(time.Hour)
	if d := time.Until(s.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("real clock fast-forwarded by %v, want 1h", d)
	}
}
