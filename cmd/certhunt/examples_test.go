package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/config"
)

// TestExampleConfigsPass runs "certhunt config check" on every examples/*.yaml, with the
// tokens they read from the environment set, so a shipped example never rots.
func TestExampleConfigsPass(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, env := range []string{"ADMIN", "ANALYST", "ALICE", "BOB", "PROMETHEUS"} {
		t.Setenv("CERTHUNT_TOKEN_"+env, "example-token-for-"+strings.ToLower(env)+"-0123456789")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"config", "check", f}, strings.NewReader(""), &stdout, &stderr); code != 0 {
				t.Errorf("config check %s: exit %d\n%s", f, code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "config ok") {
				t.Errorf("config check %s said %q", f, stdout.String())
			}
		})
	}
}

func TestLogFormatJSON(t *testing.T) {
	cfg := config.Default()
	cfg.LogFormat = "json"
	var buf bytes.Buffer
	newLogger(cfg, &buf).Info("hello", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" || line["k"] != "v" {
		t.Fatalf("log_format json wrote %q (%v)", buf.String(), err)
	}
	cfg.LogFormat = "text"
	buf.Reset()
	newLogger(cfg, &buf).Info("hello", "k", "v")
	if !strings.Contains(buf.String(), "msg=hello k=v") {
		t.Fatalf("log_format text wrote %q", buf.String())
	}
	cfg.LogFormat = "xml"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "log_format") {
		t.Fatalf("log_format xml: %v, want an error naming log_format", err)
	}
}

// TestSystemdUnitIsHardened keeps the shipped unit's sandbox, and its config path, in place.
func TestSystemdUnitIsHardened(t *testing.T) {
	data, err := os.ReadFile("../../examples/certhunt.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=certhunt", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=\n", "ExecStart=/usr/local/bin/certhunt serve -config /etc/certhunt/certhunt.yaml"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("certhunt.service lacks %q", want)
		}
	}
}

// TestGrafanaDashboardUsesRealMetrics fails when the dashboard queries a metric certhunt does
// not export (a renamed metric would leave an empty panel).
func TestGrafanaDashboardUsesRealMetrics(t *testing.T) {
	data, err := os.ReadFile("../../examples/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	src, err := os.ReadFile("../../internal/app/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	metric := regexp.MustCompile(`certhunt_[a-z_]+`)
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range metric.FindAllString(tg.Expr, -1) {
				n++
				if !strings.Contains(string(src), `"`+m+`"`) {
					t.Errorf("panel %q queries %s, which internal/app/metrics.go does not export", p.Title, m)
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d metric references in the dashboard", n)
	}
}

// TestVersionIsStampable: the documented build stamps main.version with
// -ldflags "-X main.version=..."; this is the variable that sets, and version prints it.
func TestVersionIsStampable(t *testing.T) {
	old := version
	t.Cleanup(func() { version = old })
	version = "v9.8.7"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, strings.NewReader(""), &stdout, &stderr); code != 0 || stdout.String() != "certhunt v9.8.7\n" {
		t.Fatalf("version printed %q (exit %d, %s)", stdout.String(), code, stderr.String())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil || !strings.Contains(string(readme), `-ldflags "-X main.version=`) {
		t.Fatalf("README.md does not document the -ldflags stamp (%v)", err)
	}
}
