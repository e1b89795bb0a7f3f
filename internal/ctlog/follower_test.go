package ctlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// fastOptions keep retries and polls short so that fault tests run quickly.
func fastOptions(dataDir string) ctlog.FollowerOptions {
	return ctlog.FollowerOptions{
		DataDir:        dataDir,
		Start:          "beginning",
		PollInterval:   time.Millisecond,
		PartialTileAge: -1,
		MinBackoff:     time.Millisecond,
		MaxBackoff:     5 * time.Millisecond,
		BatchSize:      100,
	}
}

// want is what a test log holds at one index.
type want struct {
	der     []byte
	precert bool
	name    string
}

// addEntries issues n entries to log: precert and final pairs, plus a lone final cert when
// n is odd; every entry's names carry its index.
func addEntries(t *testing.T, log *ctlogtest.Log, n int) []want {
	t.Helper()
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	var entries []ctlogtest.Entry
	var wants []want
	for i := 0; len(entries) < n; i++ {
		names := []string{fmt.Sprintf("host%d.example", log.Size()+int64(len(entries)))}
		if n-len(entries) == 1 {
			der, err := ca.Issue(names, testcert.Options{})
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
			wants = append(wants, want{der: der, name: names[0]})
			break
		}
		p, err := ca.Pair(names, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, ctlogtest.Entry{Precert: p.Precert, Chain: ca.Chain()}, ctlogtest.Entry{Cert: p.Final, Chain: ca.Chain()})
		wants = append(wants, want{der: p.Precert, precert: true, name: names[0]}, want{der: p.Final, name: names[0]})
	}
	if _, err := log.Add(entries...); err != nil {
		t.Fatal(err)
	}
	if err := log.Publish(); err != nil {
		t.Fatal(err)
	}
	return wants
}

// run is a follower running in the background with a consumer that commits every batch.
type run struct {
	f       *ctlog.Follower
	cancel  context.CancelFunc
	done    chan error
	batches chan source.Batch
}

func start(t *testing.T, info ctlog.LogInfo, opts ctlog.FollowerOptions) *run {
	t.Helper()
	f, err := ctlog.NewFollower(info, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{f: f, cancel: cancel, done: make(chan error, 1), batches: make(chan source.Batch)}
	go func() { r.done <- f.Run(ctx, r.batches) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *run) stop(t *testing.T) {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil && err != context.Canceled {
			t.Errorf("Run returned %v", err)
		}
		r.done <- nil // later stops see a stopped run
	case <-time.After(10 * time.Second):
		t.Error("follower did not stop after cancel")
	}
}

// collect receives and commits batches until n indexes (entries and malformed records)
// arrived, and returns them.
func (r *run) collect(t *testing.T, n int) ([]certs.Entry, []source.Malformed) {
	t.Helper()
	var entries []certs.Entry
	var malformed []source.Malformed
	deadline := time.After(30 * time.Second)
	for len(entries)+len(malformed) < n {
		select {
		case b := <-r.batches:
			entries = append(entries, b.Entries...)
			malformed = append(malformed, b.Malformed...)
			if b.Commit == nil {
				t.Fatal("follower batch without Commit")
			}
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatalf("got %d of %d entries; status %+v, errors %v", len(entries)+len(malformed), n, r.f.Status(), r.f.FetchErrors())
		}
	}
	return entries, malformed
}

// checkEntries asserts that entries are exactly indexes from, from+1, ... in order and hold
// the certificates the log was given.
func checkEntries(t *testing.T, entries []certs.Entry, from int64, wants []want, info ctlog.LogInfo) {
	t.Helper()
	for i, e := range entries {
		idx := from + int64(i)
		if e.Index != idx {
			t.Fatalf("entry %d has index %d, want %d", i, e.Index, idx)
		}
		w := wants[idx]
		if !bytes.Equal(e.DER, w.der) {
			t.Fatalf("entry %d: DER differs from what was logged", idx)
		}
		if w.precert != (e.Type == certs.Precert) || w.precert != (len(e.TBS) > 0) {
			t.Fatalf("entry %d: type %s with %d TBS bytes, want precert %v", idx, e.Type, len(e.TBS), w.precert)
		}
		if w.precert {
			if tbs, err := testcert.RemovePoison(w.der); err != nil || !bytes.Equal(e.TBS, tbs) {
				t.Fatalf("entry %d: TBS is not the precertificate's TBS without poison (%v)", idx, err)
			}
		}
		if e.Log != info.Ref() || e.Timestamp.IsZero() {
			t.Fatalf("entry %d: log %v, time %v", idx, e.Log, e.Timestamp)
		}
		c, err := certs.Parse(&e)
		if err != nil {
			t.Fatalf("entry %d: %v", idx, err)
		}
		if !slices.Equal(c.DNSNames, []string{w.name}) {
			t.Fatalf("entry %d: names %v", idx, c.DNSNames)
		}
	}
}

func newLog(t *testing.T, typ string) *ctlogtest.Log {
	t.Helper()
	newFn := ctlogtest.NewRFC6962
	if typ == ctlog.TypeStatic {
		newFn = ctlogtest.NewStatic
	}
	log, err := newFn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	return log
}

// Under batch caps, short answers, 429s and 503s every entry arrives exactly once, in
// order, and the log keeps being followed as it grows.
func TestFollowUnderFaults(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			wants := addEntries(t, log, 601)
			log.SetFaults(ctlogtest.Faults{BatchCap: 32, ShortAnswers: true, RateLimitEvery: 5, RetryAfter: "1", UnavailableEvery: 7, GzipTiles: true})
			opts := fastOptions(t.TempDir())
			opts.FullChain = true
			r := start(t, log.Info(), opts)
			entries, malformed := r.collect(t, 601)
			wants = append(wants, addEntries(t, log, 300)...)
			more, malformed2 := r.collect(t, 300)
			entries = append(entries, more...)
			if len(malformed)+len(malformed2) != 0 {
				t.Errorf("malformed records for good entries: %v %v", malformed, malformed2)
			}
			checkEntries(t, entries, 0, wants, log.Info())
			ca, _ := testcert.Default()
			for _, e := range entries {
				if len(e.Chain) != 2 || !bytes.Equal(e.Chain[0], ca.IntermediateDER) || !bytes.Equal(e.Chain[1], ca.RootDER) {
					t.Fatalf("entry %d: chain of %d certificates is not the CA chain", e.Index, len(e.Chain))
				}
			}
			st := r.f.Status()
			if st.Position != 901 || st.TreeSize != 901 || st.EntriesProcessed != 901 || st.Malformed != 0 {
				t.Errorf("status %+v", st)
			}
			kinds := r.f.FetchErrors()
			if kinds[ctlog.KindRateLimited] == 0 || kinds[ctlog.KindHTTP] == 0 || st.Errors < kinds[ctlog.KindRateLimited]+kinds[ctlog.KindHTTP] {
				t.Errorf("errors %d by kind %v, want 429s and 503s counted", st.Errors, kinds)
			}
			if !strings.Contains(st.LastError, "429") && !strings.Contains(st.LastError, "503") {
				t.Errorf("last error %q", st.LastError)
			}
			if typ == ctlog.TypeRFC6962 {
				for _, p := range log.Paths() {
					if strings.Contains(p, "tile") {
						t.Fatalf("rfc6962 follower asked for %s", p)
					}
				}
			}
		})
	}
}

// Undecodable entries are recorded with their index, and the follower goes on.
func TestMalformedEntriesAreRecorded(t *testing.T) {
	ca, _ := testcert.Default()
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			var entries []ctlogtest.Entry
			for i := range 20 {
				der, err := ca.Issue([]string{fmt.Sprintf("m%d.example", i)}, testcert.Options{})
				if err != nil {
					t.Fatal(err)
				}
				entries = append(entries, ctlogtest.Entry{Cert: der, Chain: ca.Chain(), Corrupt: i == 3 || i == 17})
			}
			if _, err := log.Add(entries...); err != nil {
				t.Fatal(err)
			}
			log.Publish()
			r := start(t, log.Info(), fastOptions(t.TempDir()))
			good, bad := r.collect(t, 20)
			if len(good) != 18 || len(bad) != 2 || bad[0].Index != 3 || bad[1].Index != 17 {
				t.Fatalf("got %d entries and malformed %v", len(good), bad)
			}
			for _, m := range bad {
				if m.Err == "" || len(m.Data) == 0 || m.Log != log.Info().Ref() {
					t.Errorf("malformed record %+v lacks error, data or log", m)
				}
			}
			if typ == ctlog.TypeStatic && !strings.Contains(bad[0].Err, "leaf_index") {
				t.Errorf("static malformed error %q does not name the leaf_index", bad[0].Err)
			}
			if st := r.f.Status(); st.Malformed != 2 || st.EntriesProcessed != 18 || st.Position != 20 {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// Bad tree head signatures and truncated tiles are counted as errors, and the follower
// recovers once the log serves good answers again.
func TestBadSignaturesAndTruncatedTilesRecover(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			wants := addEntries(t, log, 520)
			log.SetFaults(ctlogtest.Faults{BadSignatures: 3, TruncatedTiles: 3})
			r := start(t, log.Info(), fastOptions(t.TempDir()))
			entries, _ := r.collect(t, 520)
			checkEntries(t, entries, 0, wants, log.Info())
			kinds := r.f.FetchErrors()
			if kinds[ctlog.KindSignature] != 3 {
				t.Errorf("signature errors %d, want 3 (%v)", kinds[ctlog.KindSignature], kinds)
			}
			if typ == ctlog.TypeStatic && kinds[ctlog.KindDecode] != 3 {
				t.Errorf("decode errors %d, want 3 truncated tiles (%v)", kinds[ctlog.KindDecode], kinds)
			}
		})
	}
}

// A restarted follower resumes from its saved cursor: nothing is read twice or skipped,
// and the saved cursor beats start: beginning.
func TestCursorResume(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			wants := addEntries(t, log, 300)
			dir := t.TempDir()
			opts := fastOptions(dir)
			opts.BatchSize = 3              // RFC 6962: catch-up rounds of 192 entries
			opts.PartialTileAge = time.Hour // a static follower stops at the full tile (256)
			first := start(t, log.Info(), opts)
			got1, _ := first.collect(t, 256)
			first.stop(t)
			data, err := os.ReadFile(ctlog.CursorPath(dir, log.Info().URL))
			if err != nil {
				t.Fatal(err)
			}
			var cursor struct {
				URL      string `json:"url"`
				Name     string `json:"name"`
				Position int64  `json:"position"`
			}
			if err := json.Unmarshal(data, &cursor); err != nil || cursor.URL != log.Info().URL || cursor.Name != log.Info().Name {
				t.Fatalf("cursor file %s: %v", data, err)
			}
			if cursor.Position != int64(len(got1)) {
				t.Fatalf("cursor at %d after committing %d entries", cursor.Position, len(got1))
			}
			wants = append(wants, addEntries(t, log, 100)...)
			opts.PartialTileAge = -1
			second := start(t, log.Info(), opts)
			got2, _ := second.collect(t, 400-len(got1))
			checkEntries(t, append(got1, got2...), 0, wants, log.Info())
			if st := second.f.Status(); st.Position != 400 || st.EntriesProcessed != int64(len(got2)) {
				t.Errorf("status after resume %+v", st)
			}
		})
	}
}

// Without a cursor, start: end reads only what is logged after the follower started, and a
// restart before anything was committed resumes from that first end.
func TestStartAtEnd(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			wants := addEntries(t, log, 100)
			opts := fastOptions(t.TempDir())
			opts.Start = "end"
			r := start(t, log.Info(), opts)
			deadline := time.Now().Add(10 * time.Second)
			for _, err := os.Stat(ctlog.CursorPath(opts.DataDir, log.Info().URL)); err != nil; _, err = os.Stat(ctlog.CursorPath(opts.DataDir, log.Info().URL)) {
				if time.Now().After(deadline) {
					t.Fatal("follower never saved its starting cursor")
				}
				time.Sleep(time.Millisecond)
			}
			r.stop(t)
			wants = append(wants, addEntries(t, log, 10)...)
			restarted := start(t, log.Info(), opts)
			got, _ := restarted.collect(t, 10)
			checkEntries(t, got, 100, wants, log.Info())
		})
	}
}

// A static follower reads a partial tile only once the tree has kept its size for
// PartialTileAge.
func TestPartialTileWaits(t *testing.T) {
	log := newLog(t, ctlog.TypeStatic)
	addEntries(t, log, 300)
	opts := fastOptions(t.TempDir())
	opts.PartialTileAge = time.Hour
	r := start(t, log.Info(), opts)
	r.collect(t, 256)
	deadline := time.Now().Add(10 * time.Second)
	for checkpoints(log.Paths()) < 5 {
		if time.Now().After(deadline) {
			t.Fatal("follower stopped polling")
		}
		time.Sleep(time.Millisecond)
	}
	for _, p := range log.Paths() {
		// Hash tiles of the tree's right edge are read to verify the full tiles: small, and
		// needed whatever the tree's age.
		if strings.HasPrefix(p, "/tile/data/") && strings.Contains(p, ".p/") {
			t.Fatalf("partial tile %s read before the tree settled", p)
		}
	}
	if st := r.f.Status(); st.Position != 256 || st.TreeSize != 300 || st.LagSeconds <= 0 {
		t.Errorf("status %+v", st)
	}
}

func checkpoints(paths []string) int {
	n := 0
	for _, p := range paths {
		if p == "/checkpoint" {
			n++
		}
	}
	return n
}

func TestRunRejectsForeignCursor(t *testing.T) {
	log := newLog(t, ctlog.TypeRFC6962)
	dir := t.TempDir()
	path := ctlog.CursorPath(dir, log.Info().URL)
	if err := os.WriteFile(path, []byte(`{"url":"https://other/","position":5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ctlog.NewFollower(log.Info(), fastOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Run(context.Background(), make(chan source.Batch))
	if err == nil || !strings.Contains(err.Error(), "https://other/") {
		t.Errorf("Run with a foreign cursor: %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"url":`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.Run(context.Background(), make(chan source.Batch)); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Run with a corrupt cursor: %v", err)
	}
	if _, err := ctlog.NewFollower(log.Info(), ctlog.FollowerOptions{Start: "middle"}); err == nil {
		t.Error("start: middle accepted")
	}
}

// A checkpoint signed for another origin, or tree heads under another key, never pass.
func TestForeignTreeHeadsAreRejected(t *testing.T) {
	static := newLog(t, ctlog.TypeStatic)
	addEntries(t, static, 3)
	other := newLog(t, ctlog.TypeRFC6962)
	addEntries(t, other, 3)
	wrongOrigin := static.Info()
	wrongOrigin.SubmissionURL = "https://elsewhere.example/log/"
	wrongKey := other.Info()
	wrongKey.Key, wrongKey.KeyDER = static.Info().Key, static.Info().KeyDER
	for name, info := range map[string]ctlog.LogInfo{"origin": wrongOrigin, "key": wrongKey} {
		t.Run(name, func(t *testing.T) {
			r := start(t, info, fastOptions(""))
			deadline := time.Now().Add(10 * time.Second)
			for r.f.FetchErrors()[ctlog.KindSignature] < 3 {
				if time.Now().After(deadline) {
					t.Fatalf("no signature errors: %v", r.f.FetchErrors())
				}
				time.Sleep(time.Millisecond)
			}
			select {
			case b := <-r.batches:
				t.Fatalf("got a batch of %d entries from an unverified log", len(b.Entries))
			default:
			}
			if st := r.f.Status(); st.TreeSize != 0 || st.LastError == "" {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// A log that caps get-entries answers is read in spans of its cap once the cap is seen, so
// that the spans in flight side by side are each one request.
func TestBatchCapDiscovered(t *testing.T) {
	log := newLog(t, ctlog.TypeRFC6962)
	wants := addEntries(t, log, 1500)
	log.SetFaults(ctlogtest.Faults{BatchCap: 10})
	opts := fastOptions(t.TempDir())
	opts.BatchSize, opts.Parallel = 64, 4
	r := start(t, log.Info(), opts)
	entries, _ := r.collect(t, 1500)
	checkEntries(t, entries, 0, wants, log.Info())
	var asked []int64
	for _, u := range log.RequestURIs() {
		var from, to int64
		if _, err := fmt.Sscanf(u, "/ct/v1/get-entries?start=%d&end=%d", &from, &to); err == nil {
			asked = append(asked, to-from+1)
		}
	}
	// Once the cap is seen, spans are sized to it: each is one request of exactly 10 entries
	// (without discovery a 64-entry span asks for 64, 54, 44, ... and never for 10).
	tens := 0
	for _, n := range asked {
		if n == 10 {
			tens++
		}
	}
	if tens < 50 {
		t.Errorf("%d of %d get-entries requests sized to the cap of 10: %v", tens, len(asked), asked)
	}
}
