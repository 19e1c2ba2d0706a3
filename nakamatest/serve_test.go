package nakamatest

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/heroiclabs/nakama-common/runtime"
)

func TestServeWithModule(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	module := func(_ context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, init runtime.Initializer) error {
		return init.RegisterRpc("ping", func(context.Context, runtime.Logger, *sql.DB, runtime.NakamaModule, string) (string, error) {
			return "pong", nil
		})
	}
	go func() {
		done <- Serve(ctx, []string{"-addr", "127.0.0.1:0", "-http-key", "k2"}, pw, io.Discard, &Options{Modules: []InitModuleFunc{module}})
		_ = pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	// "... listening on URL and gRPC on ADDR"
	url := strings.Fields(line[strings.Index(line, "listening on ")+len("listening on "):])[0]
	resp, err := http.Post(url+"/v2/rpc/ping?http_key=k2&unwrap", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "pong" {
		t.Errorf("module RPC through Serve: %d %q", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
