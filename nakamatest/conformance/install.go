package conformance

import (
	"github.com/gonakama/nakama/nakamatest"
)

// installers are the fixture installers of each area; each area file adds
// its own from init, so Install grows with the suite.
var installers []func(*nakamatest.Server)

// Install gives a nakamatest server the suite's fixtures natively: the same
// Fixture* functions the Lua module gives a real server.
func Install(s *nakamatest.Server) {
	for _, f := range installers {
		f(s)
	}
}
