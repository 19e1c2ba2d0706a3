package nakamatest

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
)

// Serve runs a server from command-line arguments until ctx ends: what
// "go run ./cmd/nakama serve" runs, offered so a program can serve its own
// Go server modules to clients in any language. args are the flags (-addr,
// default 127.0.0.1:7350; -grpc-addr, default -addr's port minus one;
// -server-key; -http-key); base gives every other
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
	addr := fs.String("addr", "127.0.0.1:7350", "address to listen on for REST and the realtime socket")
	grpcAddr := fs.String("grpc-addr", "", "address to listen on for gRPC (default: -addr's port minus one, as the real server binds it)")
	serverKey := fs.String("server-key", "defaultkey", "server key clients authenticate with")
	httpKey := fs.String("http-key", "defaulthttpkey", "runtime http key for server-to-server RPC")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *grpcAddr == "" {
		var err error
		if *grpcAddr, err = portBelow(*addr); err != nil {
			return err
		}
	}
	opts.Addr, opts.GRPCAddr, opts.ServerKey, opts.HTTPKey = *addr, *grpcAddr, *serverKey, *httpKey
	srv, err := Run(&opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(stdout, "nakamatest (Nakama 3.40 API, in memory) listening on %s and gRPC on %s\n", srv.URL(), srv.GRPCAddr())
	fmt.Fprintf(stdout, "server key %q, http key %q; interrupt to stop\n", *serverKey, *httpKey)
	if n := len(opts.Modules); n > 0 {
		fmt.Fprintf(stdout, "%d Go module(s) loaded\n", n)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return nil
}

// portBelow returns addr with its port minus one; port 0 (any free port)
// stays 0.
func portBelow(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("serve: bad -addr %q: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || n == 1 {
		return "", fmt.Errorf("serve: -addr %q has no port below it for gRPC; set -grpc-addr", addr)
	}
	if n > 0 {
		n--
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}
