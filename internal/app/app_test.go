package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/labelstats"
	"github.com/certhunt/certhunt/internal/notify"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
)

// writeLogList writes a v3 log list naming the given logs.
func writeLogList(t *testing.T, dir string, logs ...ctlog.LogInfo) string {
	t.Helper()
	var rfc, tiled []map[string]any
	for _, l := range logs {
		e := map[string]any{"description": l.Name, "log_id": base64.StdEncoding.EncodeToString(l.LogID),
			"key": base64.StdEncoding.EncodeToString(l.KeyDER), "mmd": 86400,
			"state": map[string]any{"usable": map[string]any{"timestamp": "2026-01-01T00:00:00Z"}}}
		if l.Type == ctlog.TypeStatic {
			e["submission_url"], e["monitoring_url"] = l.SubmissionURL, l.URL
			tiled = append(tiled, e)
		} else {
			e["url"] = l.URL
			rfc = append(rfc, e)
		}
	}
	// A retired log must be skipped.
	rfc = append(rfc, map[string]any{"description": "retired", "log_id": "AAAA", "key": base64.StdEncoding.EncodeToString(logs[0].KeyDER),
		"url": "http://127.0.0.1:1/", "mmd": 86400, "state": map[string]any{"retired": map[string]any{"timestamp": "2024-01-01T00:00:00Z"}}})
	data, _ := json.Marshal(map[string]any{"version": "test", "log_list_timestamp": "2026-01-01T00:00:00Z",
		"operators": []any{map[string]any{"name": "test", "email": []string{}, "logs": rfc, "tiled_logs": tiled}}})
	path := filepath.Join(dir, "log_list.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type harness struct {
	t      *testing.T
	cfg    *config.Config
	app    *App
	base   string
	cancel context.CancelFunc
	done   chan error
}

// start runs a whole certhunt on loopback with cfg.
func start(t *testing.T, cfg *config.Config) *harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, cfg: cfg, app: a, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- a.Run(ctx, ln) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	if err := <-h.done; err != nil {
		h.t.Errorf("app stopped with %v", err)
	}
}

func (h *harness) get(path string, v any) {
	h.t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			var resp json.RawMessage
			h.get("/api/v1/sources", &resp)
			h.t.Fatalf("timed out waiting for %s; sources: %s", what, resp)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not synchronising on time
	}
}

// caughtUp reports whether every CT source has processed its log to want[url].
func (h *harness) caughtUp(want map[string]int64) bool {
	var resp struct{ Sources []source.Status }
	h.get("/api/v1/sources", &resp)
	n := 0
	for _, s := range resp.Sources {
		if w, ok := want[s.URL]; ok && s.Position == w {
			n++
		}
	}
	return n == len(want)
}

// testConfig is a certhunt on loopback with the homograph list watchlist (JSON), following
// logs through a log list file from the beginning, tuned so tests run fast; with no logs CT is off.
func testConfig(t *testing.T, watchlist string, logs ...ctlog.LogInfo) *config.Config {
	t.Helper()
	dir := t.TempDir()
	wl := filepath.Join(dir, "homographs.json")
	if err := os.WriteFile(wl, []byte(watchlist), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.Watchlist.File = wl
	cfg.Sources.CT.Enabled = len(logs) > 0
	if len(logs) > 0 {
		cfg.Sources.CT.LogList = writeLogList(t, dir, logs...)
	}
	cfg.Sources.CT.Start = "beginning"
	cfg.Sources.CT.PollInterval = 20 * time.Millisecond
	cfg.Sources.CT.BatchSize = 16
	cfg.Sources.CT.MinBackoff = time.Millisecond
	cfg.Sources.CT.PartialTileAge = 50 * time.Millisecond
	cfg.Enrich.Enabled = false // tests never touch the internet; enrich_test.go turns it on, on loopback
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newRFC6962 starts a loopback RFC 6962 log for the test and returns it with the test CA.
func newRFC6962(t *testing.T) (*testcert.CA, *ctlogtest.Log) {
	t.Helper()
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	l, err := ctlogtest.NewRFC6962()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return ca, l
}

func benign(ca *testcert.CA, n, from int) ([]ctlogtest.Entry, error) {
	var out []ctlogtest.Entry
	for i := from; i < from+n; i++ {
		der, err := ca.Issue([]string{fmt.Sprintf("host%d.example-%d.org", i, i%7), fmt.Sprintf("www.shop%d.net", i)}, testcert.Options{})
		if err != nil {
			return nil, err
		}
		out = append(out, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
	}
	return out, nil
}

func addPublish(t *testing.T, l *ctlogtest.Log, entries ...ctlogtest.Entry) {
	t.Helper()
	if _, err := l.Add(entries...); err != nil {
		t.Fatal(err)
	}
	if err := l.Publish(); err != nil {
		t.Fatal(err)
	}
}

// TestServeFollowsBothLogKindsAndResumes is the spine end to end: two loopback logs (RFC 6962
// and static-ct-api) from a log list, a planted lookalike logged as precert then final cert in
// both, one incident holding both certificates; a restart resumes from the saved cursors
// without reading an entry twice, and picks up entries logged while it was down.
func TestServeFollowsBothLogKindsAndResumes(t *testing.T) {
	ca, rfc := newRFC6962(t)
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 7, RateLimitEvery: 5, RetryAfter: "0", UnavailableEvery: 7, ShortAnswers: true})
	static, err := ctlogtest.NewStatic()
	if err != nil {
		t.Fatal(err)
	}
	defer static.Close()

	pair, err := ca.Pair([]string{"paypa1.com", "www.paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := benign(ca, 300, 0)
	if err != nil {
		t.Fatal(err)
	}
	precert := ctlogtest.Entry{Precert: pair.Precert, Chain: [][]byte{pair.Issuer, ca.RootDER}}
	final := ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()}
	for _, l := range []*ctlogtest.Log{rfc, static} {
		addPublish(t, l, append(append(first[:150:150], precert), first[150:]...)...)
	}

	cfg := testConfig(t, `{"paypal.com": ["paypa1.com"]}`, rfc.Info(), static.Info())

	h := start(t, cfg)
	h.waitFor("both logs read", func() bool {
		return h.caughtUp(map[string]int64{rfc.Info().URL: 301, static.Info().URL: 301})
	})
	var list struct{ Incidents []incident.Incident }
	h.get("/api/v1/incidents", &list)
	if len(list.Incidents) != 1 || list.Incidents[0].Asset != "paypal.com" || list.Incidents[0].RegisteredDomain != "paypa1.com" {
		t.Fatalf("incidents after the precert: %+v", list.Incidents)
	}
	// What certhunt ingests is re-served as a certstream feed.
	var latest struct{ Messages []json.RawMessage }
	h.get("/certstream/latest.json", &latest)
	if len(latest.Messages) != 25 {
		t.Fatalf("certstream latest.json: %d messages, want 25", len(latest.Messages))
	}
	resp, err := http.Get(h.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"certhunt_entries_processed_total{source=", "certhunt_incidents_opened_total 1",
		"certhunt_certstream_server_messages_total{kind=\"published\"}", "certhunt_watchlist_last_reload_success 1"} {
		if resp.StatusCode != 200 || !strings.Contains(string(metrics), want) {
			t.Fatalf("/metrics (%d) lacks %q:\n%s", resp.StatusCode, want, metrics)
		}
	}
	h.stop()
	// what the pipeline learned of host labels outlives the process
	learned, err := labelstats.Load(cfg.DataDir)
	if err != nil || learned.Domains("www") <= labelstats.New().Domains("www") {
		t.Errorf("label statistics not saved at shutdown (err %v)", err)
	}
	if !strings.Contains(string(metrics), `certhunt_pipeline_total{stage="junk_names"}`) {
		t.Errorf("/metrics lacks the junk_names stage")
	}

	// While certhunt is down, both logs gain the final certificate and more.
	more, err := benign(ca, 40, 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*ctlogtest.Log{rfc, static} {
		addPublish(t, l, append(more[:20:20], append([]ctlogtest.Entry{final}, more[20:]...)...)...)
	}
	rfcBefore := len(rfc.Paths())

	h = start(t, cfg)
	h.waitFor("the new entries read", func() bool {
		return h.caughtUp(map[string]int64{rfc.Info().URL: 342, static.Info().URL: 342})
	})
	h.get("/api/v1/incidents", &list)
	if len(list.Incidents) != 1 {
		t.Fatalf("want exactly one incident, got %d: %+v", len(list.Incidents), list.Incidents)
	}
	var inc incident.Incident
	h.get("/api/v1/incidents/"+list.Incidents[0].ID, &inc)
	types := map[string]int{}
	for _, c := range inc.Certificates {
		types[string(c.EntryType)]++
		if len(c.Sightings) != 2 {
			t.Errorf("certificate %s: want a sighting in each of the 2 logs, got %+v", c.SHA256, c.Sightings)
		}
	}
	if types["precert"] != 1 || types["x509"] != 1 || inc.Sightings != 4 {
		t.Fatalf("incident certificates %v, sightings %d; want one precert, one final, 4 sightings", types, inc.Sightings)
	}
	// The restart resumed from the saved cursor: the RFC 6962 log got get-entries requests for
	// the 41 new entries only (batches of at most 7, some refused by faults), not for all 342.
	n := 0
	for _, p := range rfc.Paths()[rfcBefore:] {
		if strings.HasSuffix(p, "/get-entries") {
			n++
		}
	}
	if n > 40 {
		t.Errorf("after restart the RFC 6962 log got %d get-entries requests; resuming at 301 needs far fewer", n)
	}
}

// TestIntelHits: a certificate whose name is only in a threat-intel feed opens an intel
// incident naming the feed; when the feed later gains an indicator for an open incident's
// name, that incident gets the hit.
func TestIntelHits(t *testing.T) {
	ca, rfc := newRFC6962(t)
	var entries []ctlogtest.Entry
	for _, names := range [][]string{{"www.honest-shop.org"}, {"login.evil-example.net"}, {"paypa1.com"}} {
		der, err := ca.Issue(names, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
	}
	addPublish(t, rfc, entries...)

	feed := filepath.Join(t.TempDir(), "blocklist.txt")
	os.WriteFile(feed, []byte("# test feed\nevil-example.net\n"), 0o644)
	cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
	cfg.Intel.Feeds = []config.Feed{{Name: "blocklist", File: feed, Format: "domains", Refresh: 20 * time.Millisecond}}

	h := start(t, cfg)
	h.waitFor("the log read", func() bool { return h.caughtUp(map[string]int64{rfc.Info().URL: 3}) })
	var list struct{ Incidents []incident.Incident }
	h.get("/api/v1/incidents", &list)
	if len(list.Incidents) != 2 {
		t.Fatalf("want 2 incidents (intel and lookalike), got %+v", list.Incidents)
	}
	var intelInc, lookalike incident.Incident
	for _, inc := range list.Incidents {
		if inc.Matched.Kind == "intel" {
			intelInc = inc
		} else {
			lookalike = inc
		}
	}
	if intelInc.RegisteredDomain != "evil-example.net" || len(intelInc.IntelHits) == 0 || intelInc.IntelHits[0].Feed != "blocklist" {
		t.Fatalf("intel incident: %+v", intelInc)
	}
	if len(lookalike.IntelHits) != 0 {
		t.Fatalf("lookalike has intel hits before the feed lists it: %+v", lookalike)
	}
	var feeds struct {
		Feeds []struct {
			Name       string
			Indicators int
		}
	}
	h.get("/api/v1/intel/feeds", &feeds)
	if len(feeds.Feeds) != 1 || feeds.Feeds[0].Indicators != 1 {
		t.Fatalf("feeds: %+v", feeds)
	}

	// The feed gains the lookalike's name: the open incident gets the hit.
	os.WriteFile(feed, []byte("# test feed\nevil-example.net\npaypa1.com\n"), 0o644)
	h.waitFor("the open incident to get the new intel hit", func() bool {
		var inc incident.Incident
		h.get("/api/v1/incidents/"+lookalike.ID, &inc)
		return len(inc.IntelHits) == 1 && inc.IntelHits[0].Feed == "blocklist"
	})
}

// TestKillMidLog stops certhunt while it is reading a log and starts it again: the entries
// handled before the stop plus those after it are exactly the log, and the planted lookalike
// makes one incident with both its certificates.
func TestKillMidLog(t *testing.T) {
	ca, rfc := newRFC6962(t)
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 5, UnavailableEvery: 3})
	entries, err := benign(ca, 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Pair([]string{"paypa1.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries[300] = ctlogtest.Entry{Precert: pair.Precert, Chain: [][]byte{pair.Issuer, ca.RootDER}}
	entries[450] = ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()}
	addPublish(t, rfc, entries...)

	cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
	cfg.Sources.CT.Parallel = 2

	h := start(t, cfg)
	h.waitFor("some entries read", func() bool {
		var resp struct{ Sources []source.Status }
		h.get("/api/v1/sources", &resp)
		return resp.Sources[0].Position >= 50
	})
	h.stop()
	var cursor struct{ Position int64 }
	data, err := os.ReadFile(ctlog.CursorPath(filepath.Join(cfg.DataDir, "cursors"), rfc.Info().URL))
	if err != nil || json.Unmarshal(data, &cursor) != nil {
		t.Fatalf("cursor file: %s %v", data, err)
	}
	t.Logf("stopped at %d of 600", cursor.Position)

	h = start(t, cfg)
	h.waitFor("the rest read", func() bool { return h.caughtUp(map[string]int64{rfc.Info().URL: 600}) })
	var resp struct{ Sources []source.Status }
	h.get("/api/v1/sources", &resp)
	if got := resp.Sources[0].EntriesProcessed; cursor.Position+got != 600 {
		t.Fatalf("entries before the stop (%d) + after (%d) != 600: lost or duplicated", cursor.Position, got)
	}
	var list struct{ Incidents []incident.Incident }
	h.get("/api/v1/incidents", &list)
	if len(list.Incidents) != 1 {
		t.Fatalf("want one incident, got %+v", list.Incidents)
	}
	var inc incident.Incident
	h.get("/api/v1/incidents/"+list.Incidents[0].ID, &inc)
	if len(inc.Certificates) != 2 || inc.Sightings != 2 {
		t.Fatalf("incident has %d certificates and %d sightings; want 2 and 2", len(inc.Certificates), inc.Sightings)
	}
}

// TestNotifiesNewIncidents: a new incident reaches a webhook receiver, and its delivery status
// is kept on the incident.
func TestNotifiesNewIncidents(t *testing.T) {
	got := make(chan map[string]any, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		got <- body
	}))
	defer receiver.Close()
	ca, rfc := newRFC6962(t)
	der, err := ca.Issue([]string{"paypal-login-secure.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addPublish(t, rfc, ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
	cfg := testConfig(t, `{"paypal.com": []}`, rfc.Info())
	cfg.Notify = []config.Notify{{Config: notify.Config{Type: "webhook", Name: "soc", URL: receiver.URL, Secret: "k"}}}

	h := start(t, cfg)
	var body map[string]any
	select {
	case body = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook call")
	}
	if body["domain"] != "paypal-login-secure.com" || body["event"] != "new" {
		t.Fatalf("webhook body: %v", body)
	}
	h.waitFor("the delivery to be recorded", func() bool {
		var inc incident.Incident
		h.get(fmt.Sprintf("/api/v1/incidents/%v", body["id"]), &inc)
		return len(inc.Deliveries) == 1 && inc.Deliveries[0].Status == "delivered" && inc.Deliveries[0].Target == "soc"
	})
}

// TestConfigCheckAcceptsWhatServeAccepts: every config of internal/config/testdata that
// Validate and Preflight accept (what "config check" runs) also starts serve (app.New); the
// invalid ones are refused by both.
func TestConfigCheckAcceptsWhatServeAccepts(t *testing.T) {
	files, _ := filepath.Glob("../config/testdata/*/*.yaml")
	if len(files) < 10 {
		t.Fatalf("only %d testdata configs", len(files))
	}
	log := slog.New(slog.DiscardHandler)
	for _, file := range files {
		cfg, err := config.LoadFile(file)
		if err == nil {
			cfg.DataDir = t.TempDir() // keep the testdata tree clean; any data_dir is valid here
			if err = cfg.Validate(); err == nil {
				err = Preflight(t.Context(), cfg) // together: what "config check" runs
			}
		}
		valid := err == nil
		if valid != strings.Contains(file, "/valid/") {
			t.Errorf("%s: Validate: %v", file, err)
		}
		if data, _ := os.ReadFile(file); bytes.Contains(data, []byte("# preflight: ")) {
			want := strings.TrimSpace(strings.SplitN(strings.SplitN(string(data), "# preflight: ", 2)[1], "\n", 2)[0])
			if err == nil || err.Error() != want {
				t.Errorf("%s: preflight error %v, want %s", file, err, want)
			}
		}
		if cfg == nil {
			continue // a syntax or type error: neither check nor serve gets a Config
		}
		a, err := New(t.Context(), cfg, log)
		if valid && err != nil {
			t.Errorf("%s: Validate accepts it but serve does not: %v", file, err)
		}
		if !valid && err == nil {
			t.Errorf("%s: Validate refuses it but serve starts", file)
		}
		if a != nil {
			a.Store.Close()
		}
	}
}

// readyz returns GET /readyz's status and body.
func (h *harness) readyz() (int, Readiness) {
	h.t.Helper()
	resp, err := http.Get(h.base + "/readyz")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r Readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		h.t.Fatalf("GET /readyz: %v", err)
	}
	return resp.StatusCode, r
}

func TestReadyz(t *testing.T) {
	t.Run("ready once a log answers", func(t *testing.T) {
		_, rfc := newRFC6962(t)
		h := start(t, testConfig(t, `{"paypal.com": []}`, rfc.Info()))
		h.waitFor("/readyz 200", func() bool { code, _ := h.readyz(); return code == http.StatusOK })
		_, r := h.readyz()
		if !r.Ready || !r.Store.Ready || !r.Index.Ready || r.Sources.Healthy != 1 || r.Sources.Total != 1 {
			t.Fatalf("readiness %+v", r)
		}
	})
	t.Run("no sources", func(t *testing.T) {
		h := start(t, testConfig(t, `{"paypal.com": []}`))
		code, r := h.readyz()
		if code != http.StatusServiceUnavailable || r.Ready || !r.Store.Ready || !r.Index.Ready || r.Sources.Ready ||
			!strings.Contains(r.Sources.Detail, "no sources configured") {
			t.Fatalf("%d %+v", code, r)
		}
	})
	t.Run("a log stopped for good, the other goes on", func(t *testing.T) {
		_, good := newRFC6962(t)
		_, broken := newRFC6962(t)
		cfg := testConfig(t, `{"paypal.com": []}`, good.Info(), broken.Info())
		cursor := ctlog.CursorPath(filepath.Join(cfg.DataDir, "cursors"), broken.Info().URL)
		if err := os.MkdirAll(filepath.Dir(cursor), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cursor, []byte("not json"), 0o644); err != nil {
			t.Fatal(err)
		}
		h := start(t, cfg)
		h.waitFor("/readyz naming the stopped log", func() bool {
			code, r := h.readyz()
			return code == http.StatusOK && r.Sources.Healthy == 1 && strings.Contains(r.Sources.Unhealthy[broken.Info().Name], "stopped: ")
		})
	})
	t.Run("every log failing", func(t *testing.T) {
		dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}))
		defer dead.Close()
		_, rfc := newRFC6962(t)
		info := rfc.Info()
		info.Name, info.URL = "dead", dead.URL
		h := start(t, testConfig(t, `{"paypal.com": []}`, info))
		var sources struct{ Sources []source.Status }
		h.waitFor("a failed tree head", func() bool { h.get("/api/v1/sources", &sources); return sources.Sources[0].Errors > 0 })
		code, r := h.readyz()
		if code != http.StatusServiceUnavailable || r.Sources.Ready || !strings.Contains(r.Sources.Unhealthy["dead"], "no tree head yet") {
			t.Fatalf("%d %+v", code, r)
		}
	})
}

func TestEmbeddedLogListAge(t *testing.T) {
	cfg := config.Default()
	a := &App{cfg: cfg}
	ts := ctlog.EmbeddedLogListTime()
	if ts.IsZero() {
		t.Fatal("the embedded log list has no log_list_timestamp")
	}
	if p := a.logListPart(ts.Add(10 * 24 * time.Hour)); p == nil || p.Stale || p.AgeDays != 10 {
		t.Errorf("10 days: %+v", p)
	}
	if p := a.logListPart(ts.Add(90 * 24 * time.Hour)); p == nil || !p.Stale || p.AgeDays != 90 {
		t.Errorf("90 days: %+v", p)
	}
	cfg.Sources.CT.LogList = "/etc/certhunt/log_list.json"
	if p := a.logListPart(ts); p != nil {
		t.Errorf("a file list: %+v", p)
	}
}

// lockedBuffer is a log sink the test reads while the app writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNotReadyLoggedOnce: with every log failing, one log line says serve is not ready and why.
func TestNotReadyLoggedOnce(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer dead.Close()
	_, rfc := newRFC6962(t)
	info := rfc.Info()
	info.Name, info.URL = "dead", dead.URL
	cfg := testConfig(t, `{"paypal.com": []}`, info)
	var logs lockedBuffer
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.readyEvery = 5 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	h := &harness{t: t, base: "http://" + ln.Addr().String()}
	const want = `msg="not ready: no source is healthy (no network, or every log failing?)"`
	h.waitFor("the not-ready line", func() bool { return strings.Contains(logs.String(), want) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Errorf("not-ready logged %d times, want once", n)
	}
}
