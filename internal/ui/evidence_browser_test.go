package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

// TestBrowserEvidence: the incident page's Evidence card shows the enrichment, and a hostile
// registry's or resolver's text stays text.
func TestBrowserEvidence(t *testing.T) {
	u := newUITest(t)
	inc := u.api.clone("inc-evil")
	inc.ID = "inc-evidence"
	created := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	age := 3
	inc.Enrichment = &incident.Enrichment{CheckedAt: time.Now().UTC(), Checks: 2,
		DNS: &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"192.0.2.1"}, NS: []string{"ns1.sedoparking.com"},
			Parked: true, ParkingNS: "ns1.sedoparking.com", Error: evilSubject},
		RDAP:    &incident.RDAPEvidence{Registrar: evilSubject, Created: &created, AgeDays: &age},
		Reasons: []detect.Reason{{Rule: "evidence_young_registration", Points: 20, Detail: "registered 3 days ago"}},
		History: []incident.EnrichmentChange{{At: time.Now().UTC(), Change: "started resolving"}}}
	u.api.add(&inc)
	u.Open("#/incidents/inc-evidence", "#evidence")
	card := u.Text("#evidence")
	for _, want := range []string{"+20 registered 3 days ago", "192.0.2.1", "ns1.sedoparking.com", "started resolving", evilSubject} {
		if !strings.Contains(card, want) {
			t.Errorf("evidence card lacks %q: %q", want, card)
		}
	}
	if got := u.Text("#evidence-dns"); got != "resolves" {
		t.Errorf("DNS badge %q", got)
	}
	if got := u.Text("#evidence-age"); got != "3 days" {
		t.Errorf("age %q", got)
	}
	if got := u.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Fatalf("injected markup ran: window.__pwned is %s", u.Eval(`String(window.__pwned)`))
	}
	u.Open("#/incidents/inc-evil", "#evidence")
	if card := u.Text("#evidence"); !strings.Contains(card, "Not gathered yet") {
		t.Errorf("an incident without enrichment: %q", card)
	}
}
