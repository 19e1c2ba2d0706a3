package main

import (
	"context"
	"io"

	"github.com/gonakama/nakama/nakamatest"
)

// serve runs nakamatest until ctx ends; nakamatest.Serve is the same entry
// point for programs that add their own Go modules.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return nakamatest.Serve(ctx, args, stdout, stderr, nil)
}
