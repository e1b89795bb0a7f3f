package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
)

// campaignIncident records an incident for domain and gives it the addresses ips.
func campaignIncident(t *testing.T, store *incident.Store, asset, domain string, ips ...string) string {
	t.Helper()
	ctx := context.Background()
	ch, err := store.Record(ctx, detect.Alert{Asset: asset, Domain: domain, DomainUnicode: domain, RegisteredDomain: domain,
		Score: 80, Severity: "high", Incident: true, Matched: detect.Matched{Kind: "combosquat", Value: asset}},
		&certs.Cert{SHA256: fmt.Sprintf("%064x", len(domain)*7919+int(domain[0])), DNSNames: []string{domain},
			Log: certs.LogRef{Name: "log", URL: "http://log"}, SeenAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	id := ch.Incident.ID
	if err := store.SetEnrichment(ctx, id, incident.Enrichment{CheckedAt: time.Now(),
		DNS: &incident.DNSEvidence{Status: incident.DNSResolves, A: ips}}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCampaignsAPI(t *testing.T) {
	ws := newWorkspace(t, homograph.List{"paypal.com": {}})
	a := campaignIncident(t, ws.store, "paypal.com", "paypal-login.com", "203.0.113.10")
	b := campaignIncident(t, ws.store, "paypal.com", "paypal-verify.net", "203.0.113.10", "203.0.113.11")
	lone := campaignIncident(t, ws.store, "paypal.com", "paypa1.org", "198.51.100.1")

	var list struct{ Campaigns []incident.Campaign }
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/campaigns", "", &list); code != 200 || len(list.Campaigns) != 1 {
		t.Fatalf("list: %d %s", code, body)
	}
	c := list.Campaigns[0]
	if c.ID != "c"+a || c.Size != 2 || c.Open != 2 || c.Shared[0].Value != "203.0.113.10" || c.Incidents != nil {
		t.Fatalf("campaign %+v", c)
	}
	for _, q := range []string{"?status=closed", "?asset=example.org"} {
		if code, body := ws.call(t, viewerToken, "GET", "/api/v1/campaigns"+q, "", &list); code != 200 || len(list.Campaigns) != 0 {
			t.Fatalf("list%s: %d %s", q, code, body)
		}
	}
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/campaigns?status=bogus", "", nil); code != 400 {
		t.Fatalf("bad status: %d %s", code, body)
	}

	var one incident.Campaign
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/campaigns/c"+a, "", &one); code != 200 ||
		len(one.Incidents) != 2 || one.Incidents[0].ID != a || one.Incidents[1].Domain != "paypal-verify.net" {
		t.Fatalf("get: %d %s", code, body)
	}
	// A member's ID finds the campaign too (the ID after a merge), answered under its own ID.
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/campaigns/c"+b, "", &one); code != 200 || one.ID != "c"+a {
		t.Fatalf("get by member: %d %s", code, body)
	}
	for _, id := range []string{"c" + lone, "c999", "nope", a} {
		if code, body := ws.call(t, viewerToken, "GET", "/api/v1/campaigns/"+id, "", nil); code != 404 {
			t.Fatalf("get %s: %d %s", id, code, body)
		}
	}

	// The incident names its campaign, in the list and alone.
	var inc incident.Incident
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/incidents/"+b, "", &inc); code != 200 || inc.Campaign != "c"+a {
		t.Fatalf("incident: %d %s", code, body)
	}
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/incidents/"+lone, "", nil); code != 200 || !strings.Contains(body, `"campaign":""`) {
		t.Fatalf("lone incident: %d %s", code, body)
	}
	var incs struct{ Incidents []incident.Incident }
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/incidents", "", &incs); code != 200 || len(incs.Incidents) != 3 ||
		incs.Incidents[0].Campaign != "" || incs.Incidents[1].Campaign != "c"+a || incs.Incidents[2].Campaign != "c"+a {
		t.Fatalf("incidents: %d %s", code, body)
	}

	// Closing: a viewer is refused, a bad verdict and an unknown campaign answer 400 and 404.
	close := `{"verdict": "true_positive", "note": "one kit, one operator"}`
	if code, body := ws.call(t, viewerToken, "POST", "/api/v1/campaigns/c"+a+"/close", close, nil); code != 403 {
		t.Fatalf("viewer close: %d %s", code, body)
	}
	if code, body := ws.call(t, analystToken, "POST", "/api/v1/campaigns/c"+a+"/close", `{"verdict": "sure"}`, nil); code != 400 {
		t.Fatalf("bad verdict: %d %s", code, body)
	}
	if code, body := ws.call(t, analystToken, "POST", "/api/v1/campaigns/c"+a+"/close", `{"verdict": "benign", "extra": 1}`, nil); code != 400 {
		t.Fatalf("unknown field: %d %s", code, body)
	}
	if code, body := ws.call(t, analystToken, "POST", "/api/v1/campaigns/c999/close", close, nil); code != 404 {
		t.Fatalf("unknown campaign: %d %s", code, body)
	}
	var closed struct {
		Campaign incident.Campaign
		Closed   []string
	}
	if code, body := ws.call(t, analystToken, "POST", "/api/v1/campaigns/c"+a+"/close", close, &closed); code != 200 ||
		fmt.Sprint(closed.Closed) != fmt.Sprint([]string{a, b}) || closed.Campaign.Open != 0 {
		t.Fatalf("close: %d %s", code, body)
	}
	for _, id := range []string{a, b} {
		if code, body := ws.call(t, viewerToken, "GET", "/api/v1/incidents/"+id, "", &inc); code != 200 ||
			inc.Status != "closed" || inc.Verdict != "true_positive" || inc.Note != "one kit, one operator" {
			t.Fatalf("incident %s after close: %d %s", id, code, body)
		}
		var trail []string
		for _, e := range inc.History {
			trail = append(trail, e.Field+"="+e.Value+" by "+e.Author)
		}
		if fmt.Sprint(trail) != "[status=closed by alice verdict=true_positive by alice note=one kit, one operator by alice]" {
			t.Fatalf("incident %s history %v", id, trail)
		}
	}
	if log := ws.log.String(); !strings.Contains(log, `msg="campaign closed" campaign=c`+a) || !strings.Contains(log, "by=alice") {
		t.Fatalf("audit log: %s", log)
	}
	// Closing again closes nothing more.
	if code, body := ws.call(t, analystToken, "POST", "/api/v1/campaigns/c"+a+"/close", close, &closed); code != 200 || len(closed.Closed) != 0 {
		t.Fatalf("close again: %d %s", code, body)
	}
}
