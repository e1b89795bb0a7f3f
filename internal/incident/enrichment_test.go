package incident

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
)

func TestEnrichmentStored(t *testing.T) { eachBackend(t, testEnrichmentStored) }

func testEnrichmentStored(t *testing.T, open opener) {
	s := open(t)
	ctx := context.Background()
	now := time.Unix(1700000000, 0).UTC()
	s.now = func() time.Time { return now }
	ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 80, "high"), cert("aa11", 1, certs.X509))
	if err != nil {
		t.Fatal(err)
	}
	id := ch.Incident.ID
	if ch.Incident.Enrichment != nil {
		t.Fatalf("new incident has enrichment %+v", ch.Incident.Enrichment)
	}
	due, err := s.DueEnrichment(ctx, now, 10)
	if err != nil || len(due) != 1 || due[0].ID != id || due[0].Domain != "paypa1.com" || due[0].RegisteredDomain != "paypa1.com" {
		t.Fatalf("due before enrichment = %+v, %v", due, err)
	}
	next := now.Add(time.Hour)
	age := 3
	e := Enrichment{CheckedAt: now, NextCheck: &next, Checks: 1,
		DNS:  &DNSEvidence{Status: DNSResolves, A: []string{"192.0.2.1"}, NS: []string{"ns1.sedoparking.com"}, Parked: true},
		RDAP: &RDAPEvidence{Registrar: "Evil \x00 Registrar \xff", Created: &now, AgeDays: &age}}
	if err := s.SetEnrichment(ctx, id, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Enrichment; g == nil || g.DNS.A[0] != "192.0.2.1" || !g.DNS.Parked || *g.RDAP.AgeDays != 3 || !g.NextCheck.Equal(next) {
		t.Fatalf("enrichment = %+v", got.Enrichment)
	}
	list, _, err := s.List(ctx, Filter{})
	if err != nil || len(list) != 1 || list[0].Enrichment == nil {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if due, err := s.DueEnrichment(ctx, now, 10); err != nil || len(due) != 0 {
		t.Fatalf("due before next check = %+v, %v", due, err)
	}
	if due, err := s.DueEnrichment(ctx, next, 10); err != nil || len(due) != 1 {
		t.Fatalf("due at next check = %+v, %v", due, err)
	}
	e.NextCheck = nil // the schedule is over
	if err := s.SetEnrichment(ctx, id, e); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueEnrichment(ctx, next.Add(1000*time.Hour), 10); err != nil || len(due) != 0 {
		t.Fatalf("due after the schedule = %+v, %v", due, err)
	}
	if err := s.SetEnrichment(ctx, "999", e); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown incident: %v", err)
	}
}
