package nakamagrpc_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRESTOnlyDoesNotLinkGRPC checks that grpc stays out of programs that
// do not import this package: the root package and a REST-only program,
// natively and for the browser.
func TestRESTOnlyDoesNotLinkGRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH, so the import graph cannot be listed")
	}
	for _, env := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		cmd := exec.Command(goTool, "list", "-deps", "github.com/gonakama/nakama", "./testdata/restonly")
		cmd.Env = append(cmd.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list %v: %v\n%s", env, err, out)
		}
		if !strings.Contains(string(out), "github.com/gonakama/nakama\n") {
			t.Fatalf("go list %v did not list the root package:\n%s", env, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.HasPrefix(pkg, "google.golang.org/grpc") || strings.HasSuffix(pkg, "/nakamagrpc") {
				t.Errorf("a REST-only program links %s (%v)", pkg, env)
			}
		}
	}
}
