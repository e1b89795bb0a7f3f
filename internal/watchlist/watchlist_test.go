package watchlist

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/homograph"
)

var opts = detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60}

func alerts(m *Manager, name string) bool {
	return m.Index().Evaluate(name).Incident
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition
	}
}

func TestFileChangeReloadsAndBadListKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "homographs.json")
	os.WriteFile(file, []byte(`{"paypal.com": []}`), 0o644)
	m, err := New(Options{File: file, FileCheck: 5 * time.Millisecond, Detect: opts})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !alerts(m, "paypa1.com") || alerts(m, "examp1e.org") {
		t.Fatal("initial list not in force")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)

	os.WriteFile(file, []byte(`{"paypal.com": [], "example.org": []}`), 0o644)
	waitFor(t, "the changed file to be loaded", func() bool { return alerts(m, "examp1e.org") })

	// A broken list is rejected; the previous one stays in force and the error is reported.
	os.WriteFile(file, []byte(`{"paypal.com": [], "example.org": [`), 0o644)
	waitFor(t, "the broken list to be rejected", func() bool { return m.Info().LastError != "" })
	if !alerts(m, "examp1e.org") || m.LastReloadOK() {
		t.Fatalf("previous list must stay in force after a bad reload: %+v", m.Info())
	}
}

func TestReplaceWritesFileAndValidates(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "homographs.json")
	m, err := New(Options{File: file, Optional: true, Detect: opts})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil {
		t.Fatalf("an optional missing file is not an error: %v", err)
	}
	if err := m.Replace(homograph.List{"paypal.com": {"paypa1.com"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), "paypa1.com") {
		t.Fatalf("file after Replace: %s %v", data, err)
	}
	if err := m.Replace(homograph.List{"not a domain!": nil}); err == nil {
		t.Fatal("an invalid list was accepted")
	}
	if !alerts(m, "paypa1.com") {
		t.Fatal("the good list must stay after a rejected Replace")
	}
	if err := m.Merge(homograph.List{"example.org": nil}); err != nil {
		t.Fatal(err)
	}
	if got := m.Current().List; len(got) != 2 {
		t.Fatalf("merged list: %v", got)
	}
	if err := m.SetAllow([]string{"paypa1.com"}); err != nil {
		t.Fatal(err)
	}
	if alerts(m, "paypa1.com") {
		t.Fatal("an allowed name still alerts")
	}
}

func TestURLSource(t *testing.T) {
	body := `{"paypal.com": []}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) }))
	defer srv.Close()
	m, err := New(Options{URL: srv.URL, Detect: opts})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil || !alerts(m, "paypa1.com") {
		t.Fatalf("load from URL: %v", err)
	}
	body = `not json`
	if err := m.Load(context.Background()); err == nil || !alerts(m, "paypa1.com") {
		t.Fatalf("a bad download must be rejected and the old list kept: %v", err)
	}
}

// A list URL's credentials are masked in Info (GET /api/v1/watchlist/info) and in errors.
func TestURLSourceSecretsAreRedacted(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(`{"paypal.com": []}`))
	}))
	defer srv.Close()
	raw := strings.Replace(srv.URL, "http://", "http://bob:hunter22@", 1) + "/list.json?token=tok-sekrit"
	m, err := New(Options{URL: raw, Detect: opts})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	status = http.StatusForbidden
	err = m.Load(context.Background())
	info := m.Info()
	shown := info.Source + " " + info.LastError + " " + err.Error()
	for _, secret := range []string{"bob", "hunter22", "tok-sekrit"} {
		if strings.Contains(shown, secret) {
			t.Errorf("%q shown: %s", secret, shown)
		}
	}
	if !strings.Contains(info.Source, "token=REDACTED") {
		t.Errorf("source %q", info.Source)
	}
}

func TestNewRefusesBadDetectionOptions(t *testing.T) {
	if _, err := New(Options{Detect: detect.Options{Weights: map[string]int{"no-such-rule": 1}}}); err == nil ||
		!strings.Contains(err.Error(), "no-such-rule") {
		t.Fatalf("New with an unknown rule weight: %v, want an error naming it", err)
	}
}
