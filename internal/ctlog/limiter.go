package ctlog

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/certhunt/certhunt/internal/source"
)

// aimd is a log's adaptive limit on requests in flight: it halves when the log says it is
// overloaded (429 or 503) and grows by one after a limit's worth of successes, between 1
// and the configured Parallel. A log that rate-limits is thus asked less often instead of
// being retried at full width; a healthy one is read at full width.
type aimd struct {
	mu       sync.Mutex
	limit    int
	max      int
	inflight int
	ok       int // successes since the limit last changed
	// epoch changes with every decrease; a failure of a request sent before the last
	// decrease does not decrease again, so one burst of 429s halves the limit once.
	epoch uint64
	wake  chan struct{} // closed when a slot frees up
}

func newAIMD(parallel int) *aimd {
	parallel = max(parallel, 1)
	return &aimd{limit: parallel, max: parallel, wake: make(chan struct{})}
}

// acquire waits for a slot; it returns the epoch to hand back to release, or false when
// ctx ends first.
func (l *aimd) acquire(ctx context.Context) (uint64, bool) {
	for {
		l.mu.Lock()
		if l.inflight < l.limit {
			l.inflight++
			epoch := l.epoch
			l.mu.Unlock()
			return epoch, true
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return 0, false
		}
	}
}

// release frees a slot and adapts the limit to how the request went.
func (l *aimd) release(epoch uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	switch {
	case overloaded(err):
		if epoch == l.epoch {
			l.limit = max(l.limit/2, 1)
			l.ok = 0
			l.epoch++
		}
	case err == nil:
		if l.ok++; l.ok >= l.limit && l.limit < l.max {
			l.limit++
			l.ok = 0
		}
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// current returns the limit in force.
func (l *aimd) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// overloaded reports a 429 or a 503: the log asking to be asked less.
func overloaded(err error) bool {
	var fe *FetchError
	return errors.As(err, &fe) && (fe.Kind == KindRateLimited || fe.Status == http.StatusServiceUnavailable)
}

// limitedClient passes a log's entry fetches through its adaptive limit.
type limitedClient struct {
	logClient
	limit *aimd
}

func (c limitedClient) fetch(ctx context.Context, s span) (source.Batch, int64, error) {
	epoch, ok := c.limit.acquire(ctx)
	if !ok {
		return source.Batch{}, 0, ctx.Err()
	}
	b, n, err := c.logClient.fetch(ctx, s)
	c.limit.release(epoch, err)
	return b, n, err
}
