package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// FuzzAPIBodies sends arbitrary bodies to every route that reads JSON. A body is the client's
// mistake or malice, never the server's: the answer is never a 5xx and is always a JSON
// object or array. Run it with
//
//	go test -run XXX -fuzz FuzzAPIBodies ./internal/server
func FuzzAPIBodies(f *testing.F) {
	dir := f.TempDir()
	store, err := incident.OpenSQLite(dir)
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	file := filepath.Join(dir, "homographs.json")
	os.WriteFile(file, []byte(`{"paypal.com": ["paypa1.com"]}`), 0o644)
	wl, err := watchlist.New(watchlist.Options{File: file, Detect: detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60}})
	if err != nil {
		f.Fatal(err)
	}
	if err := wl.Load(context.Background()); err != nil {
		f.Fatal(err)
	}
	a := detect.Alert{Asset: "paypal.com", Domain: "paypa1.com", RegisteredDomain: "paypa1.com", Score: 80, Severity: "critical", Incident: true}
	if _, err := store.Record(context.Background(), a, fuzzCert()); err != nil {
		f.Fatal(err)
	}
	s := &Server{Store: store, Watchlist: wl,
		Generate: func(domains, fuzzers []string) (homograph.List, error) {
			return homograph.Generate(domains, fuzzers, homograph.GenerateOptions{})
		}}
	h := s.Handler()
	routes := []struct{ method, path string }{
		{"PATCH", "/api/v1/incidents/1"}, {"POST", "/api/v1/check"}, {"POST", "/api/v1/homographs"},
		{"POST", "/api/v1/allow"}, {"PUT", "/api/v1/watchlist"}, {"POST", "/api/v1/watchlist/merge"},
	}
	for i, seed := range []string{`{"status":"investigating","note":"x"}`, `{"domains":["paypa1.com","https://x.example/a"]}`,
		`{"domains":["paypal.com"],"fuzzers":["homoglyph"]}`, `{"domain":"paypa1.com","reason":"fp"}`,
		`{"paypal.com":["paypa1.com"]}`, `{"example.org":[]}`, `[`, `{"domains":null}`, "\x00"} {
		f.Add(uint8(i), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s with %q: %d %s", r.method, r.path, body, rec.Code, rec.Body)
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", r.method, r.path, rec.Body)
		}
		if rec.Code == http.StatusOK {
			return
		}
		if m, ok := v.(map[string]any); !ok || m["error"] == nil {
			t.Fatalf("%s %s: %d without an error message: %s", r.method, r.path, rec.Code, rec.Body)
		}
	})
}

func fuzzCert() *certs.Cert {
	return &certs.Cert{SHA256: "ab", EntryType: certs.X509, DNSNames: []string{"paypa1.com"}, Log: certs.LogRef{Name: "l", URL: "http://l/"}}
}
