package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
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
