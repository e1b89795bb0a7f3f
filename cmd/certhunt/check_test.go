package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/config"
)

// runCLI runs a whole command line and returns the exit status, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// checkDir writes a config with a homograph list and a threat-intel feed.
func checkDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"homographs.json": `{"paypal.com": ["paypa1.com"], "example-bank.com": []}`,
		"feed.txt":        "# blocklist\nevil-phish.example\npaypal-account-verify.com\n",
		"c.yaml": "data_dir: " + filepath.Join(dir, "data") + "\nwatchlist:\n  file: " + filepath.Join(dir, "homographs.json") +
			"\n  allow: [paypal-login.net]\nscoring:\n  incident_threshold: 70\n  weights: {keyword: 8}\n" +
			"intel:\n  feeds:\n    - {name: local, file: " + filepath.Join(dir, "feed.txt") + ", format: domains, weight: 60}\n" +
			"sources:\n  ct:\n    enabled: false\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCheckGivesServesVerdict: `certhunt check -json` and serve's POST /api/v1/check answer
// the same lines for the same config, feeds, allow list and weights included.
func TestCheckGivesServesVerdict(t *testing.T) {
	dir := checkDir(t)
	cfgFile := filepath.Join(dir, "c.yaml")
	inputs := []string{"paypa1.com", "https://paypal-login.com/x", "evil-phish.example", "paypal-account-verify.com",
		"paypal-login.net", "pаypal.com", "example-bank-secure.com", "honest.org", "not a domain", "", "10.0.0.1"}
	code, stdout, stderr := runCLI(t, strings.Join(inputs, "\n")+"\n", "check", "-config", cfgFile, "-json")
	if code != 1 {
		t.Fatalf("check exit %d (want 1: some inputs are junk); stderr %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%d lines for %d inputs:\n%s", len(lines), len(inputs), stdout)
	}

	cfg, err := config.LoadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Store.Close()
	body, _ := json.Marshal(map[string][]string{"domains": inputs})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/check", bytes.NewReader(body))
	req.Host = cfg.Listen // the token-less guard answers only for the listen address
	req.Header.Set("Content-Type", "application/json")
	a.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /api/v1/check: %d %s", rec.Code, rec.Body)
	}
	var api struct{ Results []json.RawMessage }
	if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		if i >= len(api.Results) || string(api.Results[i]) != lines[i] {
			t.Errorf("input %q:\n check: %s\n serve: %s", in, lines[i], api.Results[i])
		}
	}
	want := map[string]bool{"paypa1.com": true, "https://paypal-login.com/x": true, "evil-phish.example": false, // feed weight 60 < threshold 70
		"paypal-account-verify.com": true, "paypal-login.net": false, "honest.org": false}
	for i, in := range inputs {
		var r struct {
			Incident bool
			Error    string
		}
		json.Unmarshal([]byte(lines[i]), &r)
		if w, ok := want[in]; ok && r.Incident != w {
			t.Errorf("%q: incident %v, want %v (%s)", in, r.Incident, w, lines[i])
		}
		if junk := in == "not a domain" || in == "" || in == "10.0.0.1"; junk != (r.Error != "") {
			t.Errorf("%q: error %q", in, r.Error)
		}
	}
}

func TestExitStatuses(t *testing.T) {
	dir := checkDir(t)
	cfgFile := filepath.Join(dir, "c.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("scoring:\n  weights: {no-such-rule: 10}\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"check", "-config", cfgFile, "paypa1.com"}, 0},
		{[]string{"check", "-config", cfgFile, "paypa1.com", "not a domain"}, 1},
		{[]string{"check", "-config", bad, "paypa1.com"}, 2},
		{[]string{"check", "-no-such-flag"}, 2},
		{[]string{"check", "-h"}, 0},
		{[]string{"config", "check", cfgFile}, 0},
		{[]string{"config", "check", bad}, 1},
		{[]string{"config", "check"}, 2},
		{[]string{"config"}, 2},
		{[]string{"config", "frob"}, 2},
		{[]string{"serve", "-config", bad}, 2},
		{[]string{"serve", "extra"}, 2},
		{[]string{"scan"}, 2},
		{[]string{"help", "scan"}, 0},
		{[]string{"help", "nope"}, 2},
		{[]string{"nope"}, 2},
		{nil, 2},
		{[]string{"version"}, 0},
	} {
		if code, _, stderr := runCLI(t, "", tc.args...); code != tc.want {
			t.Errorf("certhunt %q: exit %d, want %d; stderr: %s", tc.args, code, tc.want, stderr)
		}
	}
}

// TestNoPanicOnBadConfig: the configs that used to crash serve are refused with the key named.
func TestNoPanicOnBadConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("data_dir: "+dir+"\nscoring:\n  weights: {no-such-rule: 10}\n"), 0o644)
	code, _, stderr := runCLI(t, "", "serve", "-config", bad)
	if code != 2 || !strings.Contains(stderr, `line 3: scoring.weights.no-such-rule: "no-such-rule" is not a rule`) {
		t.Errorf("serve: exit %d, stderr %s", code, stderr)
	}
}
