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
	"github.com/certhunt/certhunt/internal/labelstats"
	"github.com/certhunt/certhunt/internal/names"
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
	// Labels, when set, learns from every name read how common each host label is
	// (labelstats); the detection index reads the same sketch.
	Labels *labelstats.Sketch
	Logger *slog.Logger

	stats Stats
}

// Stats are the pipeline's running totals. Entries, Parsed, Malformed and Alerts count
// committed batches only. IncidentSightings counts certificates recorded on an incident for the
// first time (opened or joined: the "incidents_raised" stage); IncidentsOpened the incidents
// opened; IncidentsRaised the incidents whose severity went up. JunkNames counts certificate
// names that are not domain names (U+FFFD, control characters, spaces, empty labels): never
// matched, only counted.
type Stats struct {
	Entries, Parsed, Malformed, Alerts, IncidentSightings, IncidentsOpened, IncidentsRaised atomic.Int64
	JunkNames                                                                               atomic.Int64
}

// Stats returns the running totals.
func (p *Pipeline) Stats() *Stats { return &p.stats }

// parsed is one entry after parsing and matching.
type parsed struct {
	cert   *certs.Cert
	alerts []detect.Alert
	junk   int // names that are not domain names
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

	// Counts and re-publishing wait until the batch is committed, so a batch that fails and is
	// retried is counted and published once. Incidents opened or raised are counted as the
	// store reports them: a retry finds them already there.
	var n struct{ entries, parsed, malformed, alerts, junk int64 } // this batch's, added to p.stats once committed
	publish := make([]*certs.Cert, 0, len(results))
	for i := range results {
		r := &results[i]
		e := &b.Entries[i]
		n.entries++
		if r.err != nil {
			n.malformed++
			m := source.Malformed{Log: e.Log, Index: e.Index, Err: r.err.Error(), Data: e.DER}
			if b.Source != (certs.LogRef{}) && b.Source != e.Log {
				m.Log, m.Err = b.Source, fmt.Sprintf("entry %d of log %q: %s", e.Index, e.Log.URL, r.err)
			}
			if err := p.Store.RecordMalformed(ctx, m); err != nil {
				return fmt.Errorf("record malformed %s#%d: %w", e.Log.URL, e.Index, err)
			}
			continue
		}
		n.parsed++
		n.junk += int64(r.junk)
		if p.Issuance != nil {
			own, err := p.Issuance.Check(ctx, r.cert)
			if err != nil {
				return fmt.Errorf("issuance check (%s#%d): %w", e.Log.URL, e.Index, err)
			}
			r.alerts = append(r.alerts, own...)
		}
		for _, a := range r.alerts {
			n.alerts++
			if !a.Incident {
				continue
			}
			ch, err := p.Store.Record(ctx, a, r.cert)
			if err != nil {
				return fmt.Errorf("record incident for %s (%s#%d): %w", a.Domain, e.Log.URL, e.Index, err)
			}
			if ch.NewSighting {
				p.stats.IncidentSightings.Add(1)
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
		publish = append(publish, r.cert)
	}
	for _, m := range b.Malformed {
		n.entries++
		n.malformed++
		if err := p.Store.RecordMalformed(ctx, m); err != nil {
			return fmt.Errorf("record malformed %s#%d: %w", m.Log.URL, m.Index, err)
		}
	}
	if b.Commit != nil {
		if err := b.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	for i := range results {
		if r := &results[i]; r.err != nil {
			e := &b.Entries[i]
			p.Logger.Warn("malformed entry", "log", e.Log.URL, "index", e.Index, "err", r.err)
		}
	}
	for _, m := range b.Malformed {
		p.Logger.Warn("malformed entry", "log", m.Log.URL, "index", m.Index, "err", m.Err)
	}
	p.stats.Entries.Add(n.entries)
	p.stats.Parsed.Add(n.parsed)
	p.stats.Malformed.Add(n.malformed)
	p.stats.Alerts.Add(n.alerts)
	p.stats.JunkNames.Add(n.junk)
	if p.Publish != nil {
		for _, c := range publish {
			p.Publish(c)
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
	var best bestAlerts
	junk := 0
	for _, name := range c.DNSNames {
		n, err := names.Parse(name)
		if err != nil {
			junk++
			continue
		}
		if p.Labels != nil {
			p.Labels.Observe(n)
		}
		if ix != nil {
			for _, a := range ix.CheckName(n) {
				best.add(a)
			}
		}
	}
	return parsed{cert: c, alerts: capIncidents(best.alerts), junk: junk}
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
