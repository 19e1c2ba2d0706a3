package nakama

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain is main_test.go's, less the goroutine that the js/wasm runtime
// keeps for the call from JavaScript that started the program: it is the
// runtime's, not a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}
