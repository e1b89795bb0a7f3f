package ctlog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
)

// A log that answers 429 with Retry-After in either form (delta-seconds, or an HTTP-date
// written with "UTC" as Skylight does) is read to the end, its rate limits counted. The
// dates are in the past, so no test waits; the values are checked in TestParseRetryAfter.
func TestRateLimitedLogBothRetryAfterForms(t *testing.T) {
	past := time.Now().Add(-time.Minute).UTC().Format("Mon, 02 Jan 2006 15:04:05") + " UTC"
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		for _, ra := range []string{"0", past} {
			t.Run(typ+"/"+ra, func(t *testing.T) {
				log := newLog(t, typ)
				wants := addEntries(t, log, 600)
				log.SetFaults(ctlogtest.Faults{RateLimitEvery: 3, RetryAfter: ra, UnavailableEvery: 5})
				r := start(t, log.Info(), fastOptions(t.TempDir()))
				got, _ := r.collect(t, 600)
				checkEntries(t, got, 0, wants, log.Info())
				if errs := r.f.FetchErrors(); errs[ctlog.KindRateLimited] == 0 {
					t.Errorf("fetch errors %v: the 429s were not counted", errs)
				}
				if c := r.f.Concurrency(); c < 1 || c > 4 {
					t.Errorf("concurrency %d outside [1, Parallel]", c)
				}
			})
		}
	}
}

// A static log that does not serve its issuers still has its entries read (without the
// missing chain certificates), each missing issuer counted once.
func TestMissingIssuersDoNotBlock(t *testing.T) {
	log := newLog(t, ctlog.TypeStatic)
	wants := addEntries(t, log, 300)
	log.SetFaults(ctlogtest.Faults{MissingIssuers: true})
	opts := fastOptions("")
	opts.FullChain = true
	r := start(t, log.Info(), opts)
	got, _ := r.collect(t, 300)
	checkEntries(t, got, 0, wants, log.Info())
	for _, e := range got {
		if len(e.Chain) != 0 {
			t.Fatalf("entry %d carries %d chain certificates the log does not serve", e.Index, len(e.Chain))
		}
	}
	if st := r.f.Status(); st.Errors != 2 || !strings.Contains(st.LastError, "left out of the chain") {
		t.Errorf("errors %d (%q), want the 2 missing issuers counted once each", st.Errors, st.LastError)
	}
}
