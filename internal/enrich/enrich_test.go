package enrich

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

// clock is a settable time for the enricher and its lookups.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func openIncident(t *testing.T, store *incident.Store, domain string) incident.EnrichTarget {
	t.Helper()
	a := detect.Alert{Asset: "paypal.com", Domain: domain, DomainUnicode: domain, RegisteredDomain: domain, Score: 80,
		Severity: "high", Incident: true, Matched: detect.Matched{Kind: "levenshtein", Value: "paypal", Similarity: 0.9}}
	ch, err := store.Record(context.Background(), a, &certs.Cert{SHA256: strings.Repeat("ab", 32), DNSNames: []string{domain},
		Log: certs.LogRef{Name: "log", URL: "http://log"}})
	if err != nil {
		t.Fatal(err)
	}
	return incident.EnrichTarget{ID: ch.Incident.ID, Domain: domain, RegisteredDomain: domain}
}

func TestEnricherLooksAndWatches(t *testing.T) {
	z := startZone(t, "paypa1.com. 300 IN NS ns1.sedoparking.com.\n")
	rdap := startRDAP(t)
	store, err := incident.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	looked := make(chan incident.Enrichment, 10)
	e := New(Options{Store: store, DNS: &DNS{Servers: []string{z.addr}, Now: clk.Now},
		RDAP: &RDAP{Bootstrap: rdap.URL + "/dns.json", Now: clk.Now}, Rate: 1000,
		Recheck: []time.Duration{time.Hour, 6 * time.Hour}, ScanEvery: time.Hour, Now: clk.Now,
		OnEnriched: func(_ *incident.Incident, ev incident.Enrichment) { looked <- ev }})
	target := openIncident(t, store, "paypa1.com")
	ctx := context.Background()
	// step runs what one worker does with the next queued incident.
	step := func() incident.Enrichment {
		t.Helper()
		select {
		case next := <-e.queue:
			e.mu.Lock()
			delete(e.pending, next.ID)
			e.mu.Unlock()
			e.Look(ctx, next)
		default:
			t.Fatal("nothing queued")
		}
		return <-looked
	}

	e.Enqueue(target)
	e.ScanDue(ctx) // finds the incident never enriched, already queued: not queued twice
	if n := len(e.queue); n != 1 {
		t.Fatalf("%d queued", n)
	}
	ev := step()
	if ev.DNS == nil || ev.DNS.Status != incident.DNSNoData || !ev.DNS.Parked || ev.RDAP == nil || ev.RDAP.Registrar != "Evil Registrar, Inc." ||
		*ev.RDAP.AgeDays != 2 || ev.Checks != 1 || ev.NextCheck == nil || !ev.NextCheck.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("first look: %+v", ev)
	}
	if ev.Points != 10 || len(ev.Reasons) != 2 { // registered 2 days ago +20, parked -10
		t.Errorf("first look's reasons: %d %+v", ev.Points, ev.Reasons)
	}
	inc, err := store.Get(ctx, target.ID)
	if err != nil || inc.Enrichment == nil || inc.Enrichment.DNS.Status != incident.DNSNoData {
		t.Fatalf("stored: %+v %v", inc, err)
	}

	// The name goes live before the recheck.
	z.mu.Lock()
	z.records["paypa1.com."] = append(z.records["paypa1.com."], mustRR(t, "paypa1.com. 300 IN A 192.0.2.66"))
	z.mu.Unlock()
	if e.ScanDue(ctx); len(e.queue) != 0 {
		t.Fatal("queued before its recheck is due")
	}
	clk.Add(time.Hour)
	e.ScanDue(ctx)
	ev = step()
	if ev.DNS.Status != incident.DNSResolves || ev.Checks != 2 || !ev.NextCheck.Equal(clk.Now().Add(6*time.Hour)) ||
		len(ev.History) != 1 || ev.History[0].Change != "started resolving" {
		t.Fatalf("recheck: %+v", ev)
	}
	clk.Add(6 * time.Hour)
	e.ScanDue(ctx)
	if ev = step(); ev.Checks != 3 || ev.NextCheck != nil || len(ev.History) != 1 {
		t.Fatalf("last look: %+v", ev)
	}
	clk.Add(1000 * time.Hour)
	if due, err := store.DueEnrichment(ctx, clk.Now(), 10); err != nil || len(due) != 0 {
		t.Fatalf("due after the schedule: %v %v", due, err)
	}
	if n := rdap.count("/rdap/domain/paypa1.com"); n != 1 {
		t.Errorf("RDAP asked %d times within a day, want 1", n)
	}
	if s := e.Stats(); s.Done != 3 || s.Failed != 0 || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestEnqueueNeverBlocks: with its one worker stuck on a resolver that never answers and the
// queue full, Enqueue returns at once, counting what it could not take.
func TestEnqueueNeverBlocks(t *testing.T) {
	z := startZone(t, "")
	stuck := make(chan struct{})
	store := &fakeStore{get: func(id string) (*incident.Incident, error) {
		<-stuck
		return &incident.Incident{ID: id, Domain: "x.com", RegisteredDomain: "x.com"}, nil
	}}
	e := New(Options{Store: store, DNS: &DNS{Servers: []string{z.addr}}, QueueSize: 2, Concurrency: 1, Rate: 1000, ScanEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	accepted := 0
	for i := range 1000 {
		if e.Enqueue(incident.EnrichTarget{ID: string(rune('a'+i%26)) + strings.Repeat("x", i/26), Domain: "x.com", RegisteredDomain: "x.com"}) {
			accepted++
		}
	}
	if s := e.Stats(); accepted > 3 || s.Dropped < 997 || s.Dropped+int64(accepted) != 1000 {
		t.Fatalf("accepted %d, stats %+v", accepted, s)
	}
	close(stuck)
	cancel()
	<-done
}

func TestLookSurvivesPanicsAndFailures(t *testing.T) {
	e := New(Options{Store: &fakeStore{get: func(string) (*incident.Incident, error) { panic("hostile") }}, Rate: 1000})
	e.Look(context.Background(), incident.EnrichTarget{ID: "1"})
	e2 := New(Options{Store: &fakeStore{get: func(string) (*incident.Incident, error) { return nil, errors.New("db down") }}, Rate: 1000})
	e2.Look(context.Background(), incident.EnrichTarget{ID: "1"})
	if e.Stats().Failed != 1 || e2.Stats().Failed != 1 {
		t.Fatalf("failed counts %d %d", e.Stats().Failed, e2.Stats().Failed)
	}
}

func TestDomainInterval(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	e := New(Options{Store: &fakeStore{}, Rate: 1000, DomainInterval: time.Hour, Now: clk.Now})
	ctx := context.Background()
	if err := e.wait(ctx, "paypa1.com"); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.wait(cancelled, "PAYPA1.com"); err == nil {
		t.Fatal("a second look at one registered domain within the interval did not wait")
	}
	clk.Add(time.Minute) // past the global spacing
	if err := e.wait(cancelled, "other.com"); err != nil {
		t.Fatalf("another domain waited: %v", err)
	}
}

type fakeStore struct {
	get func(id string) (*incident.Incident, error)
}

func (f *fakeStore) Brief(_ context.Context, id string) (*incident.Incident, error) { return f.get(id) }
func (f *fakeStore) SetEnrichment(context.Context, string, incident.Enrichment) error {
	return nil
}
func (f *fakeStore) DueEnrichment(context.Context, time.Time, int) ([]incident.EnrichTarget, error) {
	return nil, nil
}
