package wsclient

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a Conn has
// none of its own, so any that remains is a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
