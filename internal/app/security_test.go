package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/config"
)

// A blank token used to pass the "non-loopback needs tokens" check and then be dropped,
// leaving every route open; now it stops serve before anything listens.
func TestBlankTokenIsRefused(t *testing.T) {
	cfg := testConfig(t, `{"paypal.com": []}`)
	cfg.Listen = "0.0.0.0:0"
	cfg.Auth.Tokens = auth.StringTokens([]string{""})
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "auth.tokens[0]: empty token") {
		t.Fatalf("Validate = %v", err)
	}
	if _, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("New accepts a blank token")
	}
}

// With no tokens, a page on another site cannot change state (a text/plain POST needs no
// preflight) and a rebound host name cannot read incidents.
func TestNoTokenModeRefusesCrossSiteAndRebinding(t *testing.T) {
	h := start(t, testConfig(t, `{"paypal.com": []}`))
	send := func(method, path, host, body string, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, h.base+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	crossSite := map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	if code := send("POST", "/api/v1/allow", "", `{"domain":"paypa1.com"}`, crossSite); code != http.StatusForbidden {
		t.Errorf("cross-origin text/plain POST /api/v1/allow = %d", code)
	}
	if code := send("PUT", "/api/v1/watchlist", "", `{}`, map[string]string{"Content-Type": "text/plain"}); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain PUT /api/v1/watchlist = %d", code)
	}
	if code := send("GET", "/api/v1/incidents", "attacker.example:8080", "", nil); code != http.StatusMisdirectedRequest {
		t.Errorf("rebinding Host = %d", code)
	}
	if code := send("GET", "/api/v1/incidents", "localhost", "", nil); code != http.StatusOK {
		t.Errorf("Host localhost = %d", code)
	}
	var list map[string][]string
	h.get("/api/v1/watchlist", &list)
	if _, ok := list["paypal.com"]; !ok || len(list) != 1 {
		t.Errorf("watchlist changed: %v", list)
	}
}

// The data directory is the owner's alone, an existing 0755 one included, and so are the
// database files.
func TestDataDirAndDatabaseArePrivate(t *testing.T) {
	cfg := testConfig(t, `{"paypal.com": []}`)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	h := start(t, cfg)
	var list map[string][]string
	h.get("/api/v1/watchlist", &list) // the database has been used
	fi, err := os.Stat(cfg.DataDir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "certhunt.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v (%v), want 0600", f, fi.Mode().Perm(), err)
		}
	}
}

// Slow or idle clients cannot hold connections forever.
func TestHTTPServerHasTimeouts(t *testing.T) {
	s := newHTTPServer(context.Background(), http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.IdleTimeout <= 0 || s.WriteTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Fatalf("timeouts: header %v read %v write %v idle %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}

// A certstream URL's credentials show nowhere: not in /api/v1/sources, not in /metrics labels.
func TestSourceCredentialsAreRedactedInAPIAndMetrics(t *testing.T) {
	cfg := testConfig(t, `{"paypal.com": []}`)
	cfg.Sources.Certstream = []config.CertstreamSource{{URL: "ws://stream-user:pw-0123@127.0.0.1:1/full-stream?token=tok-4567"}}
	h := start(t, cfg)
	for _, path := range []string{"/api/v1/sources", "/metrics"} {
		resp, err := http.Get(h.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, secret := range []string{"stream-user", "pw-0123", "tok-4567"} {
			if strings.Contains(string(body), secret) {
				t.Errorf("%s shows %q", path, secret)
			}
		}
		if path == "/api/v1/sources" && !strings.Contains(string(body), "REDACTED@127.0.0.1:1") {
			t.Errorf("%s does not list the source: %s", path, body)
		}
	}
}
