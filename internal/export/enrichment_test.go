package export

import (
	"bytes"
	"encoding/json"
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
		RDAP: &incident.RDAPEvidence{Registrar: "R", AgeDays: &age}}
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
			if dns["status"] != "resolves" {
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
