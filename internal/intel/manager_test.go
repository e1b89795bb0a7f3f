package intel

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/detect"
	"github.com/google/go-cmp/cmp"
)

// feedServer serves feed documents on loopback with ETag support, like a static file host.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string]*servedDoc
	requests map[string]int
	notMod   map[string]int
}

type servedDoc struct {
	body        string
	contentType string
	truncated   bool // declare a longer Content-Length than is sent: a cut download
}

func newFeedServer(t *testing.T) *feedServer {
	s := &feedServer{docs: map[string]*servedDoc{}, requests: map[string]int{}, notMod: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *feedServer) put(path, body, contentType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = &servedDoc{body: body, contentType: contentType}
}

func (s *feedServer) putTruncated(path, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs[path] = &servedDoc{body: body, contentType: "text/plain", truncated: true}
}

func (s *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	doc := s.docs[r.URL.Path]
	s.requests[r.URL.Path]++
	s.mu.Unlock()
	if doc == nil {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256([]byte(doc.body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		s.mu.Lock()
		s.notMod[r.URL.Path]++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", doc.contentType)
	if doc.truncated {
		w.Header().Set("Content-Length", strconv.Itoa(len(doc.body)+100))
	}
	_, _ = w.Write([]byte(doc.body))
}

func (s *feedServer) counts(path string) (requests, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path], s.notMod[path]
}

func testOptions(t *testing.T) Options {
	return Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), DataDir: t.TempDir()}
}

func newTestManager(t *testing.T, feeds []FeedConfig, opts Options) *Manager {
	t.Helper()
	m, err := NewManager(feeds, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func statusOf(t *testing.T, m *Manager, name string) FeedStatus {
	t.Helper()
	for _, st := range m.Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no status for feed %q", name)
	return FeedStatus{}
}

type wantHit struct {
	indicator, threat string
	firstSeen         time.Time
}

func TestEachFormatOverHTTPWithETag(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/domains.txt", sampleDomains, "text/plain")
	srv.put("/openphish.txt", sampleOpenPhish, "text/plain; charset=utf-8")
	srv.put("/phishtank.csv", samplePhishTank, "text/csv")
	srv.put("/urlhaus.csv", sampleURLhaus, "text/csv")
	srv.put("/threatfox.csv", sampleThreatFox, "text/csv")
	srv.put("/misp/manifest.json", sampleMISPManifest, "application/json")
	srv.put("/misp/"+sampleMISPEventUUID+".json", sampleMISPEvent, "application/json")
	srv.put("/bundle.json", sampleSTIX, "application/stix+json;version=2.1")

	date := func(s string) time.Time { return parseTime(s) }
	tests := []struct {
		format, path string
		indicators   int
		hits         map[string]wantHit // looked-up name -> expected hit
		misses       []string
	}{
		{FormatDomains, "/domains.txt", 3, map[string]wantHit{
			"login.evil.xyz":                   {"evil.xyz", "", time.Time{}},
			"secure-login.bank-verify.example": {"Secure-Login.Bank-Verify.example.", "", time.Time{}},
			"hosts-file-style.example":         {"hosts-file-style.example", "", time.Time{}},
		}, []string{"203.0.113.9", "bank-verify.example"}},
		{FormatURLs, "/openphish.txt", 3, map[string]wantHit{
			"paypal-account-verify.example.com": {"https://paypal-account-verify.example.com/signin/", "phishing", time.Time{}},
			"xn--pypal-4ve.example":             {"http://xn--pypal-4ve.example/login.php", "phishing", time.Time{}},
		}, []string{"example.com"}},
		{FormatPhishTank, "/phishtank.csv", 2, map[string]wantHit{
			"secure-paypa1.example":       {"https://secure-paypa1.example/signin?x=1", "phishing: PayPal", date("2024-07-04T08:31:05Z")},
			"bank.verify-account.example": {"http://bank.verify-account.example/a,b", "phishing", date("2024-07-04T09:00:00Z")},
		}, []string{"www.phishtank.com"}},
		{FormatURLhaus, "/urlhaus.csv", 1, map[string]wantHit{
			"malware-drop.example.xyz": {"http://malware-drop.example.xyz/bins/x86", "malware_download", date("2024-07-04 09:10:08")},
		}, []string{"urlhaus.abuse.ch"}},
		{FormatThreatFox, "/threatfox.csv", 2, map[string]wantHit{
			"c2.clearfake.example":  {"c2.clearfake.example", "payload_delivery (ClearFake)", date("2024-07-04 22:19:04")},
			"panel.stealer.example": {"https://panel.stealer.example/gate.php", "botnet_cc (Vidar)", date("2024-07-04 21:40:00")},
		}, nil},
		{FormatMISP, "/misp/", 4, map[string]wantHit{
			"bank-secure-login.example": {"bank-secure-login.example", "OSINT - Phishing kit targeting banks", date("2024-06-30T10:00:00Z")},
			"kit.phish-host.example":    {"https://kit.phish-host.example/bank/index.php", "OSINT - Phishing kit targeting banks", time.Unix(1719820802, 0).UTC()},
			"c2.misp-example.net":       {"c2.misp-example.net", "OSINT - Phishing kit targeting banks", time.Unix(1719820803, 0).UTC()},
			"www.object-host.example":   {"www.object-host.example", "OSINT - Phishing kit targeting banks", time.Unix(1719820806, 0).UTC()},
		}, []string{"deleted.example"}},
		{FormatSTIX, "/bundle.json", 4, map[string]wantHit{
			"stix-evil.example":        {"stix-evil.example", "malicious-activity", date("2024-07-01T12:00:00Z")},
			"login.stix-phish.example": {"https://login.stix-phish.example/auth", "malicious-activity", date("2024-07-01T12:00:00Z")},
			"sco-domain.example":       {"sco-domain.example", "", time.Time{}},
			"sco-url.example":          {"http://sco-url.example/x", "", time.Time{}},
		}, []string{"expired.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			feed := FeedConfig{Name: tt.format + "-feed", URL: srv.URL + tt.path, Format: tt.format, Weight: 70}
			m := newTestManager(t, []FeedConfig{feed}, testOptions(t))
			if err := m.Refresh(t.Context(), feed.Name); err != nil {
				t.Fatal(err)
			}
			st := statusOf(t, m, feed.Name)
			if st.Indicators != tt.indicators || st.LastError != "" || st.Refreshes != 1 || st.LastRefresh == nil {
				t.Errorf("status after first refresh = %+v; want %d indicators, no error", st, tt.indicators)
			}
			for name, want := range tt.hits {
				got := m.Lookup(name)
				wantHits := []detect.IntelHit{{Feed: feed.Name, Indicator: want.indicator, ThreatType: want.threat, FirstSeen: want.firstSeen, Weight: 70}}
				if diff := cmp.Diff(wantHits, got); diff != "" {
					t.Errorf("Lookup(%q) (-want +got):\n%s", name, diff)
				}
			}
			for _, name := range tt.misses {
				if got := m.Lookup(name); got != nil {
					t.Errorf("Lookup(%q) = %v; want no hit", name, got)
				}
			}

			before := m.byName[feed.Name].set.Load()
			if err := m.Refresh(t.Context(), feed.Name); err != nil {
				t.Fatal(err)
			}
			conditional := tt.path
			if tt.format == FormatMISP {
				conditional += "manifest.json"
			}
			if _, notMod := srv.counts(conditional); notMod != 1 {
				t.Errorf("second refresh: %s answered 304 %d times; want 1", conditional, notMod)
			}
			st = statusOf(t, m, feed.Name)
			if m.byName[feed.Name].set.Load() != before || st.NotModified != 1 || st.Indicators != tt.indicators {
				t.Errorf("after a 304 the set changed or the status is off: %+v", st)
			}
		})
	}
}

func TestBadUpdateKeepsTheGoodSet(t *testing.T) {
	srv := newFeedServer(t)
	tests := []struct {
		name, format, good string
		update             func(path string)
		wantErr            string
		maxBytes           int64
	}{
		{"truncated download", FormatDomains, sampleDomains,
			func(p string) { srv.putTruncated(p, "evil.xyz\nonly-in-the-cut-copy.example\n") }, "unexpected EOF", 0},
		{"corrupt STIX JSON", FormatSTIX, sampleSTIX,
			func(p string) { srv.put(p, sampleSTIX[:len(sampleSTIX)/2], "application/json") }, "reading STIX bundle", 0},
		{"HTML error page", FormatURLs, sampleOpenPhish,
			func(p string) { srv.put(p, "<html><body>Rate limited</body></html>", "text/html") }, "HTML page", 0},
		{"garbage in a domains feed", FormatDomains, sampleDomains,
			func(p string) { srv.put(p, "{\"error\": \"quota exceeded\",\n \"retry\": true}\n", "text/plain") }, "no usable host name", 0},
		{"CSV cut mid-record", FormatURLhaus, sampleURLhaus,
			func(p string) { srv.put(p, sampleURLhaus[:len(sampleURLhaus)-60], "text/csv") }, "truncated", 0},
		{"over the size cap", FormatDomains, "evil.xyz\n",
			func(p string) { srv.put(p, strings.Repeat("x.example\n", 100), "text/plain") }, "max_bytes", 500},
		{"server error", FormatDomains, sampleDomains,
			func(p string) { srv.put(p, "", ""); srv.mu.Lock(); delete(srv.docs, p); srv.mu.Unlock() }, "404", 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fmt.Sprintf("/bad/%d", i)
			srv.put(path, tt.good, "text/plain")
			feed := FeedConfig{Name: "f", URL: srv.URL + path, Format: tt.format, MaxBytes: tt.maxBytes}
			m := newTestManager(t, []FeedConfig{feed}, testOptions(t))
			if err := m.Refresh(t.Context(), "f"); err != nil {
				t.Fatal(err)
			}
			good := m.byName["f"].set.Load()
			tt.update(path)
			err := m.Refresh(t.Context(), "f")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Refresh error = %v; want one containing %q", err, tt.wantErr)
			}
			st := statusOf(t, m, "f")
			if m.byName["f"].set.Load() != good || st.Indicators != good.len() {
				t.Errorf("the good set was replaced: %d indicators", st.Indicators)
			}
			if !strings.Contains(st.LastError, tt.wantErr) || st.Failures != 1 || st.ConsecutiveFailures != 1 {
				t.Errorf("status = %+v; want last_error containing %q and one failure", st, tt.wantErr)
			}
			if strings.Contains(st.LastError, path) {
				t.Errorf("last_error %q shows the URL path, which may hold an API key", st.LastError)
			}
		})
	}
}

// taxiiServer is a TAXII 2.1 collection's objects endpoint that pages two objects at a time.
type taxiiServer struct {
	mu      sync.Mutex
	objects []taxiiStored
	queries []string
	byDate  bool // page with X-TAXII-Date-Added-Last only, giving no next
}

type taxiiStored struct {
	added  string // date_added, RFC 3339
	object string
}

func (s *taxiiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Accept"); got != taxiiMediaType {
		http.Error(w, "want the TAXII 2.1 media type, got "+got, http.StatusNotAcceptable)
		return
	}
	user, pass, basic := r.BasicAuth()
	if r.Header.Get("Authorization") != "Bearer s3cret" && !(basic && user == "analyst" && pass == "pw") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, r.URL.RawQuery)
	after := r.URL.Query().Get("added_after")
	start := 0
	if n := r.URL.Query().Get("next"); n != "" {
		start, _ = strconv.Atoi(n)
	}
	var matching []taxiiStored
	for _, o := range s.objects {
		if after == "" || o.added > after {
			matching = append(matching, o)
		}
	}
	end := min(start+2, len(matching))
	env := map[string]any{"more": end < len(matching)}
	if end < len(matching) && !s.byDate {
		env["next"] = strconv.Itoa(end)
	}
	var objs []json.RawMessage
	for _, o := range matching[start:end] {
		objs = append(objs, json.RawMessage(o.object))
	}
	if len(objs) > 0 {
		env["objects"] = objs
		w.Header().Set("X-TAXII-Date-Added-First", matching[start].added)
		w.Header().Set("X-TAXII-Date-Added-Last", matching[end-1].added)
	}
	w.Header().Set("Content-Type", taxiiMediaType)
	_ = json.NewEncoder(w).Encode(env)
}

func stixIndicator(id int, pattern string) string {
	return fmt.Sprintf(`{"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-%012d",
		"created": "2024-07-01T00:00:00Z", "modified": "2024-07-01T00:00:00Z", "indicator_types": ["malicious-activity"],
		"pattern_type": "stix", "valid_from": "2024-07-01T00:00:00Z", "pattern": %q}`, id, pattern)
}

func TestTAXIICollectionPagedWithAddedAfter(t *testing.T) {
	ts := &taxiiServer{objects: []taxiiStored{
		{"2024-07-01T00:00:01.000Z", stixIndicator(1, "[domain-name:value = 'taxii-one.example']")},
		{"2024-07-01T00:00:02.000Z", stixIndicator(2, "[url:value = 'https://taxii-two.example/login']")},
		{"2024-07-01T00:00:03.000Z", `{"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-000000000003", "value": "taxii-three.example"}`},
	}}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	feed := FeedConfig{Name: "taxii", URL: srv.URL + "/api/collections/91a7b528/objects/", Format: FormatTAXII, Token: "s3cret"}
	m := newTestManager(t, []FeedConfig{feed}, testOptions(t))
	if err := m.Refresh(t.Context(), "taxii"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"taxii-one.example", "www.taxii-two.example", "taxii-three.example"} {
		if hits := m.Lookup(name); len(hits) != 1 {
			t.Errorf("Lookup(%q) = %v; want one hit", name, hits)
		}
	}
	if diff := cmp.Diff([]string{"", "next=2"}, ts.queries); diff != "" {
		t.Errorf("first refresh queries (-want +got):\n%s", diff)
	}

	ts.mu.Lock()
	ts.objects = append(ts.objects, taxiiStored{"2024-07-02T00:00:00.000Z", stixIndicator(4, "[domain-name:value = 'taxii-four.example']")})
	ts.queries = nil
	ts.mu.Unlock()
	if err := m.Refresh(t.Context(), "taxii"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"added_after=2024-07-01T00%3A00%3A03.000Z"}, ts.queries); diff != "" {
		t.Errorf("second refresh queries (-want +got):\n%s", diff)
	}
	if st := statusOf(t, m, "taxii"); st.Indicators != 4 {
		t.Errorf("indicators after the incremental refresh = %d; want the 3 kept plus 1 new", st.Indicators)
	}

	// Nothing new: the set stays, counted as unchanged.
	before := m.byName["taxii"].set.Load()
	if err := m.Refresh(t.Context(), "taxii"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m, "taxii"); m.byName["taxii"].set.Load() != before || st.NotModified != 1 {
		t.Errorf("an empty page changed the set or was not counted unchanged: %+v", st)
	}

	basic := FeedConfig{Name: "taxii-basic", URL: feed.URL, Format: FormatTAXII, Username: "analyst", Password: "pw"}
	mb := newTestManager(t, []FeedConfig{basic}, testOptions(t))
	if err := mb.Refresh(t.Context(), "taxii-basic"); err != nil {
		t.Errorf("basic auth: %v", err)
	}
	if st := statusOf(t, mb, "taxii-basic"); st.Indicators != 4 {
		t.Errorf("basic auth: %d indicators; want 4", st.Indicators)
	}

	bad := FeedConfig{Name: "taxii-noauth", URL: feed.URL, Format: FormatTAXII}
	m2 := newTestManager(t, []FeedConfig{bad}, testOptions(t))
	if err := m2.Refresh(t.Context(), "taxii-noauth"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without the token: err = %v; want HTTP 401", err)
	}
}

func TestRestartWithoutNetworkLoadsLastGoodCopy(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/openphish.txt", sampleOpenPhish, "text/plain")
	opts := testOptions(t)
	feed := FeedConfig{Name: "openphish", URL: srv.URL + "/openphish.txt", Format: FormatURLs}
	first := newTestManager(t, []FeedConfig{feed}, opts)
	if err := first.Refresh(t.Context(), "openphish"); err != nil {
		t.Fatal(err)
	}
	want := first.Lookup("paypal-account-verify.example.com")
	srv.Close() // the network is gone

	second := newTestManager(t, []FeedConfig{feed}, opts)
	if diff := cmp.Diff(want, second.Lookup("paypal-account-verify.example.com")); diff != "" || want == nil {
		t.Errorf("after restart (-before +after):\n%s", diff)
	}
	st := statusOf(t, second, "openphish")
	if st.Indicators != 3 || st.LastRefresh == nil {
		t.Errorf("status after restart = %+v; want 3 indicators and the copy's refresh time", st)
	}
	if err := second.Refresh(t.Context(), "openphish"); err == nil {
		t.Fatal("refresh with the server gone succeeded")
	}
	if second.Lookup("paypal-account-verify.example.com") == nil {
		t.Error("a failed refresh after restart dropped the last good copy")
	}

	// A copy of another source is not this feed's.
	moved := feed
	moved.URL = "http://127.0.0.1:1/elsewhere.txt"
	third := newTestManager(t, []FeedConfig{moved}, opts)
	if third.Lookup("paypal-account-verify.example.com") != nil {
		t.Error("a feed whose URL changed loaded the old URL's copy")
	}
}

func TestLookupParentsAndSeveralFeeds(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	b := filepath.Join(dir, "b.txt")
	if err := os.WriteFile(a, []byte("evil.xyz\nevil.co.uk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("login.evil.xyz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, []FeedConfig{
		{Name: "a", File: a, Format: FormatDomains, Weight: 60},
		{Name: "b", File: b, Format: FormatDomains},
	}, Options{})
	for _, name := range []string{"a", "b"} {
		if err := m.Refresh(t.Context(), name); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		want []detect.IntelHit
	}{
		{"login.evil.xyz", []detect.IntelHit{{Feed: "a", Indicator: "evil.xyz", Weight: 60}, {Feed: "b", Indicator: "login.evil.xyz", Weight: DefaultWeight}}},
		{"a.b.login.evil.xyz", []detect.IntelHit{{Feed: "a", Indicator: "evil.xyz", Weight: 60}, {Feed: "b", Indicator: "login.evil.xyz", Weight: DefaultWeight}}},
		{"evil.xyz", []detect.IntelHit{{Feed: "a", Indicator: "evil.xyz", Weight: 60}}},
		{"evil.xyz.", []detect.IntelHit{{Feed: "a", Indicator: "evil.xyz", Weight: 60}}},
		{"www.evil.co.uk", []detect.IntelHit{{Feed: "a", Indicator: "evil.co.uk", Weight: 60}}},
		{"notevil.xyz", nil},
		{"xyz", nil},
		{"other.co.uk", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, m.Lookup(tt.name)); diff != "" {
			t.Errorf("Lookup(%q) (-want +got):\n%s", tt.name, diff)
		}
	}

	// An unchanged file is not re-read.
	if err := m.Refresh(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m, "a"); st.NotModified != 1 {
		t.Errorf("unchanged file: not_modified = %d; want 1", st.NotModified)
	}
}

func TestMISPFeedDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(sampleMISPManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, sampleMISPEventUUID+".json"), []byte(sampleMISPEvent), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, []FeedConfig{{Name: "circl", File: dir, Format: FormatMISP}}, Options{})
	if err := m.Refresh(t.Context(), "circl"); err != nil {
		t.Fatal(err)
	}
	if hits := m.Lookup("c2.misp-example.net"); len(hits) != 1 || hits[0].Indicator != "c2.misp-example.net" {
		t.Errorf("Lookup = %v", hits)
	}
	if err := os.Remove(filepath.Join(dir, sampleMISPEventUUID+".json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(sampleMISPManifest+" "), 0o600); err != nil {
		t.Fatal(err)
	}
	err := m.Refresh(t.Context(), "circl")
	if err == nil || !strings.Contains(err.Error(), sampleMISPEventUUID) {
		t.Errorf("missing event file: err = %v; want one naming the event", err)
	}
	if m.Lookup("c2.misp-example.net") == nil {
		t.Error("a failed MISP refresh dropped the good set")
	}
}

func TestOnUpdateReportsNewIndicators(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/d.txt", "evil.xyz\nphish.example\n", "text/plain")
	m := newTestManager(t, []FeedConfig{{Name: "d", URL: srv.URL + "/d.txt", Format: FormatDomains}}, testOptions(t))
	var got [][]string
	m.OnUpdate(func(feed string, added []string) {
		if feed != "d" {
			t.Errorf("callback for feed %q", feed)
		}
		got = append(got, added)
	})
	if err := m.Refresh(t.Context(), "d"); err != nil {
		t.Fatal(err)
	}
	srv.put("/d.txt", "evil.xyz\nphish.example\nNew-One.example\n", "text/plain")
	if err := m.Refresh(t.Context(), "d"); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(t.Context(), "d"); err != nil { // 304: nothing new
		t.Fatal(err)
	}
	want := [][]string{{"evil.xyz", "phish.example"}, {"new-one.example"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OnUpdate calls (-want +got):\n%s", diff)
	}
}

func TestConfigErrorsNameFeedAndField(t *testing.T) {
	tests := []struct {
		feeds []FeedConfig
		want  []string
	}{
		{[]FeedConfig{{URL: "https://x.example/f", Format: FormatDomains}}, []string{"intel feed #1: name: must be set"}},
		{[]FeedConfig{{Name: "a", URL: "https://x.example/f", Format: "csv"}}, []string{`intel feed "a": format: "csv" is not one of`}},
		{[]FeedConfig{{Name: "a", Format: FormatDomains}}, []string{`intel feed "a": url: set exactly one of url and file`}},
		{[]FeedConfig{{Name: "a", URL: "ftp://x.example/f", Format: FormatDomains}}, []string{`intel feed "a": url: "ftp://x.example" is not an http(s) URL`}},
		{[]FeedConfig{{Name: "a", File: "/tmp/x", Format: FormatTAXII}}, []string{`intel feed "a": file: a taxii feed`}},
		{[]FeedConfig{{Name: "a", File: "/tmp/x", Format: FormatDomains, Refresh: -time.Second, Weight: 101}},
			[]string{`intel feed "a": refresh: -1s is negative`, `intel feed "a": weight: 101 is not between 0 and 100`}},
		{[]FeedConfig{{Name: "a", URL: "https://x.example/t", Format: FormatTAXII, Token: "t", Username: "u"}}, []string{`intel feed "a": token: set either token`}},
		{[]FeedConfig{{Name: "a", File: "/tmp/x", Format: FormatDomains}, {Name: "a", File: "/tmp/y", Format: FormatDomains}}, []string{`intel feed "a": name: used by another feed`}},
		{[]FeedConfig{{Name: "a", File: "/tmp/x", Format: FormatDomains, Token: "t"}}, []string{`intel feed "a": file: a file feed takes no token`}},
	}
	for _, tt := range tests {
		_, err := NewManager(tt.feeds, Options{})
		if err == nil {
			t.Errorf("NewManager(%+v) succeeded", tt.feeds)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("NewManager error %q does not contain %q", err, w)
			}
		}
	}
}

func TestRunRefreshesAndBacksOff(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/good.txt", "evil.xyz\n", "text/plain")
	m := newTestManager(t, []FeedConfig{
		{Name: "good", URL: srv.URL + "/good.txt", Format: FormatDomains, Refresh: time.Hour},
		{Name: "down", URL: srv.URL + "/missing.txt", Format: FormatDomains, Refresh: time.Hour},
	}, testOptions(t))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		m.Run(ctx)
		close(done)
	}()
	waitFor(t, func() bool {
		good, down := statusOf(t, m, "good"), statusOf(t, m, "down")
		return good.Refreshes == 1 && down.Failures == 1 && good.NextRefresh != nil && down.NextRefresh != nil &&
			good.NextRefresh.After(*good.LastRefresh) && down.NextRefresh.After(time.Now())
	})
	good, down := statusOf(t, m, "good"), statusOf(t, m, "down")
	if d := good.NextRefresh.Sub(*good.LastRefresh); d != time.Hour {
		t.Errorf("good feed: next refresh %s after the last; want 1h", d)
	}
	if d := time.Until(*down.NextRefresh); d < 14*time.Second || d > 31*time.Second {
		t.Errorf("failed feed retries in %s; want 15s to 30s (internal/backoff)", d)
	}
	if !strings.Contains(down.LastError, "404") {
		t.Errorf("failed feed last_error = %q", down.LastError)
	}
	if m.Lookup("evil.xyz") == nil {
		t.Error("Run's refresh did not load the feed")
	}
	cancel()
	<-done
	if st := statusOf(t, m, "good"); st.NextRefresh != nil {
		t.Errorf("next_refresh = %v after Run returned; want null", st.NextRefresh)
	}
}

func TestRetryAfterDoublesUpToRefresh(t *testing.T) {
	for _, tt := range []struct {
		n       int
		refresh time.Duration
		want    time.Duration
	}{{1, time.Hour, 30 * time.Second}, {2, time.Hour, time.Minute}, {4, time.Hour, 4 * time.Minute}, {20, time.Hour, time.Hour}, {1, 10 * time.Second, 10 * time.Second}} {
		got := retryAfter(tt.n, tt.refresh)
		if lo, hi := tt.want/2, tt.want; got < lo || got > hi {
			t.Errorf("retryAfter(%d, %s) = %s; want within [%s, %s]", tt.n, tt.refresh, got, lo, hi)
		}
	}
}

// waitFor polls cond until it holds, failing the test after ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("condition not met within 10s")
		}
	}
}

func TestGzipFeedAndStatusJSON(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(sampleDomains))
	_ = zw.Close()
	srv := newFeedServer(t)
	srv.put("/domains.txt.gz", zipped.String(), "application/gzip")
	m := newTestManager(t, []FeedConfig{{Name: "gz", URL: srv.URL + "/domains.txt.gz", Format: FormatDomains}}, testOptions(t))
	if err := m.Refresh(t.Context(), "gz"); err != nil {
		t.Fatal(err)
	}
	if m.Lookup("www.evil.xyz") == nil {
		t.Error("gzip feed not decompressed")
	}
	raw, err := json.Marshal(m.Status())
	if err != nil {
		t.Fatal(err)
	}
	var feeds []map[string]any
	if err := json.Unmarshal(raw, &feeds); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "format", "indicators", "last_refresh", "last_error", "next_refresh", "refreshes", "failures"} {
		if _, ok := feeds[0][key]; !ok {
			t.Errorf("status JSON lacks %q: %s", key, raw)
		}
	}
	if feeds[0]["indicators"] != float64(3) || feeds[0]["next_refresh"] != nil {
		t.Errorf("status JSON = %s", raw)
	}
}

func TestTAXIIPagedByDateAddedOnly(t *testing.T) {
	ts := &taxiiServer{byDate: true, objects: []taxiiStored{
		{"2024-07-01T00:00:01.000Z", stixIndicator(1, "[domain-name:value = 'd-one.example']")},
		{"2024-07-01T00:00:02.000Z", stixIndicator(2, "[domain-name:value = 'd-two.example']")},
		{"2024-07-01T00:00:03.000Z", stixIndicator(3, "[domain-name:value = 'd-three.example']")},
	}}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	m := newTestManager(t, []FeedConfig{{Name: "t", URL: srv.URL + "/objects/", Format: FormatTAXII, Token: "s3cret"}}, testOptions(t))
	if err := m.Refresh(t.Context(), "t"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"", "added_after=2024-07-01T00%3A00%3A02.000Z"}, ts.queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if st := statusOf(t, m, "t"); st.Indicators != 3 {
		t.Errorf("indicators = %d; want 3", st.Indicators)
	}
}

// A feed's credentials stay on the origin they were configured for: a redirect to another
// port of the same host arrives without them.
func TestRedirectDropsCredentialsOnAnotherPort(t *testing.T) {
	var gotAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		io.WriteString(w, "evil.example\n")
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/feed.txt", http.StatusFound)
	}))
	defer origin.Close()
	m := newTestManager(t, []FeedConfig{{Name: "f", URL: origin.URL + "/feed.txt", Format: FormatDomains, Token: "s3cret"}}, testOptions(t))
	if err := m.Refresh(context.Background(), "f"); err != nil {
		t.Fatal(err)
	}
	if len(gotAuth) != 1 || gotAuth[0] != "" {
		t.Fatalf("the redirect target saw Authorization %q", gotAuth)
	}
}

// A public feed cannot redirect certhunt to an internal address.
func TestRedirectFromPublicToInternalIsRefused(t *testing.T) {
	policy := redirectPolicy(&url.URL{Scheme: "https", Host: "203.0.113.7"})
	for _, target := range []string{"http://127.0.0.1:8080/", "http://10.0.0.5/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/", "http://localhost/"} {
		req := httptest.NewRequest("GET", target, nil)
		if err := policy(req, []*http.Request{{}}); err == nil {
			t.Errorf("redirect to %s allowed", target)
		}
	}
	req := httptest.NewRequest("GET", "https://198.51.100.9/feed", nil)
	req.Header.Set("Authorization", "Bearer x")
	if err := policy(req, []*http.Request{{}}); err != nil || req.Header.Get("Authorization") != "" {
		t.Errorf("public to public: %v, Authorization %q", err, req.Header.Get("Authorization"))
	}
}
