package enrich

import (
	"testing"

	"github.com/certhunt/certhunt/internal/incident"
)

func TestEvidenceReasons(t *testing.T) {
	days := func(n int) *int { return &n }
	for _, tc := range []struct {
		name string
		e    incident.Enrichment
		want map[string]int
	}{
		{"nothing known", incident.Enrichment{}, map[string]int{}},
		{"three days old", incident.Enrichment{RDAP: &incident.RDAPEvidence{AgeDays: days(3)}}, map[string]int{RuleYoungRegistration: 20}},
		{"twenty days old", incident.Enrichment{RDAP: &incident.RDAPEvidence{AgeDays: days(20)}}, map[string]int{RuleYoungRegistration: 10}},
		{"old", incident.Enrichment{RDAP: &incident.RDAPEvidence{AgeDays: days(4000)}}, map[string]int{}},
		{"nxdomain and parked", incident.Enrichment{DNS: &incident.DNSEvidence{Status: incident.DNSNXDomain, Parked: true, ParkingNS: "ns1.bodis.com"}},
			map[string]int{RuleNXDomain: -15, RuleParked: -10}},
		{"resolves", incident.Enrichment{DNS: &incident.DNSEvidence{Status: incident.DNSResolves}}, map[string]int{}},
	} {
		got := map[string]int{}
		for _, r := range Reasons(tc.e) {
			got[r.Rule] = r.Points
			if r.Detail == "" {
				t.Errorf("%s: %s has no detail", tc.name, r.Rule)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}
