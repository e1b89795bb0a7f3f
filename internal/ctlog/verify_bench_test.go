package ctlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// BenchmarkFollowRFC6962 is issue 12's "RFC 6962 follow with verification": a follower
// reads a 20,000-entry loopback log from the beginning with the default batch size, so
// that verification does a mid-tree settle (an audit path at the end of the first
// catch-up round) and a root check at the tree head; noverify is the baseline.
func BenchmarkFollowRFC6962(b *testing.B) {
	ca, err := testcert.Default()
	if err != nil {
		b.Fatal(err)
	}
	pair, err := ca.Pair([]string{"bench.example"}, testcert.Options{})
	if err != nil {
		b.Fatal(err)
	}
	const n = 20000
	log, err := ctlogtest.NewRFC6962()
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	entries := make([]ctlogtest.Entry, n)
	for i := range entries {
		// Distinct timestamps make distinct leaves, so that audit paths by hash exist.
		ts := time.UnixMilli(1_780_000_000_000 + int64(i))
		if i%2 == 0 {
			entries[i] = ctlogtest.Entry{Precert: pair.Precert, Chain: ca.Chain(), Timestamp: ts}
		} else {
			entries[i] = ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain(), Timestamp: ts}
		}
	}
	if _, err := log.Add(entries...); err != nil {
		b.Fatal(err)
	}
	if err := log.Publish(); err != nil {
		b.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		name := "verify"
		if skip {
			name = "noverify"
		}
		b.Run(name, func(b *testing.B) {
			total := 0
			cpu := cpuTime()
			for b.Loop() {
				f, err := ctlog.NewFollower(log.Info(), ctlog.FollowerOptions{Start: "beginning", SkipVerification: skip})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				out := make(chan source.Batch, 16)
				done := make(chan error, 1)
				go func() { done <- f.Run(ctx, out) }()
				for got := 0; got < n; {
					batch := <-out
					got += len(batch.Entries)
					if err := batch.Commit(); err != nil {
						b.Fatal(err)
					}
				}
				cancel()
				<-done
				if st := f.Status(); !skip && (*st.VerifiedSize != n || *st.VerificationError != "") {
					b.Fatalf("verified %d of %d: %s", *st.VerifiedSize, n, *st.VerificationError)
				}
				total += n
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "entries/s")
			reportCPU(b, cpu)
		})
	}
}
