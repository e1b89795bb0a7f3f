package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/certhunt/certhunt/internal/certs"
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
// saturated: 1,000 real incidents queued before the run and every new one queued, workers
// storing evidence from a loopback resolver. "saturated" keeps serve's default limits
// (4 workers, 5 looks a second); "unthrottled" lifts the rate limit with a resolver that answers
// after 20 ms, as a recursive resolver does; "unthrottled-instant" is a stress case in which the
// workers, with a resolver that answers at once, compete with ingestion for the CPU. Run with
// -benchtime=1x.
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
	var resolverDelay atomic.Int64 // nanoseconds before each answer
	resolver := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		time.Sleep(time.Duration(resolverDelay.Load())) // simulated resolver latency, not synchronisation
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	})}
	go resolver.ActivateAndServe()
	defer resolver.Shutdown()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	for _, mode := range []string{"idle", "saturated", "unthrottled", "unthrottled-instant"} {
		b.Run(mode, func(b *testing.B) {
			resolverDelay.Store(0)
			if mode == "unthrottled" {
				resolverDelay.Store(int64(20 * time.Millisecond))
			}
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
					rate := 5.0 // enrich.rate's default
					if mode != "saturated" {
						rate = 1e9
					}
					e = enrich.New(enrich.Options{Store: store, DNS: &enrich.DNS{Servers: []string{pc.LocalAddr().String()}},
						QueueSize: 2000, Concurrency: 4, Rate: rate, Recheck: []time.Duration{time.Hour}, Logger: quiet})
					for _, t := range queuedIncidents(b, store, 1000) {
						e.Enqueue(t)
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

// queuedIncidents records n incidents (not lookalikes of the benchmark's log) and returns them
// as enrichment targets.
func queuedIncidents(b *testing.B, store *incident.Store, n int) []incident.EnrichTarget {
	b.Helper()
	var out []incident.EnrichTarget
	for i := range n {
		d := fmt.Sprintf("queued%d-login.example", i)
		a := detect.Alert{Asset: "brand0.com", Domain: d, DomainUnicode: d, RegisteredDomain: d, Score: 70, Severity: "high", Incident: true,
			Reasons: []detect.Reason{{Rule: "combosquat", Points: 70, Detail: "queued"}}}
		ch, err := store.Record(context.Background(), a, &certs.Cert{SHA256: fmt.Sprintf("%064x", i), DNSNames: []string{d},
			Log: certs.LogRef{Name: "queued", URL: "http://queued"}, Index: int64(i), SeenAt: time.Now(), DER: []byte{0x30, 0}})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, incident.EnrichTarget{ID: ch.Incident.ID, Domain: d, RegisteredDomain: d})
	}
	return out
}
