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
	sim, matches, favicon := 0.91, false, int32(-1234567)
	inc.Enrichment = &incident.Enrichment{CheckedAt: time.Now().UTC(), Checks: 2,
		DNS: &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"192.0.2.1"}, NS: []string{"ns1.sedoparking.com"},
			Parked: true, ParkingNS: "ns1.sedoparking.com", Error: evilSubject},
		RDAP: &incident.RDAPEvidence{Registrar: evilSubject, Created: &created, AgeDays: &age},
		HTTP: &incident.HTTPEvidence{URL: "https://paypa1.com/", Status: 200, Redirects: []string{"https://paypa1.com/" + evilSubject},
			FinalURL: "https://paypa1.com/signin", Title: evilSubject, LoginForm: true, PasswordForm: true, BrandWords: []string{"paypal"},
			BrandSimilarity: &sim, CertMatchesCT: &matches, FaviconHash: &favicon},
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
	if got := u.Text("#evidence-title"); got != evilSubject {
		t.Errorf("hostile title %q, want it as text %q", got, evilSubject)
	}
	for sel, want := range map[string]string{"#evidence-http": "HTTP 200", "#evidence-similarity": "0.91"} {
		if got := u.Text(sel); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	for _, want := range []string{"yes, with a password field", "not from CT", "-1234567", "https://paypa1.com/signin"} {
		if !strings.Contains(card, want) {
			t.Errorf("evidence card lacks %q", want)
		}
	}
	if n := u.Eval(`String(document.querySelectorAll('#evidence a, #evidence img, #evidence script').length)`); n != "0" {
		t.Errorf("the suspect's text made %s links, images or scripts", n)
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
