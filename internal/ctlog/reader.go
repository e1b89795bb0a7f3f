package ctlog

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/certhunt/certhunt/internal/certs"
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

// Memory budgets. A log that answers with one huge entry at a time must not make a span
// gather hundreds of them: a span hands on what it has once it holds maxSpanBytes, and an
// entry larger than maxEntryBytes is recorded as malformed without its data. With the answer
// caps of httpGet, memory is bounded by parallel × (answer cap + span budget).
const (
	maxSpanBytes      = 32 << 20
	maxEntryBytes     = 4 << 20
	maxMalformedBytes = 64 << 10 // data kept with a malformed entry, for diagnosis
)

// reader fetches ranges of one log with a few requests in flight, retrying every failed
// request with backoff until it succeeds or ctx ends, and hands batches on in log order.
type reader struct {
	client   logClient
	parallel int
	opts     FollowerOptions
	logger   *slog.Logger
	counters *counters
	// spanBytes is the span budget (maxSpanBytes when zero; tests make it small).
	spanBytes int64
}

// entryBytes is the memory an entry holds.
func entryBytes(e *certs.Entry) int64 {
	n := int64(len(e.DER) + len(e.TBS))
	for _, c := range e.Chain {
		n += int64(len(c))
	}
	return n
}

// readRange reads [from, to) and calls emit with each batch in order; it stops when emit
// returns false or ctx ends, and otherwise returns only once the whole range is emitted.
func (r *reader) readRange(ctx context.Context, from, to int64, partial bool, emit func(source.Batch) bool) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		batch source.Batch
		rest  span // what the span budget left for later
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
				b, rest, ok := r.fetchSpan(ctx, s)
				done <- result{b, rest, ok}
			}()
		}
	}()
	for done := range queue {
		res := <-done
		for {
			if !res.ok || !emit(res.batch) {
				return
			}
			if res.rest.start >= res.rest.end {
				break
			}
			// The span hit its budget: read the rest here, in order, one budget at a time.
			b, rest, ok := r.fetchSpan(ctx, res.rest)
			res = result{b, rest, ok}
		}
	}
}

// fetchSpan fetches s, request after request (a log may answer with fewer entries than
// asked), retrying failures with backoff, until s is done or the batch holds the span budget;
// it returns the batch and the part of s left. It fails only when ctx ends.
func (r *reader) fetchSpan(ctx context.Context, s span) (source.Batch, span, bool) {
	var out source.Batch
	budget := r.spanBytes
	if budget <= 0 {
		budget = maxSpanBytes
	}
	var held int64
	bo := backoff{min: r.opts.MinBackoff, max: r.opts.MaxBackoff}
	for pos := s.start; pos < s.end; {
		if held >= budget {
			return out, span{pos, s.end}, true
		}
		b, n, err := r.client.fetch(ctx, span{pos, s.end})
		if err != nil {
			if ctx.Err() != nil {
				return out, span{}, false
			}
			r.counters.record(err)
			wait := bo.next(err)
			r.logger.Warn("ct fetch failed, retrying", "from", pos, "to", s.end, "kind", errorKind(err), "retry_in", wait, "err", err)
			if !sleep(ctx, wait) {
				return out, span{}, false
			}
			continue
		}
		bo.reset()
		for i := range b.Entries {
			e := &b.Entries[i]
			if size := entryBytes(e); size > maxEntryBytes {
				out.Malformed = append(out.Malformed, source.Malformed{Log: e.Log, Index: e.Index,
					Err: fmt.Sprintf("entry of %d bytes, more than %d", size, maxEntryBytes)})
				continue
			}
			held += entryBytes(e)
			out.Entries = append(out.Entries, *e)
		}
		for _, m := range b.Malformed {
			if len(m.Data) > maxMalformedBytes {
				m.Data = bytes.Clone(m.Data[:maxMalformedBytes]) // a copy lets the answer go
			}
			held += int64(len(m.Data))
			out.Malformed = append(out.Malformed, m)
		}
		out.LeafHashes = append(out.LeafHashes, b.LeafHashes...)
		pos += n
	}
	return out, span{}, true
}

// probeSize checks that the log serves the last entry of a tree of size entries, so that a
// lying tree head (a size of 2^63-1, say) is refused instead of becoming the cursor of a
// follower that starts at the end, which would then never read the log again.
func probeSize(ctx context.Context, c logClient, size int64) error {
	if size <= 0 {
		return nil
	}
	for s := range c.spans(size-1, size, true) {
		if _, _, err := c.fetch(ctx, s); err != nil {
			return fetchErr(KindDecode, "tree size %d: the log does not serve entry %d (%v)", size, size-1, err)
		}
		return nil
	}
	return fetchErr(KindDecode, "tree size %d: no entry %d to read", size, size-1)
}
