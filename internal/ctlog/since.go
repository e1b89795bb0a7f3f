package ctlog

import (
	"context"
	"fmt"
	"time"

	"github.com/certhunt/certhunt/internal/source"
)

// FindSince returns the first index of the log whose entry was logged at or after t, found by
// binary search over entry timestamps (one fetch per probe: an entry, or a tile for a static
// log), and the tree size it searched. CT timestamps are only roughly ordered (a log may
// sequence entries up to its MMD late), so the start is as good as the log's order; it
// returns the tree size when every entry is older than t.
func FindSince(ctx context.Context, info LogInfo, t time.Time, opts FollowerOptions) (int64, int64, error) {
	opts = opts.withDefaults()
	opts.BatchSize = 1 // a probe needs one RFC 6962 entry, not a batch
	client, err := newClient(info, opts)
	if err != nil {
		return 0, 0, err
	}
	th, err := scanTreeHead(ctx, client, opts)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", info.URL, err)
	}
	lo, hi := int64(0), th.Size
	for lo < hi {
		mid := lo + (hi-lo)/2
		ts, next, err := probeTime(ctx, client, opts, mid, th.Size)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: finding the entries since %s: %w", info.URL, t.Format(time.RFC3339), err)
		}
		if ts.Before(t) {
			// Every entry up to the probed one is taken as older.
			lo = next + 1
		} else {
			hi = mid
		}
	}
	return lo, th.Size, nil
}

// probeSpans bounds how far past a malformed entry a probe looks for a readable one.
const probeSpans = 8

// probeTime returns the timestamp of the first readable entry at or after i (below size) and
// its index; an unreadable stretch counts as newer than anything.
func probeTime(ctx context.Context, client logClient, opts FollowerOptions, i, size int64) (time.Time, int64, error) {
	n := 0
	for s := range client.spans(i, size, true) {
		if n++; n > probeSpans {
			break
		}
		batch, err := fetchRetrying(ctx, client, opts, s)
		if err != nil {
			return time.Time{}, 0, err
		}
		best := int64(-1)
		var ts time.Time
		for _, e := range batch.Entries {
			if e.Index >= i && (best < 0 || e.Index < best) {
				best, ts = e.Index, e.Timestamp
			}
		}
		if best >= 0 {
			return ts, best, nil
		}
	}
	return time.Now().Add(24 * time.Hour), i, nil
}

// fetchRetrying is one span fetched as a scan does, retrying a few times with backoff.
func fetchRetrying(ctx context.Context, client logClient, opts FollowerOptions, s span) (source.Batch, error) {
	bo := backoff{min: opts.MinBackoff, max: opts.MaxBackoff}
	for attempt := 1; ; attempt++ {
		b, _, err := client.fetch(ctx, s)
		if err == nil || attempt == scanTreeHeadAttempts || !sleep(ctx, bo.next(err)) {
			return b, err
		}
	}
}
