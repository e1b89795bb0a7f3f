package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/export"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// Tokens of the role tests: one per role.
const (
	adminToken   = "admin-token-0123456789abcdef"
	analystToken = "analyst-token-0123456789abcdef"
	viewerToken  = "viewer-token-0123456789abcdef"
)

// workspace is a server with named tokens and a watchlist of list.
type workspace struct {
	srv   *httptest.Server
	store *incident.Store
	wl    *watchlist.Manager
	log   *syncBuffer
}

// syncBuffer is a log destination the handlers' goroutines may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

func newWorkspace(t *testing.T, list homograph.List) *workspace {
	t.Helper()
	dir := t.TempDir()
	store, err := incident.OpenSQLite(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	data, _ := json.Marshal(list)
	file := filepath.Join(dir, "homographs.json")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	wl, err := watchlist.New(watchlist.Options{File: file, Detect: detect.Options{LevenshteinThreshold: 0.85, IncidentThreshold: 60}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wl.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New([]auth.Token{
		{Name: "root", Token: adminToken, Role: auth.RoleAdmin},
		{Name: "alice", Token: analystToken, Role: auth.RoleAnalyst},
		{Name: "victor", Token: viewerToken, Role: auth.RoleViewer},
	}, auth.Options{AdminPrefixes: []string{"/api/v1/watchlist"}})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	s := &Server{Store: store, Watchlist: wl, Auth: a.Middleware, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		OnAllow: func(ctx context.Context) error {
			allowed, err := store.Allowed(ctx)
			if err != nil {
				return err
			}
			return wl.SetAllow(allowed)
		},
		Generate: func(domains, fuzzers []string) (homograph.List, error) {
			return homograph.List{domains[0]: {"regenerated-" + strings.Join(fuzzers, "+") + ".com"}}, nil
		},
		Export: func(w io.Writer, format string, incs []incident.Incident) (string, error) {
			if format == "csv" {
				return "text/csv", export.CSV(w, incs)
			}
			return "application/json", export.STIX(w, incs, time.Now())
		},
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &workspace{srv: srv, store: store, wl: wl, log: logs}
}

// call sends body (JSON, or none when "") with token and decodes a JSON answer into out (when
// not nil); it returns the status and the raw body.
func (ws *workspace) call(t *testing.T, token, method, path, body string, out any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ws.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

type assetPage struct {
	Asset      string   `json:"asset"`
	Total      int      `json:"total"`
	Matching   int      `json:"matching"`
	Homographs []string `json:"homographs"`
	NextCursor string   `json:"next_cursor"`
}

// bigList is paypal.com with n homographs paypal-00000.com ... and example.org with two.
func bigList(n int) homograph.List {
	values := make([]string, n)
	for i := range values {
		values[i] = fmt.Sprintf("paypal-%05d.com", i)
	}
	return homograph.List{"paypal.com": values, "example.org": {"examp1e.org", "exampie.org"}}
}

func TestWatchlistByAssetPagesAndSearches(t *testing.T) {
	ws := newWorkspace(t, bigList(100_000))

	var assets struct{ Assets []AssetSummary }
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/watchlist/assets", "", &assets); code != 200 ||
		fmt.Sprint(assets.Assets) != "[{example.org 2} {paypal.com 100000}]" {
		t.Fatalf("assets: %d %s", code, body)
	}

	// Paging walks the whole list in order, each name once.
	seen, pages, cursor := 0, 0, ""
	for {
		var p assetPage
		code, body := ws.call(t, viewerToken, "GET", "/api/v1/watchlist/paypal.com?limit=1000&cursor="+cursor, "", &p)
		if code != 200 {
			t.Fatalf("page %d: %d %s", pages, code, body)
		}
		if p.Total != 100_000 || p.Matching != 100_000 || len(p.Homographs) == 0 || len(p.Homographs) > 1000 {
			t.Fatalf("page %d: total %d matching %d, %d names", pages, p.Total, p.Matching, len(p.Homographs))
		}
		for _, v := range p.Homographs {
			if want := fmt.Sprintf("paypal-%05d.com", seen); v != want {
				t.Fatalf("name %d is %q, want %q", seen, v, want)
			}
			seen++
		}
		pages++
		if p.NextCursor == "" {
			break
		}
		cursor = url.QueryEscape(p.NextCursor)
	}
	if seen != 100_000 || pages != 100 {
		t.Fatalf("walked %d names in %d pages", seen, pages)
	}

	// Search matches substrings; the default page is 100.
	var p assetPage
	ws.call(t, viewerToken, "GET", "/api/v1/watchlist/PayPal.com?q=0999", "", &p)
	if p.Asset != "paypal.com" || p.Matching != 20 || len(p.Homographs) != 20 || p.Homographs[0] != "paypal-00999.com" {
		t.Fatalf("search 0999: %+v", p)
	}
	ws.call(t, viewerToken, "GET", "/api/v1/watchlist/paypal.com", "", &p)
	if len(p.Homographs) != 100 || p.NextCursor == "" {
		t.Fatalf("default page: %d names, cursor %q", len(p.Homographs), p.NextCursor)
	}

	for _, tc := range []struct{ path, want string }{
		{"/api/v1/watchlist/paypal.com?limit=0", "limit"},
		{"/api/v1/watchlist/paypal.com?limit=5000", "limit"},
		{"/api/v1/watchlist/paypal.com?cursor=%25%25", "cursor"},
		{"/api/v1/watchlist/nope.example", "not in the watchlist"},
		{"/api/v1/watchlist/bad..name", "asset"},
	} {
		code, body := ws.call(t, viewerToken, "GET", tc.path, "", nil)
		if code < 400 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d %s, want an error naming %q", tc.path, code, body, tc.want)
		}
	}
}

func TestWatchlistByAssetEdits(t *testing.T) {
	ws := newWorkspace(t, bigList(10))
	ix := func() *detect.Index { return ws.wl.Index() }

	// Analysts may read but not change the watchlist; admins may.
	if code, body := ws.call(t, analystToken, "PUT", "/api/v1/watchlist/paypal.com", `["x.com"]`, nil); code != 403 {
		t.Fatalf("analyst PUT: %d %s, want 403", code, body)
	}
	var sum AssetSummary
	if code, body := ws.call(t, adminToken, "POST", "/api/v1/watchlist/paypal.com/entries",
		`{"add": ["secure-paypal-help.com"], "remove": ["paypal-00003.com", "PAYPAL-00004.com"]}`, &sum); code != 200 || sum.Homographs != 9 {
		t.Fatalf("edit entries: %d %s", code, body)
	}
	list := ws.wl.Current().List["paypal.com"]
	if strings.Contains(strings.Join(list, " "), "paypal-00003.com") || !strings.Contains(strings.Join(list, " "), "secure-paypal-help.com") {
		t.Fatalf("list after edit: %v", list)
	}
	if !ix().Evaluate("secure-paypal-help.com").Incident {
		t.Error("an added homograph does not alert")
	}
	// The file was rewritten: a restart keeps the change.
	if code, _ := ws.call(t, adminToken, "POST", "/api/v1/watchlist/paypal.com/entries", `{"remove": ["not..valid"]}`, nil); code != 200 {
		t.Errorf("removing a name that is not listed: %d, want 200", code)
	}
	if code, body := ws.call(t, adminToken, "POST", "/api/v1/watchlist/paypal.com/entries", `{}`, nil); code != 400 || !strings.Contains(body, "add") {
		t.Errorf("empty edit: %d %s", code, body)
	}

	// PUT replaces or adds one asset, leaving the others alone.
	if code, body := ws.call(t, adminToken, "PUT", "/api/v1/watchlist/Bank.example", `["bank-login.example", "bank-login.example"]`, &sum); code != 200 ||
		sum.Asset != "bank.example" || sum.Homographs != 1 {
		t.Fatalf("PUT new asset: %d %s", code, body)
	}
	if n := len(ws.wl.Current().List); n != 3 {
		t.Fatalf("%d assets after PUT, want 3", n)
	}
	if code, body := ws.call(t, adminToken, "PUT", "/api/v1/watchlist/bank.example", `{"x": 1}`, nil); code != 400 || !strings.Contains(body, "request body") {
		t.Errorf("PUT of an object: %d %s", code, body)
	}

	// Regenerate one asset.
	if code, body := ws.call(t, adminToken, "POST", "/api/v1/watchlist/example.org/regenerate", `{"fuzzers": ["omission"]}`, &sum); code != 200 || sum.Homographs != 1 {
		t.Fatalf("regenerate: %d %s", code, body)
	}
	if got := ws.wl.Current().List["example.org"]; len(got) != 1 || got[0] != "regenerated-omission.com" {
		t.Fatalf("regenerated list %v", got)
	}
	if len(ws.wl.Current().List["paypal.com"]) != 9 {
		t.Fatal("regenerating example.org changed paypal.com")
	}

	// DELETE removes the asset.
	if code, body := ws.call(t, adminToken, "DELETE", "/api/v1/watchlist/bank.example", "", nil); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if code, _ := ws.call(t, adminToken, "DELETE", "/api/v1/watchlist/bank.example", "", nil); code != 404 {
		t.Fatalf("DELETE twice: %d, want 404", code)
	}
	if _, ok := ws.wl.Current().List["bank.example"]; ok {
		t.Fatal("bank.example still listed")
	}
	// Watchlist changes have no incident history: the log names who made them.
	for _, want := range []string{`msg="watchlist asset edited" asset=paypal.com added=1 removed=2 by=root`,
		`msg="watchlist asset removed" asset=bank.example by=root`, `msg="watchlist asset regenerated" asset=example.org homographs=1 by=root`} {
		if !strings.Contains(ws.log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, ws.log.String())
		}
	}
}

func (ws *workspace) plant(t *testing.T, domain string) string {
	t.Helper()
	al := ws.wl.Index().Evaluate(domain)
	if !al.Incident {
		t.Fatalf("%s does not alert", domain)
	}
	ch, err := ws.store.Record(context.Background(), al, &certs.Cert{SHA256: "sha-" + domain, EntryType: certs.X509,
		DNSNames: []string{domain}, Log: certs.LogRef{Name: "l", URL: "http://l/"}, Index: 1, SeenAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return ch.Incident.ID
}

func TestAllowListAndAuthors(t *testing.T) {
	ws := newWorkspace(t, homograph.List{"paypal.com": {"paypa1.com"}})
	id := ws.plant(t, "login.paypa1.com")

	// A viewer may not triage.
	if code, _ := ws.call(t, viewerToken, "PATCH", "/api/v1/incidents/"+id, `{"status": "investigating"}`, nil); code != 403 {
		t.Fatalf("viewer PATCH: %d, want 403", code)
	}
	if code, body := ws.call(t, analystToken, "PATCH", "/api/v1/incidents/"+id, `{"status": "investigating"}`, nil); code != 200 {
		t.Fatalf("analyst PATCH: %d %s", code, body)
	}
	if code, _ := ws.call(t, viewerToken, "POST", "/api/v1/allow", `{"domain": "paypa1.com"}`, nil); code != 403 {
		t.Fatalf("viewer allow: %d, want 403", code)
	}
	// Allowing the registered domain silences its subdomains too.
	if code, body := ws.call(t, analystToken, "POST", "/api/v1/allow", `{"domain": "paypa1.com", "incident": "`+id+`", "reason": "ours"}`, nil); code != 200 {
		t.Fatalf("allow: %d %s", code, body)
	}
	if ws.wl.Index().Evaluate("www.paypa1.com").Incident {
		t.Error("a subdomain of an allowed name still alerts")
	}
	for _, body := range []string{`{"domain": "com"}`, `{"domain": "co.uk"}`, `{"domain": "x..y"}`, `{"domain": "a.com", "incident": "999"}`} {
		if code, answer := ws.call(t, analystToken, "POST", "/api/v1/allow", body, nil); code != 400 {
			t.Errorf("allow %s: %d %s, want 400", body, code, answer)
		}
	}

	var list struct{ Allowed []incident.AllowEntry }
	ws.call(t, viewerToken, "GET", "/api/v1/allow", "", &list)
	if len(list.Allowed) != 1 || list.Allowed[0].Domain != "paypa1.com" || list.Allowed[0].Author != "alice" ||
		list.Allowed[0].Incident != id || list.Allowed[0].Reason != "ours" {
		t.Fatalf("allow list %+v", list.Allowed)
	}
	if code, _ := ws.call(t, viewerToken, "DELETE", "/api/v1/allow/paypa1.com", "", nil); code != 403 {
		t.Fatalf("viewer DELETE allow: %d, want 403", code)
	}
	if code, body := ws.call(t, adminToken, "DELETE", "/api/v1/allow/paypa1.com", "", nil); code != 200 {
		t.Fatalf("DELETE allow: %d %s", code, body)
	}
	if code, _ := ws.call(t, adminToken, "DELETE", "/api/v1/allow/paypa1.com", "", nil); code != 404 {
		t.Fatalf("DELETE allow twice: %d, want 404", code)
	}
	if !ws.wl.Index().Evaluate("www.paypa1.com").Incident {
		t.Error("after removing the allow entry the name does not alert again")
	}

	var inc incident.Incident
	ws.call(t, viewerToken, "GET", "/api/v1/incidents/"+id, "", &inc)
	var got []string
	for _, e := range inc.History {
		got = append(got, e.Field+":"+e.Value+":"+e.Author)
	}
	if want := "[status:investigating:alice allowed:paypa1.com:alice unallowed:paypa1.com:root]"; fmt.Sprint(got) != want {
		t.Errorf("history %v, want %s", got, want)
	}

	var me map[string]any
	ws.call(t, analystToken, "GET", "/api/v1/me", "", &me)
	if me["name"] != "alice" || me["role"] != "analyst" || me["authenticated"] != true {
		t.Errorf("me: %v", me)
	}
}

func TestExportFollowsFiltersAndLeavesOutFalsePositives(t *testing.T) {
	ws := newWorkspace(t, homograph.List{"paypal.com": {"paypa1.com", "paypai.com", "paypa7.com"}, "example.org": {"examp1e.org"}})
	tp, fp, none := ws.plant(t, "paypa1.com"), ws.plant(t, "paypai.com"), ws.plant(t, "paypa7.com")
	other := ws.plant(t, "examp1e.org")
	for id, v := range map[string]string{tp: "true_positive", fp: "false_positive", other: "benign"} {
		if code, body := ws.call(t, analystToken, "PATCH", "/api/v1/incidents/"+id, `{"verdict": "`+v+`"}`, nil); code != 200 {
			t.Fatalf("PATCH: %d %s", code, body)
		}
	}
	_ = none
	get := func(path string) string {
		t.Helper()
		code, body := ws.call(t, viewerToken, "GET", path, "", nil)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		return body
	}
	// STIX never shares false positives or benign names as indicators.
	stix := get("/api/v1/incidents/export?format=stix")
	for _, d := range []string{"paypa1.com", "paypa7.com"} {
		if !strings.Contains(stix, "[domain-name:value = '"+d+"']") {
			t.Errorf("STIX lacks the indicator for %s", d)
		}
	}
	for _, d := range []string{"paypai.com", "examp1e.org"} {
		if strings.Contains(stix, d) {
			t.Errorf("STIX shares %s, judged false positive or benign", d)
		}
	}
	// The UI's filters apply: verdict, asset, search.
	if s := get("/api/v1/incidents/export?format=stix&verdict=true_positive"); !strings.Contains(s, "paypa1.com") || strings.Contains(s, "paypa7.com") {
		t.Errorf("verdict=true_positive STIX: %s", s)
	}
	csv := get("/api/v1/incidents/export?format=csv&verdict=false_positive,benign")
	if !strings.Contains(csv, "paypai.com") || !strings.Contains(csv, "examp1e.org") || strings.Contains(csv, "paypa1.com") {
		t.Errorf("verdict=false_positive,benign CSV:\n%s", csv)
	}
	if c := get("/api/v1/incidents/export?format=csv&asset=example.org"); !strings.Contains(c, "examp1e.org") || strings.Contains(c, "paypa") {
		t.Errorf("asset=example.org CSV:\n%s", c)
	}
	if c := get("/api/v1/incidents/export?format=csv&verdict=none&q=paypa"); !strings.Contains(c, "paypa7.com") || strings.Contains(c, "paypa1.com") {
		t.Errorf("verdict=none&q=paypa CSV:\n%s", c)
	}
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/incidents/export?format=csv&verdict=maybe", "", nil); code != 400 || !strings.Contains(body, "verdict") {
		t.Errorf("verdict=maybe: %d %s", code, body)
	}
}
