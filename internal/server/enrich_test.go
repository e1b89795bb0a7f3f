package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

func TestEnrichmentRoutes(t *testing.T) {
	store, err := incident.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	ch, err := store.Record(ctx, detect.Alert{Asset: "paypal.com", Domain: "paypa1.com", RegisteredDomain: "paypa1.com", Score: 80,
		Severity: "high", Incident: true}, &certs.Cert{SHA256: strings.Repeat("cd", 32), Log: certs.LogRef{URL: "http://log"}})
	if err != nil {
		t.Fatal(err)
	}
	id := ch.Incident.ID
	var queued []incident.EnrichTarget
	full := false
	s := &Server{Store: store, Enrich: func(t incident.EnrichTarget) bool {
		if full {
			return false
		}
		queued = append(queued, t)
		return true
	}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	do := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("GET", "/api/v1/incidents/"+id+"/enrichment"); code != 200 || strings.TrimSpace(body) != "{}" {
		t.Fatalf("before: %d %s", code, body)
	}
	if code, body := do("POST", "/api/v1/incidents/"+id+"/enrich"); code != http.StatusAccepted || len(queued) != 1 ||
		queued[0] != (incident.EnrichTarget{ID: id, Domain: "paypa1.com", RegisteredDomain: "paypa1.com"}) {
		t.Fatalf("enrich: %d %s %+v", code, body, queued)
	}
	full = true
	if code, _ := do("POST", "/api/v1/incidents/"+id+"/enrich"); code != http.StatusServiceUnavailable {
		t.Fatalf("full queue: %d", code)
	}
	if code, _ := do("POST", "/api/v1/incidents/999/enrich"); code != http.StatusNotFound {
		t.Fatalf("unknown incident: %d", code)
	}
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	if err := store.SetEnrichment(ctx, id, incident.Enrichment{CheckedAt: now, Checks: 1,
		DNS: &incident.DNSEvidence{Status: incident.DNSNXDomain}}); err != nil {
		t.Fatal(err)
	}
	code, body := do("GET", "/api/v1/incidents/"+id+"/enrichment")
	var e incident.Enrichment
	if code != 200 || json.Unmarshal([]byte(body), &e) != nil || e.DNS.Status != "nxdomain" || !e.CheckedAt.Equal(now) {
		t.Fatalf("after: %d %s", code, body)
	}
	code, body = do("GET", "/api/v1/incidents/"+id)
	if code != 200 || !strings.Contains(body, `"enrichment":{"checked_at":"2026-12-03T09:00:00Z"`) {
		t.Fatalf("incident: %d %s", code, body)
	}
	s.Enrich = nil
	srv2 := httptest.NewServer(s.Handler())
	defer srv2.Close()
	resp, err := http.Post(srv2.URL+"/api/v1/incidents/"+id+"/enrich", "", nil)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("enrichment off: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}
