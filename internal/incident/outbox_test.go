package incident

import (
	"context"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// Each change that notifies is one outbox row with its own change key, written by the
// incident write itself; a false positive's changes are not; SQLite refuses the outbox.
func TestOutboxRows(t *testing.T) {
	ctx := context.Background()
	if err := backends[0].opener()(t).SetOutbox(true); err == nil {
		t.Fatal("SQLite accepted the outbox")
	}
	s, err := OpenPostgres(ctx, testinfra.Postgres(t, "incident PostgreSQL tests"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetOutbox(true); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 50, "medium"), cert("aaaa1111", 1, certs.Precert))
	if err != nil || !ch.Created {
		t.Fatal(ch, err)
	}
	id := ch.Incident.ID
	if ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 50, "medium"), cert("bbbb2222", 2, certs.X509)); err != nil || ch.Created || ch.Raised {
		t.Fatal(ch, err) // joins, changes nothing that notifies
	}
	if ch, err := s.Record(ctx, alert("paypal.com", "paypa1.com", 90, "critical"), cert("cccc3333", 3, certs.X509)); err != nil || !ch.Raised {
		t.Fatal(ch, err)
	}
	now := time.Now().UTC()
	live := Enrichment{CheckedAt: now, History: []EnrichmentChange{{At: now, Change: StartedResolving}}}
	if err := s.SetEnrichment(ctx, id, live); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEnrichment(ctx, id, Enrichment{CheckedAt: now.Add(time.Hour), History: live.History}); err != nil {
		t.Fatal(err) // a later look that did not see it go live again
	}
	items, err := s.ClaimOutbox(ctx, "n", now.Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	want := []string{id + ":new:1", id + ":severity_raised:2", id + ":went_live:3"}
	if len(keys) != len(want) {
		t.Fatalf("outbox keys %v, want %v", keys, want)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("outbox keys %v, want %v", keys, want)
		}
	}
	if again, err := s.ClaimOutbox(ctx, "m", now.Add(time.Minute), 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed rows were claimed again: %v %v", again, err)
	}
	if err := s.MarkOutbox(ctx, items[0].ID, "soc", "delivered", 1, "", "n"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOutbox(ctx, items[0].ID, "soc", "failed", 1, "late", "m"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseOutbox(ctx, "n", []int64{items[0].ID}); err != nil {
		t.Fatal(err)
	}
	back, err := s.ClaimOutbox(ctx, "m", now.Add(time.Minute), 10)
	if err != nil || len(back) != 1 || !back[0].Delivered["soc"] {
		t.Fatalf("a released row comes back knowing soc has it: %+v %v", back, err)
	}

	other, err := s.Record(ctx, alert("paypal.com", "paypa1.net", 50, "medium"), cert("dddd4444", 4, certs.Precert))
	if err != nil {
		t.Fatal(err)
	}
	fp := VerdictFalsePositive
	if _, err := s.Update(ctx, other.Incident.ID, Patch{Verdict: &fp}); err != nil {
		t.Fatal(err)
	}
	if raised, err := s.Raise(ctx, other.Incident.ID, alert("paypal.com", "paypa1.net", 99, "critical")); err != nil || !raised {
		t.Fatal(raised, err)
	}
	pending, _, err := s.OutboxStats(ctx)
	if err != nil || pending != 4 {
		t.Fatalf("%d rows pending, want 4: the false positive's raise queued a row (%v)", pending, err)
	}

	// A raise alongside a look's event queues nothing of its own: the event is the change.
	third, err := s.Record(ctx, alert("paypal.com", "paypa1.org", 50, "medium"), cert("eeee5555", 5, certs.Precert))
	if err != nil {
		t.Fatal(err)
	}
	if raised, err := s.RaiseAlongside(ctx, third.Incident.ID, alert("paypal.com", "paypa1.org", 99, "critical")); err != nil || !raised {
		t.Fatal(raised, err)
	}
	if pending, _, err := s.OutboxStats(ctx); err != nil || pending != 5 {
		t.Fatalf("%d rows pending, want 5 (the third incident's new only) (%v)", pending, err)
	}
}
