package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/enrich"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/pipeline"
	"github.com/certhunt/certhunt/internal/source"
)

// BenchmarkIngestEnricher compares ingestion (a loopback static log of 20,000 certificates, one
// in 20 a lookalike, through the pipeline into SQLite) with the enricher off ("idle") and
// saturated: 1,000 incidents queued before the run, every new one queued, and workers
// storing evidence from a loopback resolver. Run with -benchtime=1x.
func BenchmarkIngestEnricher(b *testing.B) {
	const entries = 20_000
	log := benchStaticLog(b, entries, func(i int) []string {
		names := []string{fmt.Sprintf("www.site%d.example", i)}
		if i%20 == 0 {
			names = append(names, fmt.Sprintf("brand%d-login%d.com", i%100, i))
		}
		return names
	})
	list := homograph.List{}
	for i := range 100 {
		list[fmt.Sprintf("brand%d.com", i)] = nil
	}
	ix, err := detect.Build(list, detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60})
	if err != nil {
		b.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	resolver := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	})}
	go resolver.ActivateAndServe()
	defer resolver.Shutdown()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	// "saturated" runs the workers unthrottled; "default-rate" as serve does (enrich.rate 5/s).
	for _, mode := range []string{"idle", "saturated", "default-rate"} {
		b.Run(mode, func(b *testing.B) {
			for range b.N {
				store, err := incident.OpenSQLite(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				p := &pipeline.Pipeline{Store: store, Index: func() *detect.Index { return ix }, Logger: quiet}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				var e *enrich.Enricher
				if mode != "idle" {
					rate := 1e9
					if mode == "default-rate" {
						rate = 5
					}
					e = enrich.New(enrich.Options{Store: store, DNS: &enrich.DNS{Servers: []string{pc.LocalAddr().String()}},
						QueueSize: 2000, Concurrency: 4, Rate: rate, Recheck: []time.Duration{time.Hour}, Logger: quiet})
					for i := range 1000 {
						e.Enqueue(incident.EnrichTarget{ID: fmt.Sprint(i + 1_000_000), Domain: "x.com", RegisteredDomain: "x.com"})
					}
					p.OnChange = func(ch incident.Change) {
						if ch.Created {
							e.Enqueue(incident.EnrichTarget{ID: ch.Incident.ID, Domain: ch.Incident.Domain, RegisteredDomain: ch.Incident.RegisteredDomain})
						}
					}
					go func() { e.Run(ctx); close(done) }()
				} else {
					close(done)
				}
				ch := make(chan source.Batch, 8)
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
				b.ReportMetric(float64(entries)/time.Since(start).Seconds(), "entries/s")
				if e != nil {
					s := e.Stats()
					b.ReportMetric(float64(s.Done), "enriched")
					b.ReportMetric(float64(s.Dropped), "dropped")
				}
				cancel()
				<-done
				store.Close()
			}
		})
	}
}
