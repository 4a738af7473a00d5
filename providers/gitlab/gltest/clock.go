package gltest

import (
	"time"

	"github.com/regbridge/regbridge/providers/internal/fakeupstream"
)

// Clock is a settable clock, safe for concurrent use. Hand its Now method to
// the fake and to the code under test (providers.Deps.Now) so both agree on
// the time.
type Clock = fakeupstream.Clock

// NewClock returns a Clock stopped at t.
func NewClock(t time.Time) *Clock { return fakeupstream.NewClock(t) }
