package ui

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
)

// evilSubject is a certificate subject CN that runs script if the UI ever parses data as HTML.
const evilSubject = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`

// csp is the policy the real server sets; the fake sets it too so the UI is tested under it.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// delivery is a notification attempt as the detail view shows it.
type delivery struct {
	Target    string    `json:"target"`
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	At        time.Time `json:"at"`
}

// detailed is an incident as GET /api/v1/incidents/{id} answers it.
type detailed struct {
	incident.Incident
	Deliveries []delivery `json:"deliveries,omitempty"`
}

// watchList is a homograph list (homograph.List's JSON shape, kept local so these tests do not
// depend on that package building).
type watchList map[string][]string

// fakeAPI is an in-memory stand-in for internal/server's JSON API, enough to drive the UI.
type fakeAPI struct {
	mu         sync.Mutex
	incidents  []*detailed // any order; answers sort newest first
	queries    []url.Values
	allowed    []string
	watchlist  watchList
	csrfHeader []string // X-CSRF-Token of each state-changing request

	// token, when set, makes the API answer 401 until /login got it.
	token string

	patches chan map[string]string

	// readiness, when set, is served by GET /readyz with 503; otherwise /readyz says ready.
	readiness map[string]any

	// screenshots are the PNGs of GET /api/v1/incidents/{id}/screenshot[-protected].png, by path.
	screenshots map[string][]byte
}

func newFakeAPI(now time.Time) *fakeAPI {
	return &fakeAPI{
		incidents: sampleIncidents(now),
		watchlist: watchList{"paypal.com": {"paypa1.com", "pаypal.com"}, "example.org": {}},
		patches:   make(chan map[string]string, 16),
	}
}

func (f *fakeAPI) add(inc *detailed) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.incidents = append(f.incidents, inc)
}

// clone copies a stored incident (shallowly) for a test to vary and add.
func (f *fakeAPI) clone(id string) detailed {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.find(id)
}

// find returns the stored incident with that id; f.mu must be held.
func (f *fakeAPI) find(id string) *detailed {
	for _, inc := range f.incidents {
		if inc.ID == id {
			return inc
		}
	}
	return nil
}

// sawQuery reports whether some list request had key=value.
func (f *fakeAPI) sawQuery(key, value string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, q := range f.queries {
		if q.Get(key) == value {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

const sessionCookie, csrfCookie, csrfValue = "certhunt_session", "certhunt_csrf", "csrf-7f3a"

func (f *fakeAPI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", Handler())
	mux.HandleFunc("POST /login", f.login)
	mux.HandleFunc("GET /api/v1/incidents", f.list)
	mux.HandleFunc("GET /api/v1/incidents/{id}", f.get)
	mux.HandleFunc("PATCH /api/v1/incidents/{id}", f.patch)
	mux.HandleFunc("POST /api/v1/allow", f.allow)
	mux.HandleFunc("GET /api/v1/sources", f.sources)
	mux.HandleFunc("GET /api/v1/intel/feeds", f.feeds)
	mux.HandleFunc("GET /api/v1/inventory", f.inventory)
	mux.HandleFunc("GET /api/v1/watchlist", f.getWatchlist)
	mux.HandleFunc("PUT /api/v1/watchlist", f.putWatchlist)
	mux.HandleFunc("POST /api/v1/watchlist/merge", f.mergeWatchlist)
	mux.HandleFunc("GET /api/v1/watchlist/info", f.watchlistInfo)
	mux.HandleFunc("GET /api/v1/watchlist/assets", f.watchlistAssets)
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"name": "", "role": "admin", "authenticated": false})
	})
	mux.HandleFunc("POST /api/v1/homographs", f.homographs)
	mux.HandleFunc("GET /api/v1/incidents/{id}/{png}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		b, ok := f.screenshots[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			apiError(w, http.StatusNotFound, "no screenshot")
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(b)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.readiness != nil {
			writeJSON(w, http.StatusServiceUnavailable, f.readiness)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ready": true, "store": map[string]any{"ready": true},
			"index": map[string]any{"ready": true, "assets": len(f.watchlist)}, "sources": map[string]any{"ready": true, "healthy": 1, "total": 1}})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			f.mu.Lock()
			token := f.token
			if r.Method != http.MethodGet {
				f.csrfHeader = append(f.csrfHeader, r.Header.Get("X-CSRF-Token"))
			}
			f.mu.Unlock()
			if token != "" {
				if c, err := r.Cookie(sessionCookie); err != nil || c.Value != "ok" {
					apiError(w, http.StatusUnauthorized, "authentication required")
					return
				}
				if r.Method != http.MethodGet && r.Header.Get("X-CSRF-Token") != csrfValue {
					apiError(w, http.StatusForbidden, "missing or wrong CSRF token")
					return
				}
			}
		}
		mux.ServeHTTP(w, r)
	})
}

func (f *fakeAPI) login(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	token := f.token
	f.mu.Unlock()
	if token == "" || r.PostFormValue("token") != token {
		apiError(w, http.StatusUnauthorized, "token refused")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "ok", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrfValue, Path: "/", SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	var since, until time.Time
	for key, t := range map[string]*time.Time{"since": &since, "until": &until} {
		if v := q.Get(key); v != "" {
			parsed, err := time.Parse(time.RFC3339, v)
			if err != nil {
				apiError(w, http.StatusBadRequest, "%s: %q is not an RFC 3339 time", key, v)
				return
			}
			*t = parsed
		}
	}
	var out []incident.Incident
	for _, inc := range f.incidents {
		text := strings.ToLower(strings.Join([]string{inc.Domain, inc.DomainUnicode, inc.RegisteredDomain, inc.Asset}, " "))
		switch {
		case q.Get("status") != "" && inc.Status != q.Get("status"),
			q.Get("severity") != "" && inc.Severity != q.Get("severity"),
			q.Get("asset") != "" && inc.Asset != q.Get("asset"),
			q.Get("q") != "" && !strings.Contains(text, strings.ToLower(q.Get("q"))),
			!since.IsZero() && inc.CreatedAt.Before(since),
			!until.IsZero() && inc.CreatedAt.After(until):
			continue
		}
		item := inc.Incident
		item.Certificates, item.History = nil, nil
		out = append(out, item)
	}
	slices.SortFunc(out, func(a, b incident.Incident) int { return b.CreatedAt.Compare(a.CreatedAt) })
	offset, _ := strconv.Atoi(q.Get("cursor"))
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	out = out[min(offset, len(out)):]
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.Itoa(offset + limit)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out, "next_cursor": next})
}

func (f *fakeAPI) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inc := f.find(r.PathValue("id"))
	if inc == nil {
		apiError(w, http.StatusNotFound, "no incident %q", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

func (f *fakeAPI) patch(w http.ResponseWriter, r *http.Request) {
	var changes map[string]string
	if err := json.NewDecoder(r.Body).Decode(&changes); err != nil {
		apiError(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	inc := f.find(r.PathValue("id"))
	if inc == nil {
		apiError(w, http.StatusNotFound, "no incident %q", r.PathValue("id"))
		return
	}
	now := time.Now().UTC()
	for _, field := range []string{"status", "verdict", "note"} {
		value, ok := changes[field]
		if !ok {
			continue
		}
		switch field {
		case "status":
			inc.Status = value
		case "verdict":
			inc.Verdict = value
		case "note":
			inc.Note = value
		}
		inc.History = append(inc.History, incident.Event{At: now, Field: field, Value: value, Author: "analyst"})
	}
	inc.UpdatedAt = now
	f.patches <- changes
	writeJSON(w, http.StatusOK, inc)
}

func (f *fakeAPI) allow(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Domain string `json:"domain"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Domain == "" {
		apiError(w, http.StatusBadRequest, "body must be {\"domain\": \"...\"}")
		return
	}
	f.mu.Lock()
	f.allowed = append(f.allowed, body.Domain)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"allowed": body.Domain})
}

func (f *fakeAPI) sources(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sources": []map[string]any{
		{"name": "Example 'Argon2026h1'", "url": "https://ct.example.net/2026h1/", "type": "rfc6962", "position": 812345, "tree_size": 812400, "entries_processed": 401234, "malformed": 0, "errors": 0, "last_error": "", "lag_seconds": 2.4},
		{"name": "Example 'Tiled2026h1'", "url": "https://static.example.net/2026h1/", "type": "static", "position": 5120000, "tree_size": 5210000, "entries_processed": 2310000, "malformed": 3, "errors": 12, "last_error": "GET tile/data/x020/351: 429 Too Many Requests", "lag_seconds": 412},
		{"name": "Example 'Recovered'", "url": "https://ct.example.org/r/", "type": "rfc6962", "position": 10, "tree_size": 10, "entries_processed": 10, "errors": 1,
			"last_error": "GET get-entries: 503 Service Unavailable", "last_success": time.Now().UTC().Format(time.RFC3339), "lag_seconds": 0},
		{"name": "certstream <self-hosted>", "url": "wss://certstream.internal/full-stream", "type": "certstream", "connected": true, "messages": 99120, "reconnects": 2, "lag_seconds": 0.8},
	}})
}

func (f *fakeAPI) inventory(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.queries = append(f.queries, r.URL.Query())
	f.mu.Unlock()
	now := time.Now().UTC()
	writeJSON(w, http.StatusOK, map[string]any{"domain": r.URL.Query().Get("domain"), "expiry_window": "720h0m0s", "new_name_window": "168h0m0s",
		"names": []map[string]any{
			{"asset": "example.org", "name": "login.example.org", "first_seen": now.Add(-time.Hour), "last_seen": now.Add(-time.Hour), "not_after": now.Add(80 * 24 * time.Hour), "new": true},
			{"asset": "example.org", "name": "old.example.org", "first_seen": now.Add(-80 * 24 * time.Hour), "last_seen": now.Add(-80 * 24 * time.Hour), "not_after": now.Add(5 * 24 * time.Hour), "expiring": true},
		},
		"certificates": []map[string]any{
			{"asset": "example.org", "sha256": "c1", "entry_type": "precert", "issuer": map[string]string{"CN": evilSubject, "O": "Evil Issuer"},
				"spki_sha256": "43634c4cdaffb0b1e9ea2bda332b75cbedb28d451ae1f6beef17dd9c4d20c9cf", "names": []string{"login.example.org"},
				"not_after": now.Add(80 * 24 * time.Hour), "verdict": "unauthorized-issuer", "detail": evilSubject, "log": map[string]any{"name": "argon", "index": 7}, "seen_at": now.Add(-time.Hour)},
			{"asset": "example.org", "sha256": "c2", "entry_type": "x509", "issuer": map[string]string{"CN": "R10", "O": "Let's Encrypt"},
				"names": []string{"old.example.org"}, "not_after": now.Add(5 * 24 * time.Hour), "verdict": "allowed", "expiring": true,
				"log": map[string]any{"name": "argon", "index": 3}, "seen_at": now.Add(-80 * 24 * time.Hour)},
		}})
}

func (f *fakeAPI) feeds(w http.ResponseWriter, _ *http.Request) {
	now := time.Now().UTC()
	writeJSON(w, http.StatusOK, map[string]any{"feeds": []map[string]any{
		{"name": "openphish", "format": "urls", "indicators": 4012, "last_refresh": now.Add(-4 * time.Minute), "last_error": "", "next_refresh": now.Add(26 * time.Minute)},
		{"name": "urlhaus", "format": "urlhaus", "indicators": 0, "last_refresh": time.Time{}, "last_error": "GET https://urlhaus.example/csv: dial tcp: connection refused", "next_refresh": now.Add(time.Minute)},
	}})
}

func (f *fakeAPI) getWatchlist(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, http.StatusOK, f.watchlist)
}

func decodeList(w http.ResponseWriter, r *http.Request) (watchList, bool) {
	var list watchList
	if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
		apiError(w, http.StatusBadRequest, "list: %v", err)
		return nil, false
	}
	for key := range list {
		if !strings.Contains(key, ".") {
			apiError(w, http.StatusBadRequest, "key %q: a protected domain needs a TLD", key)
			return nil, false
		}
	}
	return list, true
}

func (f *fakeAPI) putWatchlist(w http.ResponseWriter, r *http.Request) {
	list, ok := decodeList(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	f.watchlist = list
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, list)
}

func (f *fakeAPI) mergeWatchlist(w http.ResponseWriter, r *http.Request) {
	list, ok := decodeList(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, values := range list {
		f.watchlist[key] = append(f.watchlist[key], values...)
	}
	writeJSON(w, http.StatusOK, f.watchlist)
}

func (f *fakeAPI) watchlistAssets(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(f.watchlist)) {
		out = append(out, map[string]any{"asset": k, "homographs": len(f.watchlist[k])})
	}
	writeJSON(w, http.StatusOK, map[string]any{"assets": out})
}

func (f *fakeAPI) watchlistInfo(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, v := range f.watchlist {
		n += len(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"loaded_at": time.Now().UTC().Add(-90 * time.Second), "source": "homographs.json", "assets": len(f.watchlist), "homographs": n, "last_error": ""})
}

// homographs makes a few predictable lookalikes per domain, enough to exercise preview and merge.
func (f *fakeAPI) homographs(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Domains []string `json:"domains"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Domains) == 0 {
		apiError(w, http.StatusBadRequest, "domains: give at least one")
		return
	}
	out := watchList{}
	for _, d := range body.Domains {
		label, tld, _ := strings.Cut(d, ".")
		out[d] = []string{
			strings.Replace(label, "o", "0", 1) + "." + tld,
			strings.Replace(label, "e", "е", 1) + "." + tld, // Cyrillic е
			label + "-login." + tld,
			label + "-secure." + tld,
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// sampleIncidents is a small, varied set of incidents; IDs are what the tests refer to.
func sampleIncidents(now time.Time) []*detailed {
	mk := func(id, sev string, score int, asset, domain, unicode, status string, age time.Duration, kind string) *detailed {
		created := now.Add(-age)
		return &detailed{Incident: incident.Incident{
			ID: id, CreatedAt: created, UpdatedAt: created, Status: status, Severity: sev, Score: score,
			Asset: asset, Domain: domain, DomainUnicode: unicode, RegisteredDomain: domain,
			Matched:   detect.Matched{Kind: kind, Value: asset, Similarity: 0.9},
			Reasons:   []detect.Reason{{Rule: kind, Points: score, Detail: "matches " + asset}},
			Sightings: 1, FirstSeen: created, LastSeen: created,
		}}
	}
	paypal := mk("inc-paypal", "critical", 92, "paypal.com", "xn--pypal-4ve.com", "pаypal.com", incident.StatusNew, 3*time.Minute, "confusable")
	paypal.Reasons = []detect.Reason{
		{Rule: "confusable", Points: 60, Detail: "TR39 skeleton of pаypal equals paypal (U+0430 CYRILLIC SMALL LETTER A)"},
		{Rule: "idn_mixed_script", Points: 20, Detail: "Latin and Cyrillic in one label"},
		{Rule: "new_registration", Points: 12, Detail: "registered domain first seen in CT today"},
	}
	paypal.IntelHits = []detect.IntelHit{{Feed: "openphish", Indicator: "https://xn--pypal-4ve.com/signin", ThreatType: "phishing", FirstSeen: now.Add(-time.Hour)}}
	paypal.Sightings, paypal.LastSeen = 3, now.Add(-time.Minute)
	paypal.Certificates = []incident.Certificate{{
		SHA256:    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		SHA1:      "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
		Serial:    "03a1b2c3d4e5f60718293a4b5c6d7e8f9a0b",
		EntryType: certs.Precert,
		Subject:   certs.Name{CN: "xn--pypal-4ve.com", Raw: "CN=xn--pypal-4ve.com"},
		Issuer:    certs.Name{CN: "R11", O: "Let's Encrypt", C: "US", Raw: "CN=R11,O=Let's Encrypt,C=US"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(89 * 24 * time.Hour),
		DNSNames:           []string{"xn--pypal-4ve.com", "www.xn--pypal-4ve.com", "login.xn--pypal-4ve.com"},
		SignatureAlgorithm: "SHA256-RSA",
		Log:                incident.LogPosition{Name: "Example 'Argon2026h1'", URL: "https://ct.example.net/2026h1/", Index: 812301},
		SeenAt:             now.Add(-3 * time.Minute),
		Sightings: []incident.Sighting{
			{Log: incident.LogPosition{Name: "Example 'Argon2026h1'", URL: "https://ct.example.net/2026h1/", Index: 812301}, SeenAt: now.Add(-3 * time.Minute)},
			{Log: incident.LogPosition{Name: "Example 'Tiled2026h1'", URL: "https://static.example.net/2026h1/", Index: 5119876}, SeenAt: now.Add(-2 * time.Minute)},
			// A log a certstream feed named: not followed by certhunt, so never linked.
			{Log: incident.LogPosition{Name: "feed-named log", URL: "https://phish.example/ct/", Index: 77}, SeenAt: now.Add(-time.Minute)},
		},
		PEM: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUA6Gyw9Tl9gcYKTpLXG1+j5oLMAoGCCqGSM49BAMCMBAx\n-----END CERTIFICATE-----\n",
	}}
	paypal.Deliveries = []delivery{
		{Target: "xsoar", Status: "delivered", Attempts: 1, At: now.Add(-2 * time.Minute)},
		{Target: "slack", Status: "failed", Attempts: 3, LastError: "POST hooks.slack.com: 503 Service Unavailable", At: now.Add(-time.Minute)},
	}

	evil := mk("inc-evil", "high", 74, "paypal.com", "paypal-login.com", "paypal-login.com", incident.StatusNew, 9*time.Minute, "combosquat")
	evil.Reasons = []detect.Reason{{Rule: "combosquat", Points: 74, Detail: `<img src=x onerror="window.__pwned=3">`}}
	evil.Note = `<b onmouseover="window.__pwned=4">note</b>`
	evil.Certificates = []incident.Certificate{{
		SHA256: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", SHA1: "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed",
		Serial: "0badc0de", EntryType: certs.X509,
		Subject:   certs.Name{CN: evilSubject, O: `"><svg onload=window.__pwned=5>`, Raw: "CN=" + evilSubject},
		Issuer:    certs.Name{CN: "Evil CA <i>", Raw: "CN=Evil CA <i>"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour),
		DNSNames: []string{"paypal-login.com", `javascript:alert(1)`},
		Log:      incident.LogPosition{Name: `<script>alert("log")</script>`, URL: `javascript:window.__pwned=6`, Index: 7},
		SeenAt:   now.Add(-9 * time.Minute),
	}}

	closed := mk("inc-closed", "medium", 61, "example.org", "examp1e.org", "examp1e.org", incident.StatusClosed, 40*time.Minute, "levenshtein")
	closed.Verdict = incident.VerdictBenign

	out := []*detailed{paypal, evil, closed,
		mk("inc-4", "high", 81, "paypal.com", "paypal.com.secure-verify.xyz", "paypal.com.secure-verify.xyz", incident.StatusInvestigating, 65*time.Minute, "subdomain"),
		mk("inc-5", "low", 60, "example.org", "exarnple.org", "exarnple.org", incident.StatusNew, 2*time.Hour, "homograph"),
		mk("inc-6", "critical", 97, "paypal.com", "xn--ppal-gla7a.net", "рaуpal.net", incident.StatusNew, 3*time.Hour, "confusable"),
		mk("inc-7", "medium", 66, "paypal.com", "paypa1-support.com", "paypa1-support.com", incident.StatusClosed, 5*time.Hour, "levenshtein"),
	}
	out[3].Sightings = 14
	return out
}
