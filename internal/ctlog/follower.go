package ctlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/certhunt/certhunt/internal/buildinfo"
	"github.com/certhunt/certhunt/internal/redact"
	"github.com/certhunt/certhunt/internal/source"
)

// FollowerOptions tune a follower or a scan. The zero value gives sensible defaults.
type FollowerOptions struct {
	// DataDir is the directory of the per-log cursor files (created when missing). Empty:
	// positions are not persisted.
	DataDir string
	// Cursors, when set, keeps the cursors instead of DataDir's files (cursorstore.go).
	Cursors CursorStore
	// Start is where to begin when the log has no saved cursor: "end" (the default, the
	// current tree size) or "beginning" (index 0). A saved cursor always wins.
	Start string
	// HTTPClient makes every request; nil means a client with a 60s timeout that keeps a
	// connection per request in flight.
	HTTPClient *http.Client
	// Logger receives retry warnings; nil discards them.
	Logger *slog.Logger
	// BatchSize is the number of entries asked for per RFC 6962 get-entries request
	// (default 256); logs may answer with fewer and the reader asks again for the rest.
	BatchSize int
	// Parallel is the most requests in flight per log (default 4); fewer while the log
	// answers 429 or 503 (limiter.go).
	Parallel int
	// PollInterval is the longest wait between tree heads of a caught-up follower (default
	// 10s); a log that just grew is asked again after MinPollInterval (pollpace.go).
	PollInterval time.Duration
	// MinPollInterval is the wait after a head that grew the log (default 1s).
	MinPollInterval time.Duration
	// PartialTileAge is how long a static log's tree must stay at one size before its
	// last, partial tile is read (default 30s); negative reads partial tiles at once.
	PartialTileAge time.Duration
	// FullChain makes a static-log follower fetch each entry's issuers (cached) into
	// Entry.Chain; RFC 6962 entries always carry their chain.
	FullChain bool
	// MinBackoff and MaxBackoff bound the jittered exponential backoff after a failed
	// request (defaults 1s and 5m); a log's Retry-After is honoured up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Contact is a URL or e-mail address for the User-Agent, "certhunt/VERSION (+CONTACT)":
	// log operators rate-limit anonymous clients.
	Contact string
	// SkipVerification turns off checking entries and tree heads against each other
	// (verify.go); only for measuring what verification costs.
	SkipVerification bool
}

// Defaults of FollowerOptions, used where a field is zero (the configuration's defaults too).
const (
	DefaultBatchSize      = 256
	DefaultParallel       = 4
	DefaultPollInterval   = 10 * time.Second
	DefaultPartialTileAge = 30 * time.Second
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 5 * time.Minute
)

func (o FollowerOptions) withDefaults() FollowerOptions {
	if o.Start == "" {
		o.Start = "end"
	}
	if o.HTTPClient == nil {
		// Keep a connection per request in flight instead of the default transport's two.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = max(o.Parallel, 4)
		o.HTTPClient = &http.Client{Timeout: 60 * time.Second, Transport: transport}
	}
	o.HTTPClient = withUserAgent(o.HTTPClient, buildinfo.UserAgent(o.Contact))
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MinPollInterval <= 0 {
		o.MinPollInterval = DefaultMinPollInterval
	}
	if o.PartialTileAge == 0 {
		o.PartialTileAge = DefaultPartialTileAge
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	return o
}

func newClient(info LogInfo, opts FollowerOptions) (logClient, error) {
	switch info.Type {
	case TypeRFC6962:
		return newRFC6962Client(info, opts.HTTPClient, opts.BatchSize), nil
	case TypeStatic:
		return newStaticClient(info, opts.HTTPClient, opts.FullChain), nil
	}
	return nil, fmt.Errorf("log %q: unknown type %q", info.Name, info.Type)
}

// Follower follows one CT log from its cursor onwards, forever. It implements
// source.Source: batches come out in log order, and each batch's Commit persists the
// cursor, so a restart resumes after the last durably handled batch.
type Follower struct {
	info   LogInfo
	opts   FollowerOptions
	client logClient
	reader reader
	verify *verification
	limit  *aimd

	// catchUpRound is the most entries read between two tree heads.
	catchUpRound int64

	counters  counters
	position  atomic.Int64 // committed: the next index to hand on after a restart
	treeSize  atomic.Int64
	lastOK    atomic.Int64 // unix nanoseconds of the last tree head or commit
	processed atomic.Int64
	malformed atomic.Int64
	lastTime  atomic.Int64 // unix ms of the last committed entry
}

// catchUpSpans is the number of requests' worth of entries read per catch-up round.
const catchUpSpans = 64

// NewFollower returns a follower for info; the error is a configuration problem.
func NewFollower(info LogInfo, opts FollowerOptions) (*Follower, error) {
	opts = opts.withDefaults()
	if opts.Start != "end" && opts.Start != "beginning" {
		return nil, fmt.Errorf("log %q: start %q is neither end nor beginning", info.Name, opts.Start)
	}
	client, err := newClient(info, opts)
	if err != nil {
		return nil, err
	}
	f := &Follower{info: info, opts: opts, client: client, catchUpRound: catchUpSpans * int64(opts.BatchSize)}
	if info.Type == TypeStatic {
		f.catchUpRound = catchUpSpans * TileWidth
	}
	if sc, ok := client.(*staticClient); ok {
		sc.counters = &f.counters
	}
	f.limit = newAIMD(opts.Parallel)
	f.reader = reader{client: limitedClient{client, f.limit}, parallel: opts.Parallel, opts: opts,
		logger: opts.Logger.With("log", info.Name, "url", redact.URL(info.URL)), counters: &f.counters}
	f.verify = newVerification(client, opts, f.reader.logger)
	return f, nil
}

// Info returns the log this follower reads.
func (f *Follower) Info() LogInfo { return f.info }

// Run follows the log until ctx ends. It returns early only when the saved cursor cannot
// be read, which retrying cannot fix.
func (f *Follower) Run(ctx context.Context, out chan<- source.Batch) error {
	cursor, saved, err := f.loadCursor()
	if err != nil {
		return err
	}
	logger := f.reader.logger
	bo := backoff{min: f.opts.MinBackoff, max: f.opts.MaxBackoff}
	known := cursor // a tree size this far is servable; a jump past it is checked first
	head := func() (TreeHead, bool) {
		for failures := 1; ; failures++ {
			th, err := f.client.treeHead(ctx)
			if err == nil && th.Size > known+f.catchUpRound {
				err = probeSize(ctx, f.client, th.Size)
			}
			if err == nil {
				bo.reset()
				known = max(known, th.Size)
				f.treeSize.Store(th.Size)
				f.lastOK.Store(time.Now().UnixNano())
				return th, true
			}
			if ctx.Err() != nil {
				return TreeHead{}, false
			}
			f.counters.record(err)
			wait := bo.next(err)
			// The 1st, 8th, 16th, 32nd… failure in a row is a warning, the others debug: with no
			// network, forty logs would otherwise fill the first minute with warnings
			// (/readyz and /api/v1/sources say which logs fail, and why).
			level := slog.LevelDebug
			if failures == 1 || (failures >= 8 && failures&(failures-1) == 0) {
				level = slog.LevelWarn
			}
			logger.Log(ctx, level, "ct tree head failed, retrying", "kind", errorKind(err), "failures", failures, "retry_in", wait, "err", err)
			if !sleep(ctx, wait) {
				return TreeHead{}, false
			}
		}
	}
	th, ok := head()
	if !ok {
		return ctx.Err()
	}
	f.verify.onHead(ctx, th)
	if !saved {
		cursor = 0
		if f.opts.Start == "end" {
			cursor = th.Size
		}
		// Saved at once, so that a restart before the first commit starts from the same
		// place instead of a later end.
		if err := f.saveCursor(cursor); err != nil {
			f.counters.record(err)
			logger.Error("saving the initial cursor", "err", err)
		}
	}
	f.position.Store(cursor)
	f.verify.start(cursor)
	next := cursor
	sizeSince := time.Now()
	emit := func(b source.Batch, end int64) bool {
		f.verify.onBatch(ctx, &b, end-int64(len(b.Entries)+len(b.Malformed)), th)
		b.Commit = f.committer(b, end)
		select {
		case out <- b:
			next = end
			return true
		case <-ctx.Done():
			return false
		}
	}
	pace := newPollPace(f.opts.MinPollInterval, f.opts.PollInterval)
	grew := true
	for {
		behind := false
		if th.Size < next {
			f.counters.record(fetchErr(KindDecode, "tree size %d is below position %d", th.Size, next))
		} else if next < th.Size {
			// A long backlog is read in rounds, with a fresh tree head between them.
			end := min(th.Size, next+f.catchUpRound)
			partial := end == th.Size && (f.opts.PartialTileAge < 0 || time.Since(sizeSince) >= f.opts.PartialTileAge)
			from := next
			f.readFrom(ctx, next, end, partial, emit)
			f.verify.onRoundEnd(ctx, th)
			behind = next > from && next < th.Size
		}
		if !behind && !sleep(ctx, pace.next(grew)) {
			return ctx.Err()
		}
		newHead, ok := head()
		if !ok {
			return ctx.Err()
		}
		f.verify.onHead(ctx, newHead)
		grew = newHead.Size != th.Size
		if grew {
			sizeSince = time.Now()
		}
		th = newHead
	}
}

// readFrom reads [from, to) handing each batch to emit together with the position after it.
func (f *Follower) readFrom(ctx context.Context, from, to int64, partial bool, emit func(source.Batch, int64) bool) {
	pos := from
	f.reader.readRange(ctx, from, to, partial, func(b source.Batch) bool {
		pos += int64(len(b.Entries) + len(b.Malformed))
		return emit(b, pos)
	})
}

// committer returns the Commit of a batch ending at end: persist the cursor, then count.
func (f *Follower) committer(b source.Batch, end int64) func() error {
	entries, malformed := int64(len(b.Entries)), int64(len(b.Malformed))
	var last int64
	if len(b.Entries) > 0 {
		last = b.Entries[len(b.Entries)-1].Timestamp.UnixMilli()
	}
	return func() error {
		if err := f.saveCursor(end); err != nil {
			return err
		}
		f.position.Store(end)
		f.lastOK.Store(time.Now().UnixNano())
		f.processed.Add(entries)
		f.malformed.Add(malformed)
		if last != 0 {
			f.lastTime.Store(last)
		}
		return nil
	}
}

// Status reports the follower for GET /api/v1/sources.
func (f *Follower) Status() source.Status {
	st := source.Status{
		Name:             f.info.Name,
		URL:              redact.URL(f.info.URL),
		Type:             f.info.Type,
		Position:         f.position.Load(),
		TreeSize:         f.treeSize.Load(),
		EntriesProcessed: f.processed.Load(),
		Malformed:        f.malformed.Load(),
		Errors:           f.counters.errors.Load(),
		State:            f.info.State,
	}
	f.counters.mu.Lock()
	st.LastError = f.counters.lastError
	f.counters.mu.Unlock()
	if ok := f.lastOK.Load(); ok != 0 {
		st.LastSuccess = time.Unix(0, ok)
	}
	verified, verr := f.verify.verified.Load(), f.verify.failed()
	st.VerifiedSize, st.VerificationError = &verified, &verr
	if last := f.lastTime.Load(); last != 0 && st.Position < st.TreeSize {
		st.LagSeconds = max(time.Since(time.UnixMilli(last)).Seconds(), 0)
	}
	return st
}

// VerificationFailures returns 1 once the log's contents or heads have failed verification
// (a failure is sticky until restart), for the metric.
func (f *Follower) VerificationFailures() int64 { return f.verify.failures.Load() }

// Concurrency returns the entry requests the log is now allowed in flight: Parallel while
// it is healthy, less after it answered 429 or 503.
func (f *Follower) Concurrency() int { return f.limit.current() }

// FetchErrors returns the number of failed requests by kind (KindNetwork, KindHTTP,
// KindRateLimited, KindDecode, KindSignature).
func (f *Follower) FetchErrors() map[string]int64 {
	f.counters.mu.Lock()
	defer f.counters.mu.Unlock()
	out := make(map[string]int64, len(f.counters.byKind))
	for k, v := range f.counters.byKind {
		out[k] = v
	}
	return out
}

// cursorFile is the JSON saved per log in the data dir.
type cursorFile struct {
	URL      string `json:"url"`
	Name     string `json:"name"`
	Position int64  `json:"position"`
}

// CursorPath returns where the cursor of the log at url lives in dataDir: a file named from
// the hash of the URL, so that any URL makes a safe, stable file name.
func CursorPath(dataDir, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(dataDir, hex.EncodeToString(sum[:16])+".json")
}

func (f *Follower) loadCursor() (int64, bool, error) {
	if f.opts.Cursors != nil {
		return f.loadStoredCursor()
	}
	if f.opts.DataDir == "" {
		return 0, false, nil
	}
	path := CursorPath(f.opts.DataDir, f.info.URL)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	var c cursorFile
	if err := json.Unmarshal(data, &c); err != nil || c.Position < 0 {
		return 0, false, fmt.Errorf("log %q cursor %s: not a valid cursor file (%v)", f.info.Name, path, err)
	}
	if c.URL != f.info.URL {
		return 0, false, fmt.Errorf("log %q cursor %s: belongs to %q", f.info.Name, path, c.URL)
	}
	return c.Position, true, nil
}

// saveCursor writes the cursor atomically: a synced temporary file renamed over the old one.
func (f *Follower) saveCursor(position int64) error {
	if f.opts.Cursors != nil {
		return f.saveStoredCursor(position)
	}
	if f.opts.DataDir == "" {
		return nil
	}
	path := CursorPath(f.opts.DataDir, f.info.URL)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	data, err := json.Marshal(cursorFile{URL: f.info.URL, Name: f.info.Name, Position: position})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cursor-*")
	if err != nil {
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("log %q cursor: %w", f.info.Name, err)
	}
	return nil
}

// scanTreeHeadAttempts bounds the tree head retries of a scan, which, unlike a follower,
// should tell its user about a log it cannot reach.
const scanTreeHeadAttempts = 5

func scanTreeHead(ctx context.Context, client logClient, opts FollowerOptions) (TreeHead, error) {
	bo := backoff{min: opts.MinBackoff, max: opts.MaxBackoff}
	for attempt := 1; ; attempt++ {
		th, err := client.treeHead(ctx)
		if err == nil || attempt == scanTreeHeadAttempts || !sleep(ctx, bo.next(err)) {
			return th, err
		}
		opts.Logger.Warn("ct tree head failed, retrying", "attempt", attempt, "err", err)
	}
}

// ScanRange reads entries [from, to) of one log into out, in order, reading partial tiles
// at once, and calls progress (if not nil) after each batch with the entries done and the
// total. to < 0 means the current tree size; a range beyond it is an error. Batches carry no Commit: a scan keeps no
// cursor. Failed entry requests are retried until ctx ends; a tree head that still fails
// after a few attempts is returned as an error.
func ScanRange(ctx context.Context, info LogInfo, from, to int64, opts FollowerOptions, out chan<- source.Batch, progress func(done, total int64)) error {
	opts = opts.withDefaults()
	client, err := newClient(info, opts)
	if err != nil {
		return err
	}
	if from < 0 {
		return fmt.Errorf("scan %s: from %d is negative", info.URL, from)
	}
	th, err := scanTreeHead(ctx, client, opts)
	if err != nil {
		return fmt.Errorf("scan %s: %w", info.URL, err)
	}
	if to < 0 {
		to = th.Size
	}
	if to > th.Size {
		return fmt.Errorf("scan %s: to %d is beyond the tree size %d", info.URL, to, th.Size)
	}
	if to < from {
		return fmt.Errorf("scan %s: to %d is before from %d", info.URL, to, from)
	}
	var counters counters
	r := reader{client: limitedClient{client, newAIMD(opts.Parallel)}, parallel: opts.Parallel, opts: opts,
		logger: opts.Logger.With("log", info.Name, "url", info.URL), counters: &counters}
	verify := newVerification(client, opts, r.logger)
	verify.onHead(ctx, th)
	verify.start(from)
	done, total := int64(0), to-from
	r.readRange(ctx, from, to, true, func(b source.Batch) bool {
		verify.onBatch(ctx, &b, from+done, th)
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		done += int64(len(b.Entries) + len(b.Malformed))
		if progress != nil {
			progress(done, total)
		}
		return true
	})
	if done < total {
		return ctx.Err()
	}
	verify.onRoundEnd(ctx, th)
	if msg := verify.failed(); msg != "" {
		return fmt.Errorf("scan %s: entries read, but the log failed verification: %s", info.URL, msg)
	}
	if v := verify.verified.Load(); verify.checker != nil && v < to {
		// No proof either way (no audit path to be had for the range's end): said, not failed.
		r.logger.Warn("ct scan: the end of the range could not be verified against a tree head", "verified_to", v, "to", to)
	}
	return nil
}
