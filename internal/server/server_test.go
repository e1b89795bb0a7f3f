package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/watchlist"
)

type fixture struct {
	srv   *httptest.Server
	store *incident.Store
	wl    *watchlist.Manager
	file  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := incident.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	file := filepath.Join(dir, "homographs.json")
	os.WriteFile(file, []byte(`{"paypal.com": ["paypa1.com"]}`), 0o644)
	wl, err := watchlist.New(watchlist.Options{File: file, Detect: detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wl.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &Server{Store: store, Watchlist: wl, OnAllow: func(ctx context.Context) error {
		allowed, err := store.Allowed(ctx)
		if err != nil {
			return err
		}
		return wl.SetAllow(allowed)
	}}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, store: store, wl: wl, file: file}
}

func (f *fixture) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestIncidentAPI(t *testing.T) {
	f := newFixture(t)
	a := detect.Alert{Asset: "paypal.com", Domain: "paypa1.com", DomainUnicode: "paypa1.com", RegisteredDomain: "paypa1.com",
		Score: 80, Severity: "critical", Incident: true, Reasons: []detect.Reason{{Rule: "r", Points: 80, Detail: "<b>x</b>"}}}
	c := &certs.Cert{SHA256: "ab", EntryType: certs.X509, Subject: certs.Name{CN: "<script>alert(1)</script>"},
		DNSNames: []string{"paypa1.com"}, Log: certs.LogRef{Name: "l", URL: "http://l/"}, Index: 7, SeenAt: time.Now()}
	ch, err := f.store.Record(context.Background(), a, c)
	if err != nil {
		t.Fatal(err)
	}
	code, body := f.do(t, "GET", "/api/v1/incidents?severity=critical", "")
	if code != 200 || !strings.Contains(body, `"domain":"paypa1.com"`) || !strings.Contains(body, `"next_cursor":""`) {
		t.Fatalf("list: %d %s", code, body)
	}
	code, body = f.do(t, "GET", "/api/v1/incidents/"+ch.Incident.ID, "")
	if code != 200 || strings.Contains(body, "<script>") || !strings.Contains(body, `\u003cscript\u003e`) {
		t.Fatalf("get must escape markup in JSON: %d %s", code, body)
	}
	if code, _ := f.do(t, "GET", "/api/v1/incidents/nope", ""); code != 404 {
		t.Fatalf("unknown id: %d", code)
	}
	code, body = f.do(t, "PATCH", "/api/v1/incidents/"+ch.Incident.ID, `{"status":"investigating","note":"looking"}`)
	if code != 200 || !strings.Contains(body, `"status":"investigating"`) {
		t.Fatalf("patch: %d %s", code, body)
	}
	code, body = f.do(t, "PATCH", "/api/v1/incidents/"+ch.Incident.ID, `{"status":"done"}`)
	if code != 400 || !strings.Contains(body, `status \"done\"`) {
		t.Fatalf("bad patch: %d %s", code, body)
	}
	if code, _ := f.do(t, "PATCH", "/api/v1/incidents/"+ch.Incident.ID, `{"stat":"new"}`); code != 400 {
		t.Fatalf("unknown field accepted: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/incidents?limit=0", ""); code != 400 {
		t.Fatalf("bad limit accepted: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/v1/incidents?cursor=zz!", ""); code != 400 {
		t.Fatalf("bad cursor accepted: %d", code)
	}
}

func TestWatchlistAPIRejectsBadListAndKeepsOld(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "PUT", "/api/v1/watchlist", `{"paypal.com": ["paypa1.com"`)
	if code != 400 || !strings.Contains(body, "error") {
		t.Fatalf("truncated list: %d %s", code, body)
	}
	code, body = f.do(t, "PUT", "/api/v1/watchlist", `{"paypal.com": [42]}`)
	if code != 400 {
		t.Fatalf("non-string value: %d %s", code, body)
	}
	code, body = f.do(t, "GET", "/api/v1/watchlist", "")
	if code != 200 || !strings.Contains(body, "paypa1.com") {
		t.Fatalf("old list must stay: %s", body)
	}
	code, body = f.do(t, "PUT", "/api/v1/watchlist", `{"example.org": ["examp1e.org"]}`)
	if code != 200 {
		t.Fatalf("good list: %d %s", code, body)
	}
	saved, _ := os.ReadFile(f.file)
	if !bytes.Contains(saved, []byte("examp1e.org")) {
		t.Fatalf("PUT must write the list file, got %s", saved)
	}
	code, body = f.do(t, "POST", "/api/v1/check", `{"domains": ["examp1e.org", "example.org", "unrelated.net"]}`)
	var res struct{ Results []detect.Alert }
	json.Unmarshal([]byte(body), &res)
	if code != 200 || len(res.Results) != 3 || !res.Results[0].Incident || res.Results[1].Incident || res.Results[2].Incident {
		t.Fatalf("check: %d %s", code, body)
	}
	// An analyst allows the lookalike: it stops alerting.
	if code, body := f.do(t, "POST", "/api/v1/allow", `{"domain": "examp1e.org"}`); code != 200 {
		t.Fatalf("allow: %d %s", code, body)
	}
	_, body = f.do(t, "POST", "/api/v1/check", `{"domains": ["examp1e.org"]}`)
	json.Unmarshal([]byte(body), &res)
	if res.Results[0].Incident {
		t.Fatalf("allowed name still alerts: %s", body)
	}
}

func TestSecurityHeadersAndErrors(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Get(f.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers: %d %v", resp.StatusCode, resp.Header)
	}
	if code, body := f.do(t, "GET", "/api/v1/nothing", ""); code != 404 || !strings.Contains(body, `"error"`) {
		t.Fatalf("unknown route: %d %s", code, body)
	}
}

// Filters are validated (a list of 40,000 statuses used to reach the database and come back
// as SQL error text), and database errors never reach the client.
func TestFiltersAreValidatedAndSQLErrorsHidden(t *testing.T) {
	f := newFixture(t)
	many := strings.Repeat("new,", 40000)
	for _, q := range []string{"status=" + many, "status=bogus", "severity=" + strings.Repeat("x", 300), "q=" + strings.Repeat("a", 300)} {
		code, body := f.do(t, "GET", "/api/v1/incidents?"+q, "")
		if code != 400 || strings.Contains(strings.ToLower(body), "sql") {
			t.Errorf("%.40s...: %d %.200s", q, code, body)
		}
	}
	if code, body := f.do(t, "GET", "/api/v1/incidents?status=new,closed,new", ""); code != 200 {
		t.Errorf("a valid list: %d %s", code, body)
	}
	f.store.Close() // every query now fails inside database/sql
	for _, path := range []string{"/api/v1/incidents", "/api/v1/incidents/1"} {
		code, body := f.do(t, "GET", path, "")
		if code != 500 || !strings.Contains(body, "internal error") || strings.Contains(body, "sql") {
			t.Errorf("%s with a broken store: %d %s", path, code, body)
		}
	}
}

// Homograph generation is bounded per request.
func TestHomographRequestsAreBounded(t *testing.T) {
	dir := t.TempDir()
	store, _ := incident.OpenSQLite(dir)
	defer store.Close()
	calls := 0
	s := &Server{Store: store, Generate: func(domains, fuzzers []string) (homograph.List, error) { calls++; return homograph.List{}, nil }}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func(body string) int {
		resp, err := http.Post(srv.URL+"/api/v1/homographs", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tooMany, _ := json.Marshal(map[string]any{"domains": strings.Split(strings.Repeat("a.com,", 11)[:65], ",")})
	tooLong, _ := json.Marshal(map[string]any{"domains": []string{strings.Repeat("a", 200) + ".com"}})
	if code := post(string(tooMany)); code != 400 {
		t.Errorf("11 domains: %d", code)
	}
	if code := post(string(tooLong)); code != 400 {
		t.Errorf("a 204-character domain: %d", code)
	}
	if code := post(`{"domains":["paypal.com"]}`); code != 200 || calls != 1 {
		t.Errorf("one domain: %d (%d calls)", code, calls)
	}
}

// One generation runs at a time; a second request meanwhile is told to come back.
func TestHomographGenerationRunsOneAtATime(t *testing.T) {
	store, _ := incident.OpenSQLite(t.TempDir())
	defer store.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	s := &Server{Store: store, Generate: func(domains, fuzzers []string) (homograph.List, error) {
		entered <- struct{}{}
		<-release
		return homograph.List{domains[0]: {"x"}}, nil
	}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func() *http.Response {
		resp, err := http.Post(srv.URL+"/api/v1/homographs", "application/json", strings.NewReader(`{"domains":["paypal.com"]}`))
		if err != nil {
			t.Error(err)
			return nil
		}
		resp.Body.Close()
		return resp
	}
	first := make(chan *http.Response)
	go func() { first <- post() }()
	<-entered
	if resp := post(); resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a second generation meanwhile: %+v", resp)
	}
	close(release)
	if resp := <-first; resp == nil || resp.StatusCode != 200 {
		t.Errorf("the first generation: %+v", resp)
	}
}

// TestReadyzAnswersProbesWithoutAuth: /readyz, like /healthz, is outside the API's guard (load
// balancers and orchestrators probe without tokens), 503 with the body when not ready.
func TestReadyzAnswersProbesWithoutAuth(t *testing.T) {
	ready := false
	s := &Server{
		Auth: func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
		},
		Ready: func(context.Context) (bool, any) {
			return ready, map[string]any{"ready": ready, "sources": "none healthy"}
		},
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `"sources":"none healthy"`) {
		t.Errorf("not ready: %d %s", code, body)
	}
	ready = true
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Errorf("ready: %d", code)
	}
	if code, _ := get("/api/v1/incidents"); code != http.StatusUnauthorized {
		t.Errorf("the API is not guarded: %d", code)
	}
}
