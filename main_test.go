//go:build !js

package nakama

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: DefaultClient
// starts none, so any that remains is a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
