// Package backoff is the one retry schedule of certhunt: every retry loop (CT fetches,
// certstream reconnects, notifications, feed refreshes, pipeline store retries) waits
// Min·2ⁿ, capped at Max, with "equal jitter": each wait is drawn from the upper half of its
// step, so that many clients failing together spread out, yet none retries at once.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff counts consecutive failures and says how long to wait after each. The zero value
// is not useful: set Min and Max (Max below Min is read as Min). Not safe for concurrent use.
type Backoff struct {
	Min, Max time.Duration
	failures int
}

// Next records a failure and returns the wait before the next attempt: within [s/2, s] where s
// is Step(Min, Max, failures).
func (b *Backoff) Next() time.Duration {
	b.failures++
	return Jitter(Step(b.Min, b.Max, b.failures))
}

// Reset forgets the failures after a success.
func (b *Backoff) Reset() { b.failures = 0 }

// Failures is the number of failures since the last Reset.
func (b *Backoff) Failures() int { return b.failures }

// Step is the un-jittered wait after n consecutive failures (n ≥ 1): min·2ⁿ⁻¹, capped at max.
func Step(min, max time.Duration, n int) time.Duration {
	max = maxDuration(max, min)
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max || d <= 0 {
		return max
	}
	return d
}

// Jitter spreads d over [d/2, d].
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Sleep waits d or until ctx ends, and reports whether the whole wait passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
