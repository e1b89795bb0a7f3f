package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
)

// TestSTIXCarriesEnrichment: an enriched incident's indicator holds the evidence as the custom
// property x_certhunt_enrichment; one not enriched yet has none.
func TestSTIXCarriesEnrichment(t *testing.T) {
	incs := incidents()
	age := 3
	incs[0].Enrichment = &incident.Enrichment{Checks: 1, DNS: &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"192.0.2.1"}},
		RDAP: &incident.RDAPEvidence{Registrar: "R", AgeDays: &age},
		HTTP: &incident.HTTPEvidence{URL: "https://x/", Status: 200, Title: "Sign in", LoginForm: true}}
	var buf bytes.Buffer
	if err := STIX(&buf, incs, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []map[string]any }
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	with, without := 0, 0
	for _, o := range bundle.Objects {
		if o["type"] != "indicator" {
			continue
		}
		if e, ok := o["x_certhunt_enrichment"].(map[string]any); ok {
			dns, _ := e["dns"].(map[string]any)
			site, _ := e["http"].(map[string]any)
			if dns["status"] != "resolves" || site["login_form"] != true || site["title"] != "Sign in" {
				t.Errorf("enrichment %v", e)
			}
			with++
		} else {
			without++
		}
	}
	if with != 1 || without != len(incs)-1 {
		t.Errorf("%d indicators with enrichment, %d without", with, without)
	}
}

// TestCSVCarriesEnrichment: the evidence columns hold DNS, RDAP and the site's evidence, a
// hostile title defused like any cell; an incident not enriched yet has them empty.
func TestCSVCarriesEnrichment(t *testing.T) {
	incs := incidents()[:2]
	age, sim := 3, 0.914
	incs[0].Enrichment = &incident.Enrichment{DNS: &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"192.0.2.1", "192.0.2.2"}},
		RDAP: &incident.RDAPEvidence{Registrar: "R", AgeDays: &age},
		HTTP: &incident.HTTPEvidence{Status: 200, Title: "=HYPERLINK(\"http://evil\")", LoginForm: true, BrandSimilarity: &sim}}
	incs[1].Enrichment = nil
	var buf bytes.Buffer
	if err := CSV(&buf, incs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := len(CSVHeader)
	if got := rows[0][n-8:]; !slices.Equal(got, []string{"dns_status", "dns_a", "registrar", "age_days", "http_status", "http_title", "login_form", "brand_similarity"}) {
		t.Fatalf("header %q", got)
	}
	if got := rows[1][n-8:]; !slices.Equal(got, []string{"resolves", "192.0.2.1", "R", "3", "200", "'=HYPERLINK(\"http://evil\")", "true", "0.91"}) {
		t.Errorf("evidence cells %q", got)
	}
	if got := rows[2][n-8:]; !slices.Equal(got, make([]string, 8)) {
		t.Errorf("not enriched: %q", got)
	}
}
