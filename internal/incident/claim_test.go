package incident_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/enrich"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// twoNodes opens two stores on one PostgreSQL schema, as two cluster nodes do, with n
// incidents never enriched.
func twoNodes(t *testing.T, n int) (a, b *incident.Store, ids []string) {
	t.Helper()
	url := testinfra.Postgres(t, "incident PostgreSQL tests")
	ctx := context.Background()
	for _, s := range []**incident.Store{&a, &b} {
		st, err := incident.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	for i := range n {
		d := fmt.Sprintf("paypal-%03d.com", i)
		ch, err := a.Record(ctx, detect.Alert{Asset: "paypal.com", Domain: d, DomainUnicode: d, RegisteredDomain: d, Score: 70,
			Severity: "high", Incident: true}, &certs.Cert{SHA256: fmt.Sprintf("%064x", i), DNSNames: []string{d},
			Log: certs.LogRef{Name: "log", URL: "http://log"}, Index: int64(i), SeenAt: time.Unix(1700000000, 0)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ch.Incident.ID)
	}
	return a, b, ids
}

// Two nodes listing due incidents at the same moment on one PostgreSQL database are handed
// disjoint sets that together are every due incident; a claim hides the incident until it
// runs out, then it is due again.
func TestDueEnrichmentClaimsOnPostgres(t *testing.T) {
	a, b, ids := twoNodes(t, 60)
	ctx := context.Background()
	now := time.Now()
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for _, s := range []*incident.Store{a, b, a, b} {
		wg.Go(func() {
			for range len(ids) { // bounded: without claims every call lists the same incidents
				due, err := s.DueEnrichment(ctx, now, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					got[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != len(ids) {
		t.Fatalf("%d of %d incidents claimed", len(got), len(ids))
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("incident %s handed out %d times", id, n)
		}
	}
	if due, err := b.DueEnrichment(ctx, now.Add(incident.EnrichClaim-time.Second), 100); err != nil || len(due) != 0 {
		t.Fatalf("due while claimed: %d %v", len(due), err)
	}
	due, err := b.DueEnrichment(ctx, now.Add(incident.EnrichClaim), 100)
	if err != nil || len(due) != len(ids) {
		t.Fatalf("due once the claims ran out: %d %v", len(due), err)
	}
	var order []string
	for _, d := range due {
		order = append(order, d.ID)
	}
	if !slices.Equal(order, ids) {
		t.Fatalf("order %v, want %v", order, ids)
	}
}

// Two enrichers, one per node, on one PostgreSQL database look at each due incident once.
func TestTwoEnrichersLookOnce(t *testing.T) {
	a, b, ids := twoNodes(t, 40)
	looks := make(chan string, 4*len(ids))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range []*incident.Store{a, b} {
		e := enrich.New(enrich.Options{Store: s, Rate: 1e6, Concurrency: 3, QueueSize: 8, ScanEvery: 5 * time.Millisecond,
			OnEnriched: func(inc *incident.Incident, _ incident.Enrichment) { looks <- inc.ID }})
		wg.Go(func() { e.Run(ctx) })
	}
	seen := map[string]int{}
	for range ids {
		seen[<-looks]++
	}
	cancel()
	wg.Wait()
	close(looks)
	for id := range looks {
		seen[id]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("incident %s looked at %d times", id, n)
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("%d of %d incidents looked at", len(seen), len(ids))
	}
}
