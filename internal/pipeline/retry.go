package pipeline

import (
	"context"
	"time"

	"github.com/certhunt/certhunt/internal/backoff"
	"github.com/certhunt/certhunt/internal/source"
)

// handleWithRetry retries a batch whose handling failed (a full disk, a locked database):
// handling is idempotent, so a retry never duplicates an incident, and the source's cursor
// stays put until it succeeds.
func (p *Pipeline) handleWithRetry(ctx context.Context, b source.Batch) error {
	wait := backoff.Backoff{Min: 100 * time.Millisecond, Max: 30 * time.Second}
	for {
		err := p.Handle(ctx, b)
		if err == nil || ctx.Err() != nil {
			return ctx.Err()
		}
		delay := wait.Next()
		p.Logger.Error("batch not handled, will retry", "err", err, "retry_in", delay)
		if !backoff.Sleep(ctx, delay) {
			return ctx.Err()
		}
	}
}
