package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/enrich"
	"github.com/certhunt/certhunt/internal/incident"
)

// TestScreenshotRoutes: an incident's PNGs are served as image/png with nosniff; an incident
// without one, an unknown incident and a server without the directory answer 404.
func TestScreenshotRoutes(t *testing.T) {
	store, err := incident.OpenSQLite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ch, err := store.Record(context.Background(), detect.Alert{Asset: "paypal.com", Domain: "paypa1.com", RegisteredDomain: "paypa1.com",
		Score: 80, Severity: "high", Incident: true}, &certs.Cert{SHA256: strings.Repeat("cd", 32), Log: certs.LogRef{URL: "http://log"}})
	if err != nil {
		t.Fatal(err)
	}
	id := ch.Incident.ID
	dir := filepath.Join(t.TempDir(), "screenshots")
	os.MkdirAll(dir, 0o700)
	pngBytes := "\x89PNG\r\n\x1a\n<html>not really</html>"
	if err := os.WriteFile(enrich.File(dir, id, false), []byte(pngBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Server{Store: store, Screenshots: dir}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get(enrich.SuspectPath(id))
	if resp.StatusCode != 200 || body != pngBytes || resp.Header.Get("Content-Type") != "image/png" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("suspect: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp, _ := get(enrich.ProtectedPath(id)); resp.StatusCode != 404 {
		t.Errorf("protected, none taken: %d", resp.StatusCode)
	}
	if resp, _ := get(enrich.SuspectPath("999999")); resp.StatusCode != 404 {
		t.Errorf("unknown incident: %d", resp.StatusCode)
	}
	if resp, _ := get("/api/v1/incidents/..%2f..%2fetc/screenshot.png"); resp.StatusCode != 404 {
		t.Errorf("path in the ID: %d", resp.StatusCode)
	}
	s.Screenshots = ""
	srv2 := httptest.NewServer(s.Handler())
	defer srv2.Close()
	if resp, err := http.Get(srv2.URL + enrich.SuspectPath(id)); err != nil || resp.StatusCode != 404 {
		t.Errorf("no directory: %v %v", resp, err)
	}
}
