package nakamatest_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/signal"

	"github.com/gonakama/nakama/nakamatest"
	"github.com/heroiclabs/nakama-common/runtime"
)

// InitModule is a Go server module, as a Nakama plugin exports it.
func InitModule(ctx context.Context, logger runtime.Logger, db *sql.DB, nk runtime.NakamaModule, initializer runtime.Initializer) error {
	return initializer.RegisterRpc("hello", func(ctx context.Context, _ runtime.Logger, _ *sql.DB, _ runtime.NakamaModule, payload string) (string, error) {
		user, _ := ctx.Value(runtime.RUNTIME_CTX_USER_ID).(string)
		return `{"hello":"` + user + `"}`, nil
	})
}

// A test hosts the module in-process: its RPCs, hooks and matches serve
// every client of the server.
func ExampleOptions_modules() {
	srv, err := nakamatest.Run(&nakamatest.Options{Modules: []nakamatest.InitModuleFunc{InitModule}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(len(nakamatest.NotModelledNakamaModule()) > 0)
	// Output: true
}

// The main of a program that serves its module to clients in any
// language, as "go run ./cmd/nakama serve" serves nakamatest alone (try
// "go run . -addr 127.0.0.1:7350").
func ExampleServe() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := nakamatest.Serve(ctx, os.Args[1:], os.Stdout, os.Stderr,
		&nakamatest.Options{Modules: []nakamatest.InitModuleFunc{InitModule}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
