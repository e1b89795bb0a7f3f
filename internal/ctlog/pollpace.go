package ctlog

import (
	"time"

	bo "github.com/certhunt/certhunt/internal/backoff"
)

// DefaultMinPollInterval is how soon a follower asks again for the tree head of a log that just
// grew: busy logs publish new heads every second or so, and a certificate should become an
// incident within about a second of its head.
const DefaultMinPollInterval = time.Second

// pollPace picks the wait before the next tree head: the short interval while the log keeps
// growing, doubling up to the configured poll interval while it stays the same size, so that
// busy logs are read at once and idle ones are asked less (one cheap request a second at most).
type pollPace struct {
	min, max time.Duration
	idle     int // tree heads in a row that did not grow the log
}

// newPollPace paces between lo and hi; lo above hi is hi (tests poll faster than a second).
func newPollPace(lo, hi time.Duration) *pollPace {
	lo = max(min(lo, hi), time.Millisecond)
	return &pollPace{min: lo, max: max(hi, lo)}
}

// next is the wait after a tree head that grew the log, or did not: internal/backoff's
// doubling steps, without jitter, counted from the last growth.
func (p *pollPace) next(grew bool) time.Duration {
	if grew {
		p.idle = 0
		return p.min
	}
	p.idle++
	return bo.Step(p.min, p.max, p.idle)
}
