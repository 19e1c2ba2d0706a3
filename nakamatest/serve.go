package nakamatest

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// Serve runs a server from command-line arguments until ctx ends: what
// "go run ./cmd/nakama serve" runs, offered so a program can serve its own
// Go server modules to clients in any language. args are the flags (-addr,
// default 127.0.0.1:7350; -server-key; -http-key); base gives every other
// setting, such as Options.Modules (nil means defaults; the flags win over
// its Addr, ServerKey and HTTPKey). It reports on stdout where it listens,
// flag errors on stderr, and returns once the server is closed.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer, base *Options) error {
	var opts Options
	if base != nil {
		opts = *base
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7350", "address to listen on")
	serverKey := fs.String("server-key", "defaultkey", "server key clients authenticate with")
	httpKey := fs.String("http-key", "defaulthttpkey", "runtime http key for server-to-server RPC")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts.Addr, opts.ServerKey, opts.HTTPKey = *addr, *serverKey, *httpKey
	srv, err := Run(&opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "nakamatest (Nakama 3.40 API, in memory) listening on %s\n", srv.URL())
	fmt.Fprintf(stdout, "server key %q, http key %q; interrupt to stop\n", *serverKey, *httpKey)
	if n := len(opts.Modules); n > 0 {
		fmt.Fprintf(stdout, "%d Go module(s) loaded\n", n)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return nil
}
