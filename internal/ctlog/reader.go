package ctlog

import (
	"context"
	"iter"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/certhunt/certhunt/internal/source"
)

// span is a run [start, end) of log entries fetched as one unit: a get-entries batch or
// the part of one data tile.
type span struct{ start, end int64 }

// logClient is what a follower needs from a log of either API.
type logClient interface {
	// treeHead fetches and verifies the log's current tree head.
	treeHead(ctx context.Context) (TreeHead, error)
	// spans splits [from, to) into fetch units; partial allows a static log's last,
	// incomplete tile.
	spans(from, to int64, partial bool) iter.Seq[span]
	// fetch makes one attempt at s and returns the first n > 0 of its entries (malformed
	// ones recorded in the batch), or an error.
	fetch(ctx context.Context, s span) (b source.Batch, n int64, err error)
}

// counters are a log's fetch health, shared by the follower and its reader.
type counters struct {
	errors atomic.Int64

	mu        sync.Mutex
	lastError string
	byKind    map[string]int64
}

func (c *counters) record(err error) {
	c.errors.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKind == nil {
		c.byKind = map[string]int64{}
	}
	c.byKind[errorKind(err)]++
	c.lastError = err.Error()
}

// reader fetches ranges of one log with a few requests in flight, retrying every failed
// request with backoff until it succeeds or ctx ends, and hands batches on in log order.
type reader struct {
	client   logClient
	parallel int
	opts     FollowerOptions
	logger   *slog.Logger
	counters *counters
}

// readRange reads [from, to) and calls emit with each batch in order; it stops when emit
// returns false or ctx ends, and otherwise returns only once the whole range is emitted.
func (r *reader) readRange(ctx context.Context, from, to int64, partial bool, emit func(source.Batch) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		batch source.Batch
		ok    bool
	}
	// Each queued channel is one span in flight; the queue's capacity plus the one the
	// emitter waits on bounds the requests in flight to r.parallel.
	queue := make(chan chan result, r.parallel-1)
	go func() {
		defer close(queue)
		for s := range r.client.spans(from, to, partial) {
			done := make(chan result, 1)
			select {
			case queue <- done:
			case <-ctx.Done():
				return
			}
			go func() {
				b, ok := r.fetchSpan(ctx, s)
				done <- result{b, ok}
			}()
		}
	}()
	for done := range queue {
		res := <-done
		if !res.ok || !emit(res.batch) {
			return
		}
	}
}

// fetchSpan fetches all of s, request after request (a log may answer with fewer entries
// than asked), retrying failures with backoff. It fails only when ctx ends.
func (r *reader) fetchSpan(ctx context.Context, s span) (source.Batch, bool) {
	var out source.Batch
	bo := backoff{min: r.opts.MinBackoff, max: r.opts.MaxBackoff}
	for pos := s.start; pos < s.end; {
		b, n, err := r.client.fetch(ctx, span{pos, s.end})
		if err != nil {
			if ctx.Err() != nil {
				return out, false
			}
			r.counters.record(err)
			wait := bo.next(err)
			r.logger.Warn("ct fetch failed, retrying", "from", pos, "to", s.end, "kind", errorKind(err), "retry_in", wait, "err", err)
			if !sleep(ctx, wait) {
				return out, false
			}
			continue
		}
		bo.reset()
		out.Entries = append(out.Entries, b.Entries...)
		out.Malformed = append(out.Malformed, b.Malformed...)
		out.LeafHashes = append(out.LeafHashes, b.LeafHashes...)
		pos += n
	}
	return out, true
}
