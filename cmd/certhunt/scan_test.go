package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/testcert"
)

// scanLog is a loopback log of n entries and a log list naming it "Test Log 2026".
func scanLog(t *testing.T, typ string, n int, stamps ...time.Time) (*ctlogtest.Log, string) {
	t.Helper()
	newLog := ctlogtest.NewRFC6962
	if typ == ctlog.TypeStatic {
		newLog = ctlogtest.NewStatic
	}
	log, err := newLog()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Issue([]string{"scan.example"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries := make([]ctlogtest.Entry, n)
	for i := range entries {
		entries[i] = ctlogtest.Entry{Cert: der, Chain: ca.Chain()}
		if i < len(stamps) {
			entries[i].Timestamp = stamps[i]
		}
	}
	if _, err := log.Add(entries...); err != nil {
		t.Fatal(err)
	}
	if err := log.Publish(); err != nil {
		t.Fatal(err)
	}
	info := log.Info()
	e := map[string]any{"description": "Test Log 2026", "log_id": base64.StdEncoding.EncodeToString(info.LogID),
		"key": base64.StdEncoding.EncodeToString(info.KeyDER), "mmd": 86400,
		"state": map[string]any{"usable": map[string]any{"timestamp": "2026-01-01T00:00:00Z"}}}
	op := map[string]any{"name": "test", "email": []string{}, "logs": []any{}, "tiled_logs": []any{}}
	if typ == ctlog.TypeStatic {
		e["submission_url"], e["monitoring_url"] = info.SubmissionURL, info.URL
		op["tiled_logs"] = []any{e}
	} else {
		e["url"] = info.URL
		op["logs"] = []any{e}
	}
	data, _ := json.Marshal(map[string]any{"version": "test", "log_list_timestamp": "2026-01-01T00:00:00Z", "operators": []any{op}})
	path := filepath.Join(t.TempDir(), "log_list.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return log, path
}

func runScanArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	watchlist := filepath.Join(t.TempDir(), "homographs.json")
	if err := os.WriteFile(watchlist, []byte(`{"example.org": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"-data-dir", t.TempDir(), "-watchlist", watchlist}, args...)
	code := runScan(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Any -from/-to gives the right summary, the log is named as serve names it (from the
// log list), and the URL may be written without its trailing slash.
func TestScanRanges(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			log, list := scanLog(t, typ, 700)
			u := strings.TrimSuffix(log.Info().URL, "/")
			for _, tc := range []struct {
				args []string
				want string
			}{
				{nil, "[0, 700): read 700 of 700, entries 700,"},
				{[]string{"-from", "500", "-to", "600"}, "[500, 600): read 100 of 100, entries 100,"},
				{[]string{"-from", "650"}, "[650, 700): read 50 of 50, entries 50,"},
				{[]string{"-from", "700"}, "[700, 700): read 0 of 0, entries 0,"},
				{[]string{"-to", "3"}, "[0, 3): read 3 of 3, entries 3,"},
			} {
				args := append([]string{"-log", u, "-log-list", list}, tc.args...)
				code, stdout, stderr := runScanArgs(t, args...)
				if code != 0 || !strings.Contains(stdout, tc.want) || !strings.HasPrefix(stdout, "scanned Test Log 2026 (") {
					t.Errorf("scan %v: exit %d\nstdout: %s\nstderr: %s\nwant %q", tc.args, code, stdout, stderr, tc.want)
				}
			}
		})
	}
}

// Argument errors are reported before any work: no summary, exit 2, and a range that is
// wrong by itself costs no request.
func TestScanArgumentErrors(t *testing.T) {
	log, list := scanLog(t, ctlog.TypeStatic, 300)
	u := log.Info().URL
	for _, tc := range []struct {
		args      []string
		want      string
		noRequest bool
	}{
		{[]string{"-from", "-1"}, "not a range", true},
		{[]string{"-from", "20", "-to", "10"}, "not a range", true},
		{[]string{"-from", "5000"}, "past the end", false},
		{[]string{"-from", "5000", "-to", "5600"}, "beyond the tree size 300", false},
		{[]string{"-to", "301"}, "beyond the tree size 300", false},
		{[]string{"-type", "rfc6962"}, "is a static log", true},
	} {
		before := len(log.Paths())
		code, stdout, stderr := runScanArgs(t, append([]string{"-log", u, "-log-list", list}, tc.args...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("scan %v: exit %d\nstdout: %s\nstderr: %s\nwant %q", tc.args, code, stdout, stderr, tc.want)
		}
		if n := len(log.Paths()) - before; tc.noRequest && n != 0 {
			t.Errorf("scan %v made %d requests before rejecting its arguments", tc.args, n)
		}
	}
	if code, _, stderr := runScanArgs(t); code != 2 || !strings.Contains(stderr, "-log URL is required") {
		t.Errorf("scan without -log: exit %d, %s", code, stderr)
	}
}

// -since reads the entries logged in the last while, found by binary search, and refuses to
// be combined with -from.
func TestScanSince(t *testing.T) {
	for _, typ := range []string{ctlog.TypeRFC6962, ctlog.TypeStatic} {
		t.Run(typ, func(t *testing.T) {
			now := time.Now()
			stamps := make([]time.Time, 600)
			for i := range stamps {
				// 500 entries of two days ago, then 100 of the last hour.
				stamps[i] = now.Add(-48 * time.Hour).Add(time.Duration(i) * time.Second)
				if i >= 500 {
					stamps[i] = now.Add(-time.Hour).Add(time.Duration(i-500) * time.Second)
				}
			}
			log, list := scanLog(t, typ, len(stamps), stamps...)
			u := log.Info().URL
			code, stdout, stderr := runScanArgs(t, "-log", u, "-log-list", list, "-since", "24h")
			if code != 0 || !strings.Contains(stdout, "[500, 600): read 100 of 100, entries 100,") {
				t.Errorf("-since 24h: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			code, stdout, _ = runScanArgs(t, "-log", u, "-log-list", list, "-since", "72h", "-to", "10")
			if code != 0 || !strings.Contains(stdout, "[0, 10): read 10 of 10") {
				t.Errorf("-since 72h -to 10: exit %d\nstdout: %s", code, stdout)
			}
			before := len(log.Paths())
			code, stdout, stderr = runScanArgs(t, "-log", u, "-log-list", list, "-since", "24h", "-from", "3")
			if code != 2 || stdout != "" || !strings.Contains(stderr, "replaces -from") || len(log.Paths()) != before {
				t.Errorf("-since with -from: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
		})
	}
}
