// Package pipeline turns source batches into incidents: parse every entry, match every name
// against the detection index in force, record alerts as incidents, re-publish every parsed
// certificate to the certstream hub, and only then commit the batch (the source's cursor).
//
// Each source gets its own goroutine, so batches of one source are handled and committed in
// order while sources proceed side by side; within a large batch, parsing and matching are spread
// over the available cores.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/source"
)

// Recorder keeps alerts and malformed entries durably (internal/incident.Store).
type Recorder interface {
	Record(ctx context.Context, a detect.Alert, c *certs.Cert) (incident.Change, error)
	RecordMalformed(ctx context.Context, m source.Malformed) error
}

// Pipeline handles batches. Its fields are set once before use.
type Pipeline struct {
	Store Recorder
	// Index returns the detection index in force (swapped atomically on reload); nil means no
	// watchlist yet, so nothing alerts.
	Index func() *detect.Index
	// Publish receives every parsed certificate (the certstream hub); may be nil. It must not block.
	Publish func(*certs.Cert)
	// OnChange receives every incident opened, raised or joined; may be nil. It must not block.
	OnChange func(incident.Change)
	// Issuance checks certificates for the protected domains' own names, which Index never
	// alerts on, and inventories them (internal/issuance); may be nil. Its alerts are recorded
	// like Index's; an error is a store failure, so the batch is not committed.
	Issuance interface {
		Check(ctx context.Context, c *certs.Cert) ([]detect.Alert, error)
	}
	Logger *slog.Logger

	stats Stats
}

// Stats are the pipeline's running totals.
type Stats struct {
	Entries, Parsed, Malformed, Alerts, IncidentsOpened, IncidentsRaised atomic.Int64
}

// Stats returns the running totals.
func (p *Pipeline) Stats() *Stats { return &p.stats }

// parsed is one entry after parsing and matching.
type parsed struct {
	cert   *certs.Cert
	alerts []detect.Alert
	err    error
}

// Handle processes one batch completely and then commits it. An error means the batch was not
// durably handled (the store failed) and must not be committed; the caller retries or stops.
func (p *Pipeline) Handle(ctx context.Context, b source.Batch) error {
	results := make([]parsed, len(b.Entries))
	var ix *detect.Index
	if p.Index != nil {
		ix = p.Index()
	}
	work := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			results[i] = p.parseAndMatch(&b.Entries[i], ix)
		}
	}
	parallelChunks(len(b.Entries), work)

	for i := range results {
		r := &results[i]
		e := &b.Entries[i]
		p.stats.Entries.Add(1)
		if r.err != nil {
			p.stats.Malformed.Add(1)
			m := source.Malformed{Log: e.Log, Index: e.Index, Err: r.err.Error(), Data: e.DER}
			if b.Source != (certs.LogRef{}) && b.Source != e.Log {
				m.Log, m.Err = b.Source, fmt.Sprintf("entry %d of log %q: %s", e.Index, e.Log.URL, r.err)
			}
			p.Logger.Warn("malformed entry", "log", e.Log.URL, "index", e.Index, "err", r.err)
			if err := p.Store.RecordMalformed(ctx, m); err != nil {
				return fmt.Errorf("record malformed %s#%d: %w", e.Log.URL, e.Index, err)
			}
			continue
		}
		p.stats.Parsed.Add(1)
		if p.Issuance != nil {
			own, err := p.Issuance.Check(ctx, r.cert)
			if err != nil {
				return fmt.Errorf("issuance check (%s#%d): %w", e.Log.URL, e.Index, err)
			}
			r.alerts = append(r.alerts, own...)
		}
		for _, a := range r.alerts {
			p.stats.Alerts.Add(1)
			if !a.Incident {
				continue
			}
			ch, err := p.Store.Record(ctx, a, r.cert)
			if err != nil {
				return fmt.Errorf("record incident for %s (%s#%d): %w", a.Domain, e.Log.URL, e.Index, err)
			}
			if ch.Created {
				p.stats.IncidentsOpened.Add(1)
				p.Logger.Info("incident opened", "id", ch.Incident.ID, "domain", a.Domain, "asset", a.Asset,
					"score", a.Score, "log", e.Log.Name, "index", e.Index)
			}
			if ch.Raised {
				p.stats.IncidentsRaised.Add(1)
			}
			if p.OnChange != nil && ch.NewSighting {
				p.OnChange(ch)
			}
		}
		if p.Publish != nil {
			p.Publish(r.cert)
		}
	}
	for _, m := range b.Malformed {
		p.stats.Entries.Add(1)
		p.stats.Malformed.Add(1)
		p.Logger.Warn("malformed entry", "log", m.Log.URL, "index", m.Index, "err", m.Err)
		if err := p.Store.RecordMalformed(ctx, m); err != nil {
			return fmt.Errorf("record malformed %s#%d: %w", m.Log.URL, m.Index, err)
		}
	}
	if b.Commit != nil {
		if err := b.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	return nil
}

// parseAndMatch parses one entry and checks each of its names, keeping for each
// (asset, registered domain) only the best alert: one certificate joins an incident once.
func (p *Pipeline) parseAndMatch(e *certs.Entry, ix *detect.Index) parsed {
	c, err := certs.Parse(e)
	if err != nil {
		return parsed{err: err}
	}
	if ix == nil {
		return parsed{cert: c}
	}
	var best bestAlerts
	for _, name := range c.DNSNames {
		for _, a := range ix.Check(name) {
			best.add(a)
		}
	}
	return parsed{cert: c, alerts: capIncidents(best.alerts)}
}

// bestAlerts keeps the best alert per (asset, registered domain), in first-seen order, with an
// index so that a certificate with thousands of names costs linear time.
type bestAlerts struct {
	alerts []detect.Alert
	at     map[[2]string]int
}

func (b *bestAlerts) add(a detect.Alert) {
	if b.at == nil {
		b.at = make(map[[2]string]int)
	}
	k := [2]string{a.Asset, a.RegisteredDomain}
	if i, ok := b.at[k]; ok {
		if a.Score > b.alerts[i].Score {
			b.alerts[i] = a
		}
		return
	}
	b.at[k] = len(b.alerts)
	b.alerts = append(b.alerts, a)
}

// MaxIncidentsPerCert bounds the incidents one certificate opens or joins. A certificate
// naming more lookalike domains than this (a SAN flood) opens one "many names" incident, for
// its best-scoring name, instead of one per name: a flood must not bury the analysts.
const MaxIncidentsPerCert = 8

// capIncidents applies MaxIncidentsPerCert: beyond it, the incident alerts become one.
func capIncidents(alerts []detect.Alert) []detect.Alert {
	n, best := 0, -1
	for i, a := range alerts {
		if a.Incident {
			n++
			if best < 0 || a.Score > alerts[best].Score {
				best = i
			}
		}
	}
	if n <= MaxIncidentsPerCert {
		return alerts
	}
	out := make([]detect.Alert, 0, len(alerts)-n+1)
	for i, a := range alerts {
		if !a.Incident {
			out = append(out, a)
			continue
		}
		if i != best {
			continue
		}
		a.Reasons = append(slices.Clip(a.Reasons), detect.Reason{Rule: "many-names", Points: 0,
			Detail: fmt.Sprintf("the certificate names %d lookalike domains; this incident stands for all of them", n)})
		out = append(out, a)
	}
	return out
}

// minChunk keeps small batches on one goroutine, where spreading costs more than it saves.
const minChunk = 64

// parallelChunks runs work over [0,n) in contiguous chunks on up to GOMAXPROCS goroutines.
func parallelChunks(n int, work func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minChunk)
	if workers <= 1 {
		work(0, n)
		return
	}
	var wg sync.WaitGroup
	size := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += size {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			work(lo, hi)
		}(lo, min(lo+size, n))
	}
	wg.Wait()
}

// Run reads one source's batches until in is closed or ctx ends. A store failure is logged and
// the batch retried, so nothing is committed that was not handled.
func (p *Pipeline) Run(ctx context.Context, in <-chan source.Batch) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b, ok := <-in:
			if !ok {
				return nil
			}
			if err := p.handleWithRetry(ctx, b); err != nil {
				return err
			}
		}
	}
}
