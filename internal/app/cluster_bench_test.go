package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/cluster"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// BenchmarkClusterThroughput reads one loopback static-ct-api log of real DER certificates
// twice: through the single-process pipeline (fetch, parse, match, store), and through one
// cluster node doing both roles, with every batch published to JetStream (an in-process
// nats-server, file storage), acknowledged, consumed and handled by the same pipeline. It
// reports entries per second of each, and the process's CPU time per entry (user + system, the
// in-process NATS server's included), which other load on the machine disturbs less; the hop's
// cost is their ratio. Run with -benchtime=1x.
func BenchmarkClusterThroughput(b *testing.B) {
	const entries = 50_000
	log := benchStaticLog(b, entries, func(i int) []string {
		names := []string{fmt.Sprintf("www.site%d.example", i), fmt.Sprintf("api%d.shop-%d.net", i, i%97)}
		if i%10_000 == 0 {
			names = append(names, fmt.Sprintf("brand%d-login.com", i%100))
		}
		return names
	})
	list := homograph.List{}
	for i := range 100 {
		list[fmt.Sprintf("brand%d.com", i)] = []string{fmt.Sprintf("brand%d-secure.com", i)}
	}
	ix, err := detect.Build(list, detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60})
	if err != nil {
		b.Fatal(err)
	}
	newPipeline := func(b *testing.B) *pipeline.Pipeline {
		store, err := incident.OpenSQLite(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { store.Close() })
		return &pipeline.Pipeline{Store: store, Index: func() *detect.Index { return ix }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	scan := func(ctx context.Context, b *testing.B, ch chan source.Batch) {
		if err := ctlog.ScanRange(ctx, log.Info(), 0, entries, ctlog.FollowerOptions{}, ch, nil); err != nil {
			b.Error(err)
		}
		close(ch)
	}
	b.Run("single", func(b *testing.B) {
		for range b.N {
			p := newPipeline(b)
			ch := make(chan source.Batch, 4)
			start, cpu := time.Now(), cpuTime()
			go scan(context.Background(), b, ch)
			if err := p.Run(context.Background(), ch); err != nil {
				b.Fatal(err)
			}
			if got := p.Stats().Entries.Load(); got != entries {
				b.Fatalf("handled %d entries, want %d", got, entries)
			}
			b.ReportMetric(float64(entries)/time.Since(start).Seconds(), "entries/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/entries, "cpu-µs/entry")
		}
	})
	b.Run("jetstream", func(b *testing.B) {
		for range b.N {
			url := testinfra.NATS(b)
			node, err := cluster.Join(context.Background(), url, "bench", cluster.LeaseOptions{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			bt, err := node.OpenBatches(context.Background(), cluster.BatchOptions{})
			if err != nil {
				b.Fatal(err)
			}
			p := newPipeline(b)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			var once sync.Once
			go bt.Consume(ctx, func(ctx context.Context, batch source.Batch) error {
				if err := p.Handle(ctx, batch); err != nil {
					return err
				}
				if p.Stats().Entries.Load() >= entries {
					once.Do(func() { close(done) })
				}
				return nil
			}, nil)
			ch := make(chan source.Batch, 4)
			start, cpu := time.Now(), cpuTime()
			go scan(ctx, b, ch)
			go func() {
				for batch := range ch {
					if err := bt.Publish(ctx, batch); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			<-done
			b.ReportMetric(float64(entries)/time.Since(start).Seconds(), "entries/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/entries, "cpu-µs/entry")
			cancel()
			node.Close()
		}
	})
}

// cpuTime is the CPU time this process used so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
