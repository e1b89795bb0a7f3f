package notify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
)

// TestEvidenceInNotifications: a went_live event carries the enrichment to XSOAR (custom
// fields and details) and Slack (an Evidence section); before the first look nothing is added.
func TestEvidenceInNotifications(t *testing.T) {
	got := make(chan map[string]any, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		got <- body
		w.Write([]byte(`{"id":"1"}`))
	}))
	defer srv.Close()
	inc := testIncident()
	created := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	age := 3
	sim, icon := 0.91, int32(-42)
	inc.Enrichment = &incident.Enrichment{
		DNS:  &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"192.0.2.1"}, NS: []string{"ns1.host.example"}},
		RDAP: &incident.RDAPEvidence{Registrar: "Lookalike <Registrar>", Created: &created, AgeDays: &age},
		HTTP: &incident.HTTPEvidence{URL: "https://paypa1.com/", Status: 200, FinalURL: "https://paypa1.com/", Title: "Log in <PayPal>",
			LoginForm: true, PasswordForm: true, BrandSimilarity: &sim, FaviconHash: &icon}}

	x := start(t, Config{Type: "xsoar", URL: srv.URL, APIKey: "k"})
	x.d.Notify(Event{Kind: KindWentLive, Incident: inc})
	x.final(t)
	b := <-got
	cf, _ := b["CustomFields"].(map[string]any)
	if cf["certhuntdnsstatus"] != "resolves" || cf["certhuntipaddresses"] != "192.0.2.1" || cf["certhuntdomainagedays"] != 3.0 ||
		cf["certhuntregistrar"] != "Lookalike <Registrar>" || cf["certhuntregistered"] != "2026-11-30T00:00:00Z" {
		t.Errorf("custom fields %v", cf)
	}
	if cf["certhunthttpstatus"] != 200.0 || cf["certhuntpagetitle"] != "Log in <PayPal>" || cf["certhuntloginform"] != true ||
		cf["certhuntbrandsimilarity"] != 0.91 || cf["certhuntfaviconhash"] != -42.0 {
		t.Errorf("site custom fields %v", cf)
	}
	if d, _ := b["details"].(string); !strings.Contains(d, "Evidence: DNS resolves (192.0.2.1); registered 3 days ago at Lookalike <Registrar>; site HTTP 200 \"Log in <PayPal>\", login form with password, 0.91 like the protected site.") {
		t.Errorf("details %q", d)
	}

	s := start(t, Config{Type: "slack", URL: srv.URL})
	s.d.Notify(Event{Kind: KindWentLive, Incident: inc})
	s.final(t)
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(<-got)
	msg := buf.String()
	if !strings.Contains(msg, "Went live") || !strings.Contains(msg, `*Evidence*\nDNS resolves (192.0.2.1); registered 3 days ago at Lookalike &lt;Registrar&gt;; site HTTP 200 \"Log in &lt;PayPal&gt;\", login form with password`) {
		t.Errorf("slack message %s", msg)
	}
	if evidenceSummary(nil) != "" {
		t.Error("a summary before the first look")
	}
}
