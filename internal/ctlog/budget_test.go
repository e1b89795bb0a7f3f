package ctlog

import (
	"context"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
)

// lyingLog is a hostile log: it answers every request with a single entry of entrySize bytes
// (so that a span gathers many answers), serves entries below served only, and hands out the
// tree sizes in heads one after the other (the last one forever).
type lyingLog struct {
	entrySize int
	huge      int64 // the index of one entry larger than maxEntryBytes; -1 for none
	served    int64

	mu    sync.Mutex
	heads []int64
	calls chan int64
}

func (l *lyingLog) treeHead(ctx context.Context) (TreeHead, error) {
	l.mu.Lock()
	size := l.heads[0]
	if len(l.heads) > 1 {
		l.heads = l.heads[1:]
	}
	l.mu.Unlock()
	if l.calls != nil {
		select {
		case l.calls <- size:
		case <-ctx.Done():
		}
	}
	return TreeHead{Size: size}, nil
}

func (l *lyingLog) spans(from, to int64, _ bool) iter.Seq[span] {
	return func(yield func(span) bool) {
		for start := from; start < to; start += 256 {
			if !yield(span{start, min(start+256, to)}) {
				return
			}
		}
	}
}

func (l *lyingLog) fetch(_ context.Context, s span) (source.Batch, int64, error) {
	if s.start >= l.served {
		return source.Batch{}, 0, fetchErr(KindHTTP, "get-entries %d: 400 Bad Request", s.start)
	}
	size := l.entrySize
	if s.start == l.huge {
		size = maxEntryBytes + 1
	}
	e := certs.Entry{Log: certs.LogRef{Name: "liar"}, Index: s.start, DER: make([]byte, size)}
	return source.Batch{Entries: []certs.Entry{e}}, 1, nil
}

func testOptions() FollowerOptions {
	return FollowerOptions{Start: "end", MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
		PollInterval: time.Millisecond, BatchSize: 1, Parallel: 2}.withDefaults()
}

// A log that answers one large entry at a time cannot make a span hold more than its budget:
// before the budget, each 256-entry span gathered all of its answers (4.7 GB in 40 s).
func TestLyingLogIsHeldToTheSpanBudget(t *testing.T) {
	const entrySize, budget = 64 << 10, 256 << 10
	log := &lyingLog{entrySize: entrySize, huge: 300, served: 600, heads: []int64{600}}
	r := reader{client: log, parallel: 2, opts: testOptions(), logger: slog.New(slog.DiscardHandler),
		counters: &counters{}, spanBytes: budget}
	next := int64(0)
	var largest int64
	r.readRange(context.Background(), 0, 600, true, func(b source.Batch) bool {
		// A batch's entries and malformed records together cover the next indexes.
		var held int64
		var indexes []int64
		for i := range b.Entries {
			indexes = append(indexes, b.Entries[i].Index)
			held += entryBytes(&b.Entries[i])
		}
		for _, m := range b.Malformed {
			if m.Index != 300 || len(m.Data) != 0 {
				t.Fatalf("malformed %d (%q, %d bytes)", m.Index, m.Err, len(m.Data))
			}
			indexes = append(indexes, m.Index)
		}
		slices.Sort(indexes)
		for _, i := range indexes {
			if i != next {
				t.Fatalf("index %d arrived when %d was due", i, next)
			}
			next++
		}
		largest = max(largest, held)
		return true
	})
	if next != 600 {
		t.Fatalf("read up to %d, want 600", next)
	}
	// The budget is checked before each answer, so one answer may go past it.
	if largest > budget+entrySize {
		t.Fatalf("a batch held %d bytes; the budget is %d", largest, budget)
	}
}

// A tree head far beyond what the log serves is refused; the follower starting at the end
// saves the true size as its cursor, not 2^62.
func TestLyingTreeSizeIsNotSavedAsCursor(t *testing.T) {
	log := &lyingLog{entrySize: 10, huge: -1, served: 100, heads: []int64{1 << 62, 100}, calls: make(chan int64)}
	opts := testOptions()
	opts.DataDir = t.TempDir()
	info := LogInfo{Name: "liar", URL: "http://127.0.0.1:1/liar/", Type: TypeRFC6962}
	f := &Follower{info: info, opts: opts, client: log, catchUpRound: 64}
	f.reader = reader{client: log, parallel: 1, opts: opts, logger: slog.New(slog.DiscardHandler), counters: &f.counters}
	f.verify = newVerification(log, opts, f.reader.logger) // a fake log: nothing to verify against
	f.limit = newAIMD(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, make(chan source.Batch)) }()
	// Heads: the lie, the truth, then the truth again once the cursor is saved.
	for range 3 {
		<-log.calls
	}
	cancel()
	<-done
	pos, saved, err := f.loadCursor()
	if err != nil || !saved || pos != 100 {
		t.Fatalf("cursor %d (saved %v, err %v), want 100", pos, saved, err)
	}
	if f.counters.errors.Load() == 0 {
		t.Error("the lying head was not counted as an error")
	}
}

// Credentials in a log URL are masked in status, entries' log references and fetch errors.
func TestLogURLSecretsAreRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	raw := strings.Replace(srv.URL, "http://", "http://carol:pw-sekrit@", 1) + "/log/"
	info, err := NewLogInfo("l", raw, TypeRFC6962, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFollower(info, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.client.treeHead(context.Background())
	if err == nil {
		t.Fatal("no error from a failing log")
	}
	f.counters.record(err)
	shown := strings.Join([]string{err.Error(), f.Status().URL, f.Status().LastError, info.Ref().URL}, "\n")
	for _, secret := range []string{"carol", "pw-sekrit"} {
		if strings.Contains(shown, secret) {
			t.Errorf("%q shown:\n%s", secret, shown)
		}
	}
}
