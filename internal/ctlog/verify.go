package ctlog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/certhunt/certhunt/internal/source"
)

// Content verification.
//
// A signed tree head only proves what the log says its tree is; a monitor must also check
// that the entries it reads are the leaves of that tree, and that each new head extends
// the previous one, or a log could show it altered or hidden entries. certhunt checks
// both, with golang.org/x/mod/sumdb/tlog doing the Merkle arithmetic (its hashes and
// proofs are RFC 6962's):
//
//   - static-ct-api: every data tile's leaf hashes are authenticated through the log's
//     hash tiles up to the checkpoint root (tlog.TileHashReader), before the entries are
//     handed on; consecutive checkpoints are checked with a consistency proof built from
//     hash tiles.
//   - RFC 6962: the entries' leaf hashes are folded into a compact range (the collapsed
//     Merkle tree of [0, position)), started from an audit path (get-proof-by-hash) that
//     authenticates the range below the first entry read; the range's root is compared
//     with the tree head when reading reaches its size, and a long catch-up is settled
//     mid-tree with the audit path of its last entry; consecutive heads are checked with
//     get-sth-consistency.
//
// A mismatch is sticky: the log's verification_error is set, verified_size stops, and
// every later entry is still handed on (a phishing certificate is one whoever logged it)
// but marked Unverified. Static entries are checked before they are handed on, so the
// mark is exact; RFC 6962 entries of a round are checked when the round reaches its tree
// head, so those handed on earlier in the failing round are not marked, though
// verified_size never covers them. Transient failures (network, HTTP status) are retried
// a few times and then reported, never waited on forever.

// mismatchError is proof that a log's contents or heads disagree with what it signed, as
// opposed to a failed request.
type mismatchError struct{ msg string }

func (e *mismatchError) Error() string { return e.msg }

func mismatch(format string, args ...any) error {
	return &mismatchError{msg: fmt.Sprintf(format, args...)}
}

// isTransient tells a request that may succeed when repeated (network, 429, any HTTP
// status: a frontend or CDN that has not seen the newest tree yet answers 400 or 404)
// from an answer that proves trouble (a proof that fails, an answer that does not parse).
// Transient failures are retried a bounded number of times (verifyAttempts).
func isTransient(err error) bool {
	var me *mismatchError
	if errors.As(err, &me) {
		return false
	}
	var fe *FetchError
	if !errors.As(err, &fe) {
		return true
	}
	switch fe.Kind {
	case KindNetwork, KindRateLimited, KindHTTP:
		return true
	}
	return false
}

// contentChecker is the per-API part of verification. Its methods are called from one
// goroutine, with entries in log order.
type contentChecker interface {
	// consistent checks that the tree of newer extends the tree of older, where
	// 0 < older.Size < newer.Size (verification.consistent orders the heads).
	consistent(ctx context.Context, older, newer TreeHead) error
	// entries takes the leaf hashes of entries [start, start+len(hashes)), read while th
	// was the newest head, and returns the size up to which entries are now verified.
	entries(ctx context.Context, start int64, hashes [][32]byte, th TreeHead) (int64, error)
	// settle verifies what entries could not yet (an RFC 6962 range that stopped short
	// of th) and returns the verified size.
	settle(ctx context.Context, th TreeHead) (int64, error)
}

// verifyAttempts bounds the tries of one verification request: a verification that
// cannot be done is reported, not waited on forever.
const verifyAttempts = 6

// maxUnproven is how many new heads in a row may go without a consistency proof (each
// after verifyAttempts tries) before the log is reported as not proving its history.
const maxUnproven = 3

// verification is one log's verification state: the follower (or a scan) calls it from
// its own goroutine; Status readers use the atomics and the mutex.
type verification struct {
	checker contentChecker
	logger  *slog.Logger
	opts    FollowerOptions

	head     TreeHead // the newest head accepted as consistent
	haveHead bool
	// unproven counts consecutive new heads whose consistency could not be fetched; a log
	// that never proves consistency fails at maxUnproven.
	unproven int
	tried    TreeHead // the last head whose proof could not be had, not asked for again

	verified atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	err      string
}

func newVerification(client logClient, opts FollowerOptions, logger *slog.Logger) *verification {
	v := &verification{logger: logger, opts: opts}
	if opts.SkipVerification {
		return v
	}
	switch c := client.(type) {
	case *rfc6962Client:
		v.checker = &rfc6962Checker{client: c}
	case *staticClient:
		v.checker = &staticChecker{client: c, cache: map[tlog.Tile][]byte{}}
	}
	return v
}

// failed returns the verification error, empty while the log matches its heads.
func (v *verification) failed() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

func (v *verification) fail(err error) {
	v.mu.Lock()
	first := v.err == ""
	if first {
		v.err = err.Error()
	}
	v.mu.Unlock()
	if first {
		v.failures.Add(1)
		v.logger.Error("ct log verification failed: its contents do not match its signed tree heads",
			"verified_size", v.verified.Load(), "err", err)
	}
}

// start records where reading begins: nothing before it is examined.
func (v *verification) start(position int64) { v.verified.Store(position) }

// retry runs op until it succeeds, fails for good, or has failed verifyAttempts times.
func (v *verification) retry(ctx context.Context, what string, op func() error) error {
	bo := backoff{min: v.opts.MinBackoff, max: v.opts.MaxBackoff}
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !isTransient(err) || attempt == verifyAttempts || ctx.Err() != nil {
			return err
		}
		wait := bo.next(err)
		v.logger.Warn("ct verification request failed, retrying", "what", what, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// consistent checks prev and next against each other, whichever is larger: an empty tree is
// extended by any, two roots for one size are a mismatch, else the checker proves it.
func (v *verification) consistent(ctx context.Context, prev, next TreeHead) error {
	if prev.Size == 0 {
		return nil
	}
	older, newer := prev, next
	if next.Size < prev.Size {
		older, newer = next, prev
	}
	if older.Size == newer.Size {
		return mismatch("two roots for size %d", older.Size)
	}
	return v.retry(ctx, "consistency", func() error { return v.checker.consistent(ctx, older, newer) })
}

// onHead checks a new tree head against the previous accepted one.
func (v *verification) onHead(ctx context.Context, th TreeHead) {
	if v.checker == nil || v.failed() != "" {
		return
	}
	if !v.haveHead {
		v.head, v.haveHead = th, true
		return
	}
	prev := v.head
	if (th.Size == prev.Size && th.RootHash == prev.RootHash) || (v.unproven > 0 && th == v.tried) {
		return
	}
	err := v.consistent(ctx, prev, th)
	switch {
	case err == nil:
		v.unproven = 0
		if th.Size >= prev.Size {
			v.head = th
		}
	case ctx.Err() != nil:
	case isTransient(err):
		// Not proof of anything: the next head is checked against the last good one, up to
		// a point.
		v.tried = th
		if v.unproven++; v.unproven >= maxUnproven {
			v.fail(fmt.Errorf("the log gave no consistency proof for %d tree heads in a row after size %d: %w", v.unproven, prev.Size, err))
			return
		}
		v.logger.Warn("ct consistency proof unavailable, checking the next head instead", "from", prev.Size, "to", th.Size, "err", err)
	default:
		v.fail(fmt.Errorf("tree head of size %d is not consistent with the head of size %d: %w", th.Size, prev.Size, err))
	}
}

// onBatch verifies a batch of entries [start, ...) read under th before it is handed on,
// and marks its entries Unverified when the log's contents are not (or no longer) verified.
func (v *verification) onBatch(ctx context.Context, b *source.Batch, start int64, th TreeHead) {
	if v.checker == nil {
		return
	}
	n := len(b.Entries) + len(b.Malformed)
	if n == 0 {
		return
	}
	if v.failed() == "" {
		if len(b.LeafHashes) != n {
			v.fail(mismatch("entries %d to %d: %d of %d could not be hashed", start, start+int64(n)-1, n-len(b.LeafHashes), n))
		} else {
			var verified int64
			err := v.retry(ctx, "entries", func() (err error) {
				verified, err = v.checker.entries(ctx, start, b.LeafHashes, th)
				return err
			})
			switch {
			case err == nil:
				v.verified.Store(verified)
			case ctx.Err() != nil:
				return
			default:
				v.fail(err)
			}
		}
	}
	if v.failed() != "" {
		for i := range b.Entries {
			b.Entries[i].Unverified = true
		}
	}
}

// onRoundEnd settles what the entries of a round left pending.
func (v *verification) onRoundEnd(ctx context.Context, th TreeHead) {
	if v.checker == nil || v.failed() != "" {
		return
	}
	var verified int64
	err := v.retry(ctx, "settle", func() (err error) {
		verified, err = v.checker.settle(ctx, th)
		return err
	})
	switch {
	case err == nil:
		if verified > v.verified.Load() {
			v.verified.Store(verified)
		}
	case ctx.Err() != nil || isTransient(err):
		// Settled later, when reading reaches a tree head's size.
	default:
		v.fail(err)
	}
}

// emptyRoot is the root of the empty tree.
var emptyRoot = sha256.Sum256(nil)

// leafHash is the RFC 6962 Merkle leaf hash of a MerkleTreeLeaf whose version and leaf
// type bytes (both 0) precede entry, the TimestampedEntry.
func leafHash(h hash.Hash, entry []byte) [32]byte {
	h.Reset()
	h.Write([]byte{0, 0, 0})
	h.Write(entry)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
