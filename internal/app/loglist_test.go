package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/source"
)

// listLog is one log of a test list with its state; expired makes it a shard whose interval
// ended in 2021.
type listLog struct {
	info    ctlog.LogInfo
	state   string
	expired bool
}

func listJSON(ts string, logs ...listLog) []byte {
	var rfc, tiled []map[string]any
	for _, l := range logs {
		e := map[string]any{"description": l.info.Name, "log_id": base64.StdEncoding.EncodeToString(l.info.LogID),
			"key": base64.StdEncoding.EncodeToString(l.info.KeyDER), "mmd": 86400,
			"state": map[string]any{l.state: map[string]any{"timestamp": "2026-01-01T00:00:00Z"}}}
		if l.expired {
			e["temporal_interval"] = map[string]any{"start_inclusive": "2020-01-01T00:00:00Z", "end_exclusive": "2021-01-01T00:00:00Z"}
		}
		if l.info.Type == ctlog.TypeStatic {
			e["submission_url"], e["monitoring_url"] = l.info.SubmissionURL, l.info.URL
			tiled = append(tiled, e)
		} else {
			e["url"] = l.info.URL
			rfc = append(rfc, e)
		}
	}
	data, _ := json.Marshal(map[string]any{"version": "9", "log_list_timestamp": ts,
		"operators": []any{map[string]any{"name": "test", "email": []string{}, "logs": rfc, "tiled_logs": tiled}}})
	return data
}

// startWith is start with a hook run between New and Run.
func startWith(t *testing.T, cfg *config.Config, log io.Writer, hook func(*App)) *harness {
	t.Helper()
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hook(a)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, cfg: cfg, app: a, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- a.Run(c, ln) }()
	t.Cleanup(h.stop)
	return h
}

func sourceRows(h *harness) map[string]source.Status {
	var resp struct{ Sources []source.Status }
	h.get("/api/v1/sources", &resp)
	out := map[string]source.Status{}
	for _, s := range resp.Sources {
		out[s.URL] = s
	}
	return out
}

// A log list file that changes while serve runs: a new log is followed, one that turned
// retired stops and keeps its row with that state, an expired shard is never followed, and a
// broken edit keeps the list in force.
func TestLogListChangesApplyWhileRunning(t *testing.T) {
	ca, a := newRFC6962(t)
	b, err := ctlogtest.NewStatic()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	c, err := ctlogtest.NewRFC6962()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for i, l := range []*ctlogtest.Log{a, b, c} {
		entries, err := benign(ca, 5, i*10)
		if err != nil {
			t.Fatal(err)
		}
		addPublish(t, l, entries...)
	}
	dead := ctlog.LogInfo{Name: "old shard", URL: "http://127.0.0.1:1/2020/", Type: ctlog.TypeRFC6962, KeyDER: a.Info().KeyDER, LogID: a.Info().LogID}

	cfg := testConfig(t, `{"paypal.com": []}`, a.Info())
	path := cfg.Sources.CT.LogList
	write := func(data []byte) {
		if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write(listJSON("2026-12-01T00:00:00Z", listLog{a.Info(), "usable", false}, listLog{b.Info(), "usable", false},
		listLog{dead, "usable", true}))
	h := startWith(t, cfg, io.Discard, func(a *App) { a.ll.fileEvery = 10 * time.Millisecond })
	h.waitFor("both logs read", func() bool { return h.caughtUp(map[string]int64{a.Info().URL: 5, b.Info().URL: 5}) })
	if _, ok := sourceRows(h)[dead.URL]; ok {
		t.Fatal("an expired shard is followed")
	}

	write(listJSON("2026-12-02T00:00:00Z", listLog{a.Info(), "usable", false}, listLog{b.Info(), "retired", false},
		listLog{c.Info(), "qualified", false}, listLog{dead, "usable", true}))
	// No kick: the edited file is noticed by its own check.
	h.waitFor("the new log read", func() bool { return h.caughtUp(map[string]int64{c.Info().URL: 5}) })
	rows := sourceRows(h)
	if rows[b.Info().URL].State != "retired" || rows[c.Info().URL].State != "qualified" || rows[a.Info().URL].State != "usable" {
		t.Fatalf("states: %+v", rows)
	}
	var ll ctlog.LogListStatus
	h.get("/api/v1/loglist", &ll)
	if ll.Source != path || ll.Logs != 2 || ll.Version != "9" || ll.ListTimestamp.Format("2006-01-02") != "2026-12-02" || ll.LastError != "" {
		t.Fatalf("loglist %+v", ll)
	}
	// The retired log does not count against readiness.
	if r := h.app.Readiness(context.Background()); r.Sources.Total != 2 {
		t.Fatalf("readiness counts %d sources", r.Sources.Total)
	}

	// A broken edit: the error names the file, nothing changes.
	write([]byte(`{"operators": [`))
	h.app.ll.kick <- struct{}{}
	h.waitFor("the broken list reported", func() bool {
		h.get("/api/v1/loglist", &ll)
		return strings.Contains(ll.LastError, path)
	})
	if ll.Logs != 2 || len(sourceRows(h)) != 3 {
		t.Fatalf("a broken list changed what is followed: %+v", ll)
	}
}

// "default" with the list unreachable starts from the saved copy, says why, and follows the
// fetched list once a fetch succeeds, saving it.
func TestDefaultLogListFallsBackThenFetches(t *testing.T) {
	ca, a := newRFC6962(t)
	c, err := ctlogtest.NewRFC6962()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for i, l := range []*ctlogtest.Log{a, c} {
		entries, err := benign(ca, 3, i*10)
		if err != nil {
			t.Fatal(err)
		}
		addPublish(t, l, entries...)
	}
	cfg := testConfig(t, `{"paypal.com": []}`, a.Info())
	cfg.Sources.CT.LogList = "default"
	saved := filepath.Join(cfg.DataDir, "log_list.json")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(saved, listJSON("2026-11-01T00:00:00Z", listLog{a.Info(), "usable", false}), 0o600); err != nil {
		t.Fatal(err)
	}
	var serving atomic.Pointer[[]byte] // nil: 404
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b := serving.Load(); b != nil {
			w.Write(*b)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	logs := &lockedBuffer{}
	h := startWith(t, cfg, logs, func(app *App) { app.ll.w.URL, app.ll.w.Client = srv.URL+"/list.json", srv.Client() })
	var ll ctlog.LogListStatus
	h.waitFor("the failed fetch", func() bool { h.get("/api/v1/loglist", &ll); return ll.LastError != "" })
	if ll.Source != saved || ll.FetchedAt != nil || !strings.Contains(ll.LastError, "404") {
		t.Fatalf("fallback %+v", ll)
	}
	h.waitFor("the warning", func() bool { return strings.Contains(logs.String(), "copy of 2026-11-01") })
	h.waitFor("the saved copy's log read", func() bool { return h.caughtUp(map[string]int64{a.Info().URL: 3}) })

	fresh := listJSON("2026-12-03T00:00:00Z", listLog{a.Info(), "usable", false}, listLog{c.Info(), "usable", false})
	serving.Store(&fresh)
	h.app.ll.kick <- struct{}{}
	h.waitFor("the fetched list's new log read", func() bool { return h.caughtUp(map[string]int64{c.Info().URL: 3}) })
	h.get("/api/v1/loglist", &ll)
	if ll.Source != srv.URL+"/list.json" || ll.FetchedAt == nil || ll.Logs != 2 || ll.LastError != "" {
		t.Fatalf("fetched %+v", ll)
	}
	if got, _ := os.ReadFile(saved); string(got) != string(fresh) {
		t.Fatal("the fetched list was not saved")
	}
}

// Without CT there is no log list to describe.
func TestLogListRouteWithoutCT(t *testing.T) {
	h := start(t, testConfig(t, `{"paypal.com": []}`))
	resp, err := http.Get(h.base + "/api/v1/loglist")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /api/v1/loglist without CT: %s", resp.Status)
	}
}
