package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gonakama/nakama/nakamatest"
)

// serve runs nakamatest until ctx ends.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7350", "address to listen on")
	serverKey := fs.String("server-key", "defaultkey", "server key clients authenticate with")
	httpKey := fs.String("http-key", "defaulthttpkey", "runtime http key for server-to-server RPC")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := nakamatest.Run(&nakamatest.Options{Addr: *addr, ServerKey: *serverKey, HTTPKey: *httpKey})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "nakamatest (Nakama 3.40 API, in memory) listening on %s\n", srv.URL())
	fmt.Fprintf(stdout, "server key %q, http key %q; interrupt to stop\n", *serverKey, *httpKey)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return nil
}
