// Package enrich gathers triage evidence for incidents in the background (SPEC.md
// "Enrichment"): DNS records and RDAP registration data, looked at again on a schedule.
//
// Ingestion never waits for it: Enqueue never blocks (a full queue is counted, and the
// incident is picked up later by the schedule, which also finds incidents never enriched), and
// a lookup that fails is recorded in the evidence, never lost or retried in a loop.
package enrich

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
)

// Store is what the enricher needs of incident.Store.
type Store interface {
	Brief(ctx context.Context, id string) (*incident.Incident, error)
	SetEnrichment(ctx context.Context, id string, e incident.Enrichment) error
	DueEnrichment(ctx context.Context, now time.Time, limit int) ([]incident.EnrichTarget, error)
}

// Options configure an Enricher. Zero values take the defaults given.
type Options struct {
	Store Store
	// DNS and RDAP are the lookups; nil leaves that evidence out.
	DNS  *DNS
	RDAP *RDAP
	// Site fetches the suspect site (enrich.http); nil leaves it out. It is asked only when
	// DNS is off or says the name resolves.
	Site *Site
	// Screenshots, when set, pictures names that resolve (screenshot.go).
	Screenshots *Screenshots
	// QueueSize bounds waiting incidents (default 1000); Concurrency is how many are looked at
	// at once (default 4).
	QueueSize, Concurrency int
	// Rate is the most looks started per second overall (default 5).
	Rate float64
	// DomainInterval is the least time between two looks at one registered domain.
	DomainInterval time.Duration
	// Recheck are the delays before each next look; after the last, none is scheduled.
	Recheck []time.Duration
	// ScanEvery is how often due rechecks are looked for (default 1m).
	ScanEvery time.Duration
	// LookTimeout bounds one incident's lookups (default 2m).
	LookTimeout time.Duration
	// OnEnriched is called after each look is stored (from a worker goroutine).
	OnEnriched func(inc *incident.Incident, e incident.Enrichment)
	Now        func() time.Time
	Logger     *slog.Logger
}

// Enricher runs the lookups. Enqueue may be called before and while Run runs.
type Enricher struct {
	o     Options
	queue chan incident.EnrichTarget

	mu      sync.Mutex
	pending map[string]bool // queued or being looked at, by incident ID
	// next is when the global rate next allows a look; domains when each registered domain
	// next may be looked at.
	next    time.Time
	domains map[string]time.Time

	enqueued, dropped, done, failed atomic.Int64
}

// maxHistory bounds the changes kept per incident.
const maxHistory = 50

// New makes an Enricher.
func New(o Options) *Enricher {
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Rate <= 0 {
		o.Rate = 5
	}
	if o.ScanEvery <= 0 {
		o.ScanEvery = time.Minute
	}
	if o.LookTimeout <= 0 {
		o.LookTimeout = 2 * time.Minute
	}
	o.Now = cmpNow(o.Now)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Enricher{o: o, queue: make(chan incident.EnrichTarget, o.QueueSize), pending: map[string]bool{},
		domains: map[string]time.Time{}}
}

// Enqueue asks for a look at an incident without ever blocking. It reports false when the
// queue is full (the incident is counted as dropped; the schedule finds it later). An
// incident already waiting is not queued twice.
func (e *Enricher) Enqueue(t incident.EnrichTarget) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending[t.ID] {
		return true
	}
	select {
	case e.queue <- t:
		e.pending[t.ID] = true
		e.enqueued.Add(1)
		return true
	default:
		e.dropped.Add(1)
		return false
	}
}

// Stats are the enricher's counters, for /metrics and tests.
type Stats struct {
	Queued                          int
	Enqueued, Dropped, Done, Failed int64
}

// Stats returns the counters.
func (e *Enricher) Stats() Stats {
	return Stats{Queued: len(e.queue), Enqueued: e.enqueued.Load(), Dropped: e.dropped.Load(), Done: e.done.Load(), Failed: e.failed.Load()}
}

// Run looks at queued incidents with Concurrency workers, and queues due rechecks every
// ScanEvery, until ctx ends.
func (e *Enricher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range e.o.Concurrency {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case t := <-e.queue:
					// No longer pending once taken: a recheck asked for during the look
					// (an analyst's, say) is queued again rather than lost.
					e.mu.Lock()
					delete(e.pending, t.ID)
					e.mu.Unlock()
					e.Look(ctx, t)
				}
			}
		})
	}
	defer e.o.Screenshots.Close()
	tick := time.NewTicker(e.o.ScanEvery)
	defer tick.Stop()
	for {
		e.ScanDue(ctx)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
	}
}

// ScanDue queues the incidents whose next look is due (or that were never looked at), as
// many as the queue has room for.
func (e *Enricher) ScanDue(ctx context.Context) {
	room := cap(e.queue) - len(e.queue)
	if room <= 0 {
		return
	}
	due, err := e.o.Store.DueEnrichment(ctx, e.o.Now(), room)
	if err != nil {
		if ctx.Err() == nil {
			e.o.Logger.Warn("enrichment: listing due incidents", "err", err)
		}
		return
	}
	for _, t := range due {
		if !e.Enqueue(t) {
			break
		}
	}
}

// wait blocks until the global rate and the registered domain's interval allow a look.
func (e *Enricher) wait(ctx context.Context, registered string) error {
	e.mu.Lock()
	now := e.o.Now()
	at := later(now, e.next)
	e.next = at.Add(time.Duration(float64(time.Second) / e.o.Rate))
	if d := e.o.DomainInterval; d > 0 {
		key := strings.ToLower(registered)
		at = later(at, e.domains[key])
		if len(e.domains) >= 10000 { // bounded: drop the times already past
			for k, t := range e.domains {
				if t.Before(now) {
					delete(e.domains, k)
				}
			}
		}
		e.domains[key] = at.Add(d)
	}
	e.mu.Unlock()
	if delay := at.Sub(now); delay > 0 {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
	return nil
}

// Look gathers and stores one incident's evidence now (workers call it; so can tests). A
// panic in a lookup is recovered and counted: no answer can stop the enricher.
func (e *Enricher) Look(ctx context.Context, t incident.EnrichTarget) {
	defer func() {
		if r := recover(); r != nil {
			e.failed.Add(1)
			e.o.Logger.Error("enrichment: lookup panicked", "incident", t.ID, "domain", t.Domain, "panic", fmt.Sprint(r))
		}
	}()
	if err := e.wait(ctx, t.RegisteredDomain); err != nil {
		return
	}
	inc, err := e.o.Store.Brief(ctx, t.ID)
	if err != nil {
		if ctx.Err() == nil {
			e.failed.Add(1)
			e.o.Logger.Warn("enrichment: reading incident", "incident", t.ID, "err", err)
		}
		return
	}
	lctx, cancel := context.WithTimeout(ctx, e.o.LookTimeout)
	defer cancel()
	now := e.o.Now().UTC()
	ev := incident.Enrichment{CheckedAt: now}
	var prev incident.Enrichment
	if inc.Enrichment != nil {
		prev = *inc.Enrichment
	}
	if e.o.DNS != nil {
		ev.DNS = e.o.DNS.Lookup(lctx, inc.Domain, inc.RegisteredDomain)
	}
	if e.o.RDAP != nil {
		r := e.o.RDAP.Lookup(lctx, inc.RegisteredDomain)
		ev.RDAP = &r
	}
	// A wildcard certificate's name is fetched and pictured at its parent: "*" is no host to ask.
	host := strings.TrimPrefix(inc.Domain, "*.")
	if e.o.Site != nil && (ev.DNS == nil || ev.DNS.Status == incident.DNSResolves) {
		certs := make([]string, 0, len(inc.Certificates))
		for _, c := range inc.Certificates {
			certs = append(certs, c.SHA256)
		}
		ev.HTTP = e.o.Site.Fetch(lctx, host, inc.Asset, certs)
	}
	e.screenshot(lctx, inc, host, &ev)
	if ctx.Err() != nil {
		return // shutting down: a half look is not recorded, the schedule repeats it
	}
	ev.Checks = prev.Checks + 1
	if ev.Checks <= len(e.o.Recheck) {
		next := now.Add(e.o.Recheck[ev.Checks-1])
		ev.NextCheck = &next
	}
	ev.History = slices.Clone(prev.History)
	for _, c := range changes(inc.Enrichment, ev) {
		ev.History = append(ev.History, incident.EnrichmentChange{At: now, Change: c})
	}
	if n := len(ev.History); n > maxHistory {
		ev.History = ev.History[n-maxHistory:]
	}
	ev.Reasons = Reasons(ev)
	for _, r := range ev.Reasons {
		ev.Points += r.Points
	}
	if err := e.o.Store.SetEnrichment(ctx, t.ID, ev); err != nil {
		if ctx.Err() == nil {
			e.failed.Add(1)
			e.o.Logger.Warn("enrichment: storing", "incident", t.ID, "err", err)
		}
		return
	}
	e.done.Add(1)
	e.o.Logger.Debug("enriched", "incident", t.ID, "domain", inc.Domain, "dns", dnsStatus(ev.DNS), "http", httpStatus(ev.HTTP))
	if e.o.OnEnriched != nil {
		e.o.OnEnriched(inc, ev)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func dnsStatus(d *incident.DNSEvidence) string {
	if d == nil {
		return ""
	}
	return d.Status
}

func httpStatus(h *incident.HTTPEvidence) int {
	if h == nil {
		return 0
	}
	return h.Status
}

// History entries of a name going live: in DNS, with a page, with a login form.
const (
	ChangeStartedResolving = incident.StartedResolving
	ChangeStartedServing   = incident.StartedServing
	ChangeLoginForm        = incident.LoginFormAppeared
)

// similarityJump is how much the brand similarity must rise between looks, to at least
// similarityNotable, to be a change worth recording.
const (
	similarityJump    = 0.2
	similarityNotable = 0.5
)

// changes says in words what differs between the previous look and this one.
func changes(prev *incident.Enrichment, cur incident.Enrichment) []string {
	out := screenshotChanges(prev, cur)
	if prev == nil {
		return out
	}
	if p, c := prev.DNS, cur.DNS; p != nil && c != nil {
		switch {
		case p.Status != c.Status && c.Status == incident.DNSResolves:
			out = append(out, ChangeStartedResolving)
		case p.Status == incident.DNSResolves && c.Status == incident.DNSNXDomain:
			out = append(out, "stopped resolving")
		case p.Status != c.Status && c.Status != incident.DNSTimeout && p.Status != incident.DNSTimeout:
			out = append(out, fmt.Sprintf("DNS %s, was %s", c.Status, p.Status))
		}
		if p.Status == incident.DNSResolves && c.Status == incident.DNSResolves && !sameSet(p.A, c.A) && len(c.A) > 0 {
			out = append(out, "addresses changed to "+strings.Join(c.A, ", "))
		}
		if p.Parked != c.Parked && p.Status != incident.DNSTimeout && c.Status != incident.DNSTimeout {
			if c.Parked {
				out = append(out, "parked at "+c.ParkingNS)
			} else if len(c.NS) > 0 {
				out = append(out, "no longer parked")
			}
		}
	}
	out = append(out, httpChanges(prev.HTTP, cur.HTTP)...)
	return out
}

// httpChanges says what differs in the site between two looks. No HTTP evidence (the fetch
// is off, or the name did not resolve) is a site serving nothing.
func httpChanges(p, c *incident.HTTPEvidence) []string {
	var out []string
	if !c.Serving() {
		if p.Serving() && c != nil {
			out = append(out, "stopped serving a page")
		}
		return out
	}
	if !p.Serving() {
		out = append(out, fmt.Sprintf("%s (HTTP %d)", ChangeStartedServing, c.Status))
	}
	if c.LoginForm && (p == nil || !p.LoginForm) {
		out = append(out, ChangeLoginForm)
	}
	if c.PaymentForm && (p == nil || !p.PaymentForm) {
		out = append(out, "a payment form appeared")
	}
	if s := c.BrandSimilarity; s != nil && *s >= similarityNotable {
		was := 0.0
		if p != nil && p.BrandSimilarity != nil {
			was = *p.BrandSimilarity
		}
		if *s-was >= similarityJump {
			out = append(out, fmt.Sprintf("page similarity to the protected site rose to %.2f", *s))
		}
	}
	if p.Serving() && c.Title != p.Title && c.Title != "" {
		out = append(out, "title changed to "+strconv.Quote(truncate(c.Title, 100)))
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
