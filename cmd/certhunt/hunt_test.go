package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/app"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/hunt"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/testcert"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// barrier holds the first get-entries request until a second one is in flight. Each node
// reads one item at a time with one request at a time (parallel: 1), so the two are from two
// nodes: both took work, whatever the scheduler does.
type barrier struct {
	mu       sync.Mutex
	arrived  int
	release  chan struct{}
	timedOut bool
}

func (b *barrier) wait(r *http.Request) {
	if !strings.Contains(r.URL.Path, "get-entries") {
		return
	}
	b.mu.Lock()
	select {
	case <-b.release:
		b.mu.Unlock()
		return
	default:
	}
	if b.arrived++; b.arrived == 2 {
		close(b.release)
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	select {
	case <-b.release:
	case <-time.After(30 * time.Second):
		b.mu.Lock()
		b.timedOut = true
		b.mu.Unlock()
	}
}

// TestHuntAcrossTwoNodes: a hunt over a loopback log with planted lookalikes, split into
// ten items, shared by two detect nodes: every lookalike becomes one incident, every item is
// done by some node (both nodes take work), every entry is handled, the API shows the
// progress and the command line's output ends with done.
func TestHuntAcrossTwoNodes(t *testing.T) {
	db := testinfra.Postgres(t, "hunt test")
	natsURL := testinfra.NATS(t)
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	log, err := ctlogtest.NewRFC6962()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	benign, err := ca.Issue([]string{"benign.example"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const size = 1000
	entries := make([]ctlogtest.Entry, size)
	for i := range entries {
		entries[i] = ctlogtest.Entry{Cert: benign, Chain: ca.Chain()}
	}
	planted := map[string][]int{"paypa1.com": {50, 850}, "paypal-login.com": {420}, "paypa1-secure.com": {999}}
	for name, at := range planted {
		pair, err := ca.Pair([]string{name}, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		entries[at[0]] = ctlogtest.Entry{Precert: pair.Precert, Chain: [][]byte{pair.Issuer, ca.RootDER}}
		if len(at) > 1 {
			entries[at[1]] = ctlogtest.Entry{Cert: pair.Final, Chain: ca.Chain()}
		}
	}
	if _, err := log.Add(entries...); err != nil {
		t.Fatal(err)
	}
	if err := log.Publish(); err != nil {
		t.Fatal(err)
	}
	log.SetFaults(ctlogtest.Faults{BatchCap: 20})
	target, _ := url.Parse(log.Info().URL)
	gate := &barrier{release: make(chan struct{})}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gate.wait(r)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	logURL := front.URL + target.Path

	dir := t.TempDir()
	wl := filepath.Join(dir, "homographs.json")
	if err := os.WriteFile(wl, []byte(`{"paypal.com": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	nodeConfig := func(name string) *config.Config {
		cfg := config.Default()
		cfg.DataDir = filepath.Join(dir, name)
		cfg.Listen = "127.0.0.1:0"
		cfg.Watchlist.File = wl
		cfg.Database = db
		cfg.Sources.CT.Enabled = false
		cfg.Sources.CT.Parallel = 1
		cfg.Sources.CT.BatchSize = 20
		cfg.Sources.CT.MinBackoff = time.Millisecond
		cfg.Enrich.Enabled = false
		cfg.Cluster = config.Cluster{NATSURL: natsURL, Node: name, Roles: []string{config.RoleDetect, config.RoleAPI}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	var nodes []*app.App
	for _, name := range []string{"node-a", "node-b"} {
		a, err := app.New(context.Background(), nodeConfig(name), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx, ln) }()
		t.Cleanup(func() { cancel(); <-done })
		nodes = append(nodes, a)
	}

	cfgFile := filepath.Join(dir, "hunt.yaml")
	yaml := fmt.Sprintf("data_dir: %s\nwatchlist:\n  file: %s\ndatabase: %q\ncluster:\n  nats_url: %q\n  node: cli\n",
		filepath.Join(dir, "cli"), wl, db, natsURL)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := runHunt(ctx, []string{"-config", cfgFile, "-log", logURL, "-type", "rfc6962", "-from", "0", "-to", fmt.Sprint(size),
		"-item-size", "100", "-progress", "20ms"}, &stdout, &stderr)
	t.Logf("stderr:\n%s", stderr.String())
	out := strings.TrimSpace(stdout.String())
	if code != 0 {
		t.Fatalf("certhunt hunt exited %d: %s", code, out)
	}
	lines := strings.Split(out, "\n")
	last := lines[len(lines)-1]
	if !strings.Contains(last, " done: items 10/10 done, 0 failed") || !strings.Contains(last, "entries 1000/1000") {
		t.Fatalf("the last line %q does not say the hunt is done", last)
	}
	if gate.timedOut {
		t.Error("no two nodes read at once: one node took every item")
	}
	id := strings.Fields(last)[1]

	// Any node's API shows the hunt's progress.
	for i, a := range nodes {
		get := func(path string) *http.Request {
			r := httptest.NewRequest("GET", path, nil)
			r.Host = "127.0.0.1"
			return r
		}
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, get("/api/v1/hunts/"+id))
		var h hunt.Hunt
		if err := json.Unmarshal(rec.Body.Bytes(), &h); rec.Code != 200 || err != nil {
			t.Fatalf("node %d: GET /api/v1/hunts/%s: %d %s", i, id, rec.Code, rec.Body)
		}
		took := 0
		for _, n := range h.Nodes {
			took += n
		}
		if !h.Finished || h.ItemsDone != 10 || h.ItemsTotal != 10 || h.EntriesDone != size || h.EntriesTotal != size || took != 10 {
			t.Errorf("node %d: hunt %+v", i, h)
		}
		if h.Nodes["node-a"] == 0 || h.Nodes["node-b"] == 0 {
			t.Errorf("items by node %v: both nodes should have taken work", h.Nodes)
		}
		rec = httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, get("/api/v1/hunts"))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), id) {
			t.Errorf("node %d: GET /api/v1/hunts: %d %s", i, rec.Code, rec.Body)
		}
	}

	store, err := incident.OpenPostgres(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	incs, _, err := store.List(context.Background(), incident.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, inc := range incs {
		got[inc.RegisteredDomain]++
		full, err := store.Get(context.Background(), inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(planted[inc.RegisteredDomain]); len(full.Certificates) != want {
			t.Errorf("%s: %d certificates, want %d", inc.RegisteredDomain, len(full.Certificates), want)
		}
	}
	if len(got) != len(planted) {
		t.Errorf("incidents %v, want one for each of %d planted lookalikes", got, len(planted))
	}
	for name := range planted {
		if got[name] != 1 {
			t.Errorf("%s: %d incidents, want 1", name, got[name])
		}
	}
}

func TestHuntNeedsACluster(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runHunt(context.Background(), []string{"-data-dir", t.TempDir(), "-since", "30d"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "cluster.nats_url is not set") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	code = runHunt(context.Background(), []string{"-data-dir", t.TempDir(), "-since", "30d", "-log", "http://127.0.0.1:1/"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "exactly one of") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestParseSince(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "1d": 24 * time.Hour} {
		if got, err := parseSince(in); err != nil || got != want {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0d", "-1d", "xd", "30", "d"} {
		if _, err := parseSince(bad); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}

// -since takes every followed log from its first entry logged since then: here a static and
// an RFC 6962 log named by one log list each, read through sinceRanges.
func TestHuntSinceRanges(t *testing.T) {
	now := time.Now()
	stamps := make([]time.Time, 300)
	for i := range stamps {
		stamps[i] = now.Add(-72 * time.Hour).Add(time.Duration(i) * time.Second) // 200 old entries
		if i >= 200 {
			stamps[i] = now.Add(-time.Hour).Add(time.Duration(i-200) * time.Second) // 100 of the last hour
		}
	}
	for _, typ := range []string{"rfc6962", "static"} {
		t.Run(typ, func(t *testing.T) {
			log, list := scanLog(t, typ, len(stamps), stamps...)
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Sources.CT.LogList = list
			var stderr bytes.Buffer
			ranges, err := sinceRanges(context.Background(), cfg, now.Add(-30*time.Hour), cfg.Sources.CT.FollowerOptions(), &stderr)
			if err != nil {
				t.Fatal(err)
			}
			if len(ranges) != 1 || ranges[0].URL != log.Info().URL || ranges[0].From != 200 || ranges[0].To != 300 || ranges[0].Type != typ {
				t.Fatalf("ranges %+v, want [200, 300) of %s", ranges, log.Info().URL)
			}
			if typ == "static" && ranges[0].Submission == "" {
				t.Error("a static log's range lost its submission URL (its checkpoint origin)")
			}
			if _, err := sinceRanges(context.Background(), cfg, now.Add(time.Hour), cfg.Sources.CT.FollowerOptions(), &stderr); err == nil {
				t.Error("a hunt with nothing to read was planned")
			}
		})
	}
}

// -watch follows a hunt started earlier; Ctrl-C stops watching and says how to watch again,
// leaving the hunt as it is.
func TestHuntWatch(t *testing.T) {
	db := testinfra.Postgres(t, "hunt test")
	natsURL := testinfra.NATS(t)
	st, err := hunt.OpenStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ranges := []hunt.Range{{Log: "l", URL: "http://127.0.0.1:1/", Type: "rfc6962", From: 0, To: 5}}
	if err := st.Create(context.Background(), "h-unfinished", time.Now(), ranges, hunt.Split("h-unfinished", ranges, 10)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	// Ctrl-C once the hunt is shown.
	ctrlC := writerFunc(func(p []byte) (int, error) {
		if strings.Contains(string(p), "work items") {
			cancel()
		}
		return stderr.Write(p)
	})
	code := runHunt(ctx, []string{"-data-dir", t.TempDir(), "-database", db, "-nats-url", natsURL, "-watch", "h-unfinished",
		"-progress", "10ms"}, &stdout, ctrlC)
	if code != 0 || !strings.Contains(stderr.String(), "hunt h-unfinished goes on in the cluster: certhunt hunt -watch h-unfinished") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	code = runHunt(context.Background(), []string{"-data-dir", t.TempDir(), "-database", db, "-nats-url", natsURL, "-watch", "nope"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "hunt not found") {
		t.Fatalf("unknown hunt: exit %d, stderr %q", code, stderr.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
