package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// BenchmarkEndToEnd follows a loopback static-ct-api log of 100,000 real DER certificates
// through the whole pipeline (fetch, decode, parse, match against 100 assets, store) and
// reports entries per second. Run it with -benchtime=1x.
func BenchmarkEndToEnd(b *testing.B) {
	const entries = 100_000
	log := benchStaticLog(b, entries, func(i int) []string {
		names := []string{fmt.Sprintf("www.site%d.example", i), fmt.Sprintf("api%d.shop-%d.net", i, i%97)}
		if i%10_000 == 0 {
			names = append(names, fmt.Sprintf("brand%d-login.com", i%100)) // a few lookalikes
		}
		return names
	})
	list := homograph.List{}
	for i := range 100 {
		list[fmt.Sprintf("brand%d.com", i)] = []string{fmt.Sprintf("brand%d-secure.com", i), fmt.Sprintf("brnad%d.com", i)}
	}
	ix, err := detect.Build(list, detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		store, err := incident.OpenSQLite(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		p := &pipeline.Pipeline{Store: store, Index: func() *detect.Index { return ix }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		ch := make(chan source.Batch, 8)
		ctx := context.Background()
		start := time.Now()
		go func() {
			if err := ctlog.ScanRange(ctx, log.Info(), 0, entries, ctlog.FollowerOptions{}, ch, nil); err != nil {
				b.Error(err)
			}
			close(ch)
		}()
		if err := p.Run(ctx, ch); err != nil {
			b.Fatal(err)
		}
		if got := p.Stats().Entries.Load(); got != entries {
			b.Fatalf("processed %d entries, want %d", got, entries)
		}
		b.ReportMetric(float64(entries)/time.Since(start).Seconds(), "entries/s")
		store.Close()
	}
}

// benchStaticLog serves n real DER certificates, certificate i naming names(i), from a
// loopback static-ct-api log, published; it is closed when the benchmark ends.
func benchStaticLog(b *testing.B, n int, names func(i int) []string) *ctlogtest.Log {
	b.Helper()
	ca, err := testcert.Default()
	if err != nil {
		b.Fatal(err)
	}
	log, err := ctlogtest.NewStatic()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(log.Close)
	batch := make([]ctlogtest.Entry, 0, 1000)
	for i := range n {
		der, err := ca.Issue(names(i), testcert.Options{})
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := log.Add(batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := log.Publish(); err != nil {
		b.Fatal(err)
	}
	return log
}
