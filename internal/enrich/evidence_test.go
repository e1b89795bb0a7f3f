package enrich

import (
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
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

func TestRaise(t *testing.T) {
	age := 2
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	inc := &incident.Incident{ID: "1", Score: 55, Severity: "medium", Reasons: []detect.Reason{{Rule: "combosquat", Points: 55}}}
	e := incident.Enrichment{CheckedAt: now, RDAP: &incident.RDAPEvidence{AgeDays: &age},
		DNS: &incident.DNSEvidence{Status: incident.DNSResolves}, History: []incident.EnrichmentChange{{At: now, Change: ChangeStartedResolving}}}
	e.Reasons = Reasons(e)
	a, ok := Raise(inc, e)
	if !ok || a.Score != 90 || a.Severity != "critical" || len(a.Reasons) != 3 {
		t.Fatalf("raise %v %+v", ok, a)
	}
	inc.Score, inc.Reasons = a.Score, a.Reasons
	if _, ok := Raise(inc, e); ok {
		t.Fatal("the same evidence raised twice")
	}
	inc = &incident.Incident{Score: 95}
	parked := incident.Enrichment{DNS: &incident.DNSEvidence{Status: incident.DNSNXDomain, Parked: true}}
	parked.Reasons = Reasons(parked)
	if _, ok := Raise(inc, parked); ok {
		t.Fatal("negative evidence raised")
	}
	inc.Reasons = nil
	if a, _ := Raise(inc, incident.Enrichment{Reasons: []detect.Reason{{Rule: RuleYoungRegistration, Points: 20}}}); a.Score != 100 {
		t.Fatalf("score over 100: %d", a.Score)
	}
}
