package ctlog_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/testcert"
)

// verification returns the status's verified size and error.
func verification(t *testing.T, f *ctlog.Follower) (int64, string) {
	t.Helper()
	st := f.Status()
	if st.VerifiedSize == nil || st.VerificationError == nil {
		t.Fatalf("CT status without verification fields: %+v", st)
	}
	return *st.VerifiedSize, *st.VerificationError
}

func otherEntry(t *testing.T) ctlogtest.Entry {
	t.Helper()
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Issue([]string{"tampered.example"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ctlogtest.Entry{Cert: der, Chain: ca.Chain()}
}

func countUnverified(entries []certs.Entry) int {
	n := 0
	for _, e := range entries {
		if e.Unverified {
			n++
		}
	}
	return n
}

// An honest log verifies: from the beginning, as it grows, and from a cursor in the middle
// of the tree (RFC 6962: a starting point proven by get-proof-by-hash).
func TestVerifyHonestLog(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			addEntries(t, log, 301)
			opts := fastOptions(t.TempDir())
			r := start(t, log.Info(), opts)
			got, _ := r.collect(t, 301)
			if n := countUnverified(got); n != 0 {
				t.Errorf("%d entries of an honest log marked unverified", n)
			}
			if size, err := verification(t, r.f); size != 301 || err != "" {
				t.Errorf("verified %d, error %q; want 301", size, err)
			}
			addEntries(t, log, 77)
			r.collect(t, 77)
			if size, err := verification(t, r.f); size != 378 || err != "" {
				t.Errorf("after growth: verified %d, error %q; want 378", size, err)
			}
			r.stop(t)

			// A fresh follower starting from a cursor in the middle of the tree.
			opts.DataDir = t.TempDir()
			cursor := fmt.Sprintf(`{"url":%q,"position":250}`, log.Info().URL)
			if err := os.WriteFile(ctlog.CursorPath(opts.DataDir, log.Info().URL), []byte(cursor), 0o644); err != nil {
				t.Fatal(err)
			}
			r2 := start(t, log.Info(), opts)
			r2.collect(t, 128)
			if size, err := verification(t, r2.f); size != 378 || err != "" {
				t.Errorf("from a cursor: verified %d, error %q; want 378", size, err)
			}
		})
	}
}

// A log that serves an entry its tree does not hold is flagged; its entries are still
// handed on, marked unverified, and an honest log next to it goes on verifying.
func TestVerifyTamperedEntry(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			bad, good := newLog(t, typ), newLog(t, typ)
			addEntries(t, bad, 300)
			addEntries(t, good, 300)
			if err := bad.Tamper(123, otherEntry(t)); err != nil {
				t.Fatal(err)
			}
			opts := fastOptions("")
			rb, rg := start(t, bad.Info(), opts), start(t, good.Info(), opts)
			got, _ := rb.collect(t, 300)
			rg.collect(t, 300)
			size, err := verification(t, rb.f)
			if err == "" || size > 123 {
				t.Errorf("tampered log: verified %d, error %q", size, err)
			}
			if got[123].Index != 123 || !got[299].Unverified {
				t.Errorf("entry 123 missing or the last entry not marked unverified")
			}
			if n := rb.f.VerificationFailures(); n != 1 {
				t.Errorf("verification failures %d, want 1", n)
			}
			addEntries(t, bad, 10)
			later, _ := rb.collect(t, 10)
			if n := countUnverified(later); n != 10 {
				t.Errorf("%d of 10 later entries marked unverified", n)
			}
			if size2, _ := verification(t, rb.f); size2 != size {
				t.Errorf("verified size moved past unverifiable data: %d to %d", size, size2)
			}
			if size, err := verification(t, rg.f); size != 300 || err != "" {
				t.Errorf("honest log beside it: verified %d, error %q", size, err)
			}
		})
	}
}

// A log whose new head is not consistent with the previous one (a fork) is flagged.
func TestVerifyForkedHead(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			addEntries(t, log, 300)
			r := start(t, log.Info(), fastOptions(""))
			r.collect(t, 300)
			if size, err := verification(t, r.f); size != 300 || err != "" {
				t.Fatalf("before the fork: verified %d, error %q", size, err)
			}
			if err := log.Rewrite(7, otherEntry(t)); err != nil {
				t.Fatal(err)
			}
			addEntries(t, log, 20)
			later, _ := r.collect(t, 20)
			size, err := verification(t, r.f)
			if !strings.Contains(err, "not consistent") || size != 300 {
				t.Errorf("after the fork: verified %d, error %q", size, err)
			}
			if n := countUnverified(later); n != 20 {
				t.Errorf("%d of 20 entries after the fork marked unverified", n)
			}
		})
	}
}

// A scan verifies too: a range ending inside the tree is settled by the audit path of its
// last entry (RFC 6962) or the hash tiles (static), and a tampered entry fails the scan
// after every entry was read.
func TestScanVerifies(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log := newLog(t, typ)
			addEntries(t, log, 700)
			for _, r := range [][2]int64{{0, 700}, {0, 333}, {100, 650}, {257, 258}, {699, 700}} {
				if _, _, _, err := scan(t, log.Info(), r[0], r[1], fastOptions("")); err != nil {
					t.Errorf("scan %v of an honest log: %v", r, err)
				}
			}
			if err := log.Tamper(400, otherEntry(t)); err != nil {
				t.Fatal(err)
			}
			for _, r := range [][2]int64{{0, 700}, {300, 401}, {400, 401}, {350, 500}} {
				entries, _, _, err := scan(t, log.Info(), r[0], r[1], fastOptions(""))
				if err == nil || !strings.Contains(err.Error(), "verification") {
					t.Errorf("scan %v of a tampered log: %v", r, err)
				}
				if int64(len(entries)) != r[1]-r[0] {
					t.Errorf("scan %v delivered %d entries", r, len(entries))
				}
			}
		})
	}
}

// Verification can be turned off (for the benchmark's baseline).
func TestSkipVerification(t *testing.T) {
	log := newLog(t, ctlog.TypeStatic)
	addEntries(t, log, 10)
	if err := log.Tamper(3, otherEntry(t)); err != nil {
		t.Fatal(err)
	}
	opts := fastOptions("")
	opts.SkipVerification = true
	if _, _, _, err := scan(t, log.Info(), 0, -1, opts); err != nil {
		t.Fatal(err)
	}
}

// Identical leaves (same certificate, same millisecond) have no audit path of their own by
// hash: verification starts past them instead of crying wolf.
func TestVerifyDuplicateLeaves(t *testing.T) {
	log := newLog(t, ctlog.TypeRFC6962)
	e := otherEntry(t)
	e.Timestamp = time.UnixMilli(1_700_000_000_000)
	entries := make([]ctlogtest.Entry, 300)
	for i := range entries {
		entries[i] = e
	}
	if _, err := log.Add(entries...); err != nil {
		t.Fatal(err)
	}
	if err := log.Publish(); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 300}, {150, 300}, {0, 7}, {100, 200}} {
		if _, _, _, err := scan(t, log.Info(), r[0], r[1], fastOptions("")); err != nil {
			t.Errorf("scan %v: %v", r, err)
		}
	}
}

// A log that never proves its new heads consistent with the old ones is reported after a
// few heads; one missing proof is only a warning.
func TestVerifyLogWithoutConsistencyProofs(t *testing.T) {
	log := newLog(t, ctlog.TypeRFC6962)
	addEntries(t, log, 50)
	log.SetFaults(ctlogtest.Faults{NoConsistency: true})
	r := start(t, log.Info(), fastOptions(""))
	r.collect(t, 50)
	for i := range 3 {
		addEntries(t, log, 10)
		r.collect(t, 10)
		_, err := verification(t, r.f)
		if i < 2 && err != "" {
			t.Fatalf("failed after %d unproven heads: %s", i+1, err)
		}
		if i == 2 && !strings.Contains(err, "no consistency proof") {
			t.Fatalf("after 3 unproven heads: %q", err)
		}
	}
}
