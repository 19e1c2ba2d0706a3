// Command nakama runs gonakama's tools: an in-memory Nakama server for
// development, and a demo of the client.
//
//	nakama serve [-addr 127.0.0.1:7350] [-server-key defaultkey] [-http-key defaulthttpkey]
//	nakama demo  [-url http://host:7350] [-server-key defaultkey] [-http-key defaulthttpkey]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: nakama <command> [flags]

commands:
  serve   run nakamatest, an in-memory Nakama-compatible server, until interrupted
  demo    play a short scripted session of two players, against nakamatest
          in this process unless -url names a server
  bench   relay: measure the client's CPU, syscalls, allocations and idle
          memory per message against a naive Go client

run "nakama <command> -h" for a command's flags
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "nakama:", err)
		}
		os.Exit(2)
	}
}

// run dispatches to a command; it is main without the process around it,
// so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "bench":
		return bench(ctx, args[1:], stdout, stderr)
	case "web":
		return web(ctx, args[1:], stdout, stderr)
	case "load":
		return loadCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
