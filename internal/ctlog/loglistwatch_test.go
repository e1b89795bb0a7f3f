package ctlog_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/ctlog"
)

// testList is a v3 list: logs maps a URL to its state; a URL ending in "/2020/" is a shard
// whose interval ended in 2021.
func testList(ts string, logs map[string]string) []byte {
	var rfc []any
	for u, state := range logs {
		l := map[string]any{"description": u, "url": u, "mmd": 86400, "state": map[string]any{state: map[string]any{}}}
		if strings.HasSuffix(u, "/2020/") {
			l["temporal_interval"] = map[string]any{"start_inclusive": "2020-01-01T00:00:00Z", "end_exclusive": "2021-01-01T00:00:00Z"}
		}
		rfc = append(rfc, l)
	}
	data, _ := json.Marshal(map[string]any{"version": "7", "log_list_timestamp": ts,
		"operators": []any{map[string]any{"name": "op", "logs": rfc}}})
	return data
}

type listServer struct {
	mu   sync.Mutex
	body []byte
	hits int
}

func (s *listServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	w.Write(s.body)
}

func (s *listServer) set(b []byte) { s.mu.Lock(); s.body = b; s.mu.Unlock() }

func urls(l *ctlog.LogList) string {
	var out []string
	for _, i := range l.Logs {
		out = append(out, i.URL)
	}
	return strings.Join(out, " ")
}

// "default" starts from the embedded copy without the network, then fetches, saves the copy,
// keeps it over a broken list, and starts from the saved copy next time.
func TestLogListWatcherDefault(t *testing.T) {
	ls := &listServer{body: testList("2026-12-01T00:00:00Z", map[string]string{"https://a.example/": "usable"})}
	srv := httptest.NewServer(ls)
	defer srv.Close()
	dir := t.TempDir()
	w := &ctlog.LogListWatcher{Source: "default", DataDir: dir, URL: srv.URL, Client: srv.Client()}
	l, err := w.Start(context.Background())
	if err != nil || ls.hits != 0 || w.Status().Source != "embedded" || len(l.Logs) == 0 {
		t.Fatalf("Start: %v, %d fetches, status %+v", err, ls.hits, w.Status())
	}
	if fb, age := w.Fallback(); !fb || age <= 0 {
		t.Fatalf("Fallback = %v %v", fb, age)
	}
	l, changed, err := w.Refresh(context.Background())
	if err != nil || !changed || urls(l) != "https://a.example/" {
		t.Fatalf("Refresh: %v %v %q", err, changed, urls(l))
	}
	st := w.Status()
	if st.Source != srv.URL || st.FetchedAt == nil || st.Version != "7" || st.Logs != 1 || st.LastError != "" {
		t.Fatalf("status %+v", st)
	}
	if fb, _ := w.Fallback(); fb {
		t.Fatal("a fetched list is a fallback")
	}
	ls.set([]byte(`{"operators": [`))
	l, changed, err = w.Refresh(context.Background())
	if err == nil || changed || !strings.Contains(err.Error(), srv.URL) || urls(l) != "https://a.example/" ||
		!strings.Contains(w.Status().LastError, "log list") {
		t.Fatalf("broken list: %v %v %q %+v", err, changed, urls(l), w.Status())
	}
	w2 := &ctlog.LogListWatcher{Source: "default", DataDir: dir, URL: srv.URL, Client: srv.Client()}
	if l, err := w2.Start(context.Background()); err != nil || urls(l) != "https://a.example/" ||
		w2.Status().Source != filepath.Join(dir, "log_list.json") {
		t.Fatalf("restart: %v %q %+v", err, urls(l), w2.Status())
	}
}

// Retired logs and shards past their interval are not followed, and say why.
func TestLogListStatesAndExpiry(t *testing.T) {
	data := testList("2026-12-01T00:00:00Z", map[string]string{"https://a.example/": "usable",
		"https://b.example/": "retired", "https://c.example/2020/": "usable", "https://d.example/": "readonly"})
	l, err := ctlog.ParseLogListAt(data, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Logs); got != 2 {
		t.Fatalf("followed %q", urls(l))
	}
	if l.NotFollowed["https://b.example/"] != "retired" || l.NotFollowed["https://c.example/2020/"] != ctlog.StateExpired {
		t.Fatalf("NotFollowed %v", l.NotFollowed)
	}
	// A day after the interval plus the MMD, the shard is still read.
	l, _ = ctlog.ParseLogListAt(data, time.Date(2021, 1, 2, 12, 0, 0, 0, time.UTC))
	if len(l.Logs) != 3 {
		t.Fatalf("in grace: %q", urls(l))
	}
}

// A file list is re-read when it changes, and a broken edit keeps the list in force.
func TestLogListWatcherFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.json")
	os.WriteFile(path, testList("2026-12-01T00:00:00Z", map[string]string{"https://a.example/": "usable"}), 0o644)
	w := &ctlog.LogListWatcher{Source: path}
	if _, err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, changed, err := w.Refresh(context.Background()); changed || err != nil {
		t.Fatalf("unchanged file: %v %v", changed, err)
	}
	os.WriteFile(path, testList("2026-12-02T00:00:00Z", map[string]string{"https://a.example/": "usable", "https://b.example/": "usable"}), 0o644)
	if l, changed, err := w.Refresh(context.Background()); !changed || err != nil || len(l.Logs) != 2 {
		t.Fatalf("changed file: %v %v", changed, err)
	}
	os.WriteFile(path, []byte("not json at all, longer than before to change the size"), 0o644)
	if l, changed, err := w.Refresh(context.Background()); changed || err == nil || !strings.Contains(err.Error(), path) || len(l.Logs) != 2 {
		t.Fatalf("broken file: %v %v", changed, err)
	}
}
