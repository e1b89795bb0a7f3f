// Package server is certhunt's HTTP surface: the JSON API (SPEC.md), the embedded UI, /metrics
// and the certstream feed, behind security headers and optional token auth.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/names"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/verdict"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// Server holds what the handlers need. Optional parts may be nil and their routes then answer
// with what is known (an empty feed list, say) or 404.
type Server struct {
	Store     *incident.Store
	Watchlist *watchlist.Manager
	// Sources reports every source's status.
	Sources func() []source.Status
	// Feeds reports the threat-intel feeds' status (a JSON-marshalable slice).
	Feeds func() any
	// LogList reports the CT log list in force (GET /api/v1/loglist); nil: 404.
	LogList func() any
	// Hunts lists the cluster's hunts and Hunt returns one (nil, nil: unknown) with its
	// progress (GET /api/v1/hunts, /api/v1/hunts/{id}); nil outside a cluster: 404.
	Hunts func(ctx context.Context) (any, error)
	Hunt  func(ctx context.Context, id string) (any, error)
	// Generate makes homograph lists (POST /api/v1/homographs).
	Generate func(domains, fuzzers []string) (homograph.List, error)
	// Export writes incidents as CSV or STIX (GET /api/v1/incidents/export?format=).
	Export func(w io.Writer, format string, incs []incident.Incident) (contentType string, err error)
	// Enrich queues a look at an incident's evidence without waiting, reporting false when
	// the queue is full (POST /api/v1/incidents/{id}/enrich); nil: enrichment is off.
	Enrich func(incident.EnrichTarget) bool
	// Screenshots is the directory of the enrichment's PNGs (GET .../screenshot.png); "": 404.
	Screenshots string
	// OnAllow is told when an analyst allows a name, so the index can be rebuilt.
	OnAllow func(ctx context.Context) error
	// Inventory holds the windows of GET /api/v1/inventory (issuance.expiry_window and
	// new_name_window).
	Inventory InventoryOptions
	// Certstream is mounted at CertstreamPrefix (e.g. /certstream).
	Certstream       http.Handler
	CertstreamPrefix string
	UI               http.Handler
	Metrics          http.Handler
	// Auth wraps everything but /healthz and /readyz; nil means open.
	Auth func(http.Handler) http.Handler
	// Ready reports readiness for GET /readyz: ready, and a body saying which part is not; nil
	// means always ready.
	Ready func(ctx context.Context) (ready bool, body any)
	// Logger receives internal errors, which clients see only as "internal error"; default:
	// discard.
	Logger *slog.Logger
}

// contentSecurityPolicy keeps the UI to its own scripts and styles, so a certificate field that
// slipped through as markup still could not run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// router is a ServeMux that remembers its patterns, so that a test can hold the OpenAPI
// document to the routes really served.
type router struct {
	*http.ServeMux
	patterns []string
}

func (m *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

func (m *router) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// Routes lists the patterns Handler serves ("GET /api/v1/incidents", ...).
func (s *Server) Routes() []string {
	_, patterns := s.build()
	return patterns
}

// Handler returns the whole HTTP surface.
func (s *Server) Handler() http.Handler {
	h, _ := s.build()
	return h
}

func (s *Server) build() (http.Handler, []string) {
	mux := &router{ServeMux: http.NewServeMux()}
	mux.HandleFunc("GET /api/v1/incidents", s.listIncidents)
	mux.HandleFunc("GET /api/v1/incidents/export", s.exportIncidents)
	mux.HandleFunc("GET /api/v1/incidents/{id}", s.getIncident)
	mux.HandleFunc("PATCH /api/v1/incidents/{id}", s.patchIncident)
	mux.HandleFunc("GET /api/v1/incidents/{id}/enrichment", s.getEnrichment)
	mux.HandleFunc("POST /api/v1/incidents/{id}/enrich", s.enrich)
	mux.HandleFunc("GET /api/v1/incidents/{id}/screenshot.png", s.screenshot(false))
	mux.HandleFunc("GET /api/v1/incidents/{id}/screenshot-protected.png", s.screenshot(true))
	mux.HandleFunc("GET /api/v1/sources", s.sources)
	mux.HandleFunc("GET /api/v1/intel/feeds", s.feeds)
	mux.HandleFunc("GET /api/v1/loglist", s.logList)
	mux.HandleFunc("GET /api/v1/hunts", s.listHunts)
	mux.HandleFunc("GET /api/v1/hunts/{id}", s.getHunt)
	mux.HandleFunc("GET /api/v1/watchlist", s.getWatchlist)
	mux.HandleFunc("PUT /api/v1/watchlist", s.putWatchlist)
	mux.HandleFunc("POST /api/v1/watchlist/merge", s.mergeWatchlist)
	mux.HandleFunc("GET /api/v1/watchlist/info", s.watchlistInfo)
	mux.HandleFunc("POST /api/v1/check", s.check)
	mux.HandleFunc("POST /api/v1/homographs", s.homographs)
	mux.HandleFunc("POST /api/v1/allow", s.allow)
	mux.HandleFunc("GET /api/v1/inventory", s.inventory)
	s.workspaceRoutes(mux)
	s.campaignRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no API route %s %s", r.Method, r.URL.Path))
	})
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	if s.Certstream != nil {
		// The hub's own routes carry the prefix.
		mux.Handle(s.CertstreamPrefix, s.Certstream)
		mux.Handle(s.CertstreamPrefix+"/", s.Certstream)
	}
	if s.UI != nil {
		mux.Handle("/", s.UI)
	}
	var h http.Handler = mux
	if s.Auth != nil {
		h = s.Auth(h)
	}
	outer := &router{ServeMux: http.NewServeMux(), patterns: mux.patterns}
	outer.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	outer.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.Ready == nil {
			writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
			return
		}
		ok, body := s.Ready(r.Context())
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, body)
	})
	outer.Handle("/", h)
	return securityHeaders(outer), outer.patterns
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// internalError logs err and tells the client only that something failed: database errors
// name tables, columns and limits a client has no business learning.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if s.Logger != nil {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error (see the server log)"})
}

// readJSON decodes a request body of at most limit bytes, rejecting unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("request body: %w", err))
		return false
	}
	return true
}

func (s *Server) filter(r *http.Request) (incident.Filter, error) {
	q := r.URL.Query()
	f := incident.Filter{Status: q.Get("status"), Severity: q.Get("severity"), Verdict: q.Get("verdict"),
		Asset: q.Get("asset"), Query: q.Get("q"), Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return f, fmt.Errorf("limit %q is not a number from 1 to 500", v)
		}
		f.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return f, fmt.Errorf("%s %q is not an RFC 3339 time or a date (YYYY-MM-DD)", p.name, v)
			}
			*p.dst = t
		}
	}
	return f, nil
}

func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	f, err := s.filter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	incs, next, err := s.Store.List(r.Context(), f)
	if err != nil {
		if errors.Is(err, incident.ErrBadCursor) || errors.Is(err, incident.ErrBadFilter) {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		s.internalError(w, r, err)
		return
	}
	ptrs := make([]*incident.Incident, len(incs))
	for i := range incs {
		ptrs[i] = &incs[i]
	}
	s.withCampaigns(r.Context(), ptrs...)
	writeJSON(w, http.StatusOK, map[string]any{"incidents": incs, "next_cursor": next})
}

func (s *Server) exportIncidents(w http.ResponseWriter, r *http.Request) {
	if s.Export == nil {
		writeError(w, http.StatusNotFound, errors.New("export is not available"))
		return
	}
	f, err := s.filter(r)
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "stix" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("format %q is not csv or stix", format))
		return
	}
	var all []incident.Incident
	f.Limit = 500
	for {
		page, next, err := s.Store.List(r.Context(), f)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		for _, inc := range page {
			full, err := s.Store.Get(r.Context(), inc.ID)
			if err != nil {
				s.internalError(w, r, err)
				return
			}
			all = append(all, *full)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	ext := map[string]string{"csv": "csv", "stix": "json"}[format]
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="certhunt-incidents.%s"`, ext))
	pr, pw := io.Pipe()
	go func() {
		_, err := s.Export(pw, format, all)
		pw.CloseWithError(err)
	}()
	w.Header().Set("Content-Type", map[string]string{"csv": "text/csv; charset=utf-8", "stix": "application/stix+json;version=2.1"}[format])
	io.Copy(w, pr)
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	if inc, ok := s.incident(w, r); ok {
		writeJSON(w, http.StatusOK, inc) // Get has filled its campaign
	}
}

func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request) {
	var p incident.Patch
	if !readJSON(w, r, 128<<10, &p) {
		return
	}
	p.Author = author(r)
	inc, err := s.Store.Update(r.Context(), r.PathValue("id"), p)
	switch {
	case errors.Is(err, incident.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Errorf("incident %q not found", r.PathValue("id")))
	case err != nil && p.Validate() != nil:
		writeError(w, http.StatusBadRequest, err)
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.withCampaigns(r.Context(), inc)
		writeJSON(w, http.StatusOK, inc)
	}
}

func (s *Server) sources(w http.ResponseWriter, r *http.Request) {
	list := []source.Status{}
	if s.Sources != nil {
		list = append(list, s.Sources()...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": list})
}

func (s *Server) feeds(w http.ResponseWriter, r *http.Request) {
	var feeds any = []any{}
	if s.Feeds != nil {
		feeds = s.Feeds()
	}
	writeJSON(w, http.StatusOK, map[string]any{"feeds": feeds})
}

func (s *Server) logList(w http.ResponseWriter, r *http.Request) {
	if s.LogList == nil {
		writeError(w, http.StatusNotFound, errors.New("no CT log list: CT logs are not followed here"))
		return
	}
	writeJSON(w, http.StatusOK, s.LogList())
}

func (s *Server) getWatchlist(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Watchlist.Current().List)
}

// readList reads a homograph list body, reporting JSON errors with their position.
func readList(w http.ResponseWriter, r *http.Request) (homograph.List, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxListBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, err)
		return nil, false
	}
	list, err := homograph.ParseList(data)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return nil, false
	}
	return list, true
}

func (s *Server) putWatchlist(w http.ResponseWriter, r *http.Request) {
	list, ok := readList(w, r)
	if !ok {
		return
	}
	if err := s.Watchlist.Replace(list); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Watchlist.Current().List)
}

func (s *Server) mergeWatchlist(w http.ResponseWriter, r *http.Request) {
	list, ok := readList(w, r)
	if !ok {
		return
	}
	if err := s.Watchlist.Merge(list); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Watchlist.Current().List)
}

func (s *Server) watchlistInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Watchlist.Info())
}

// Request budgets: each route's body and list sizes are bounded so that one authenticated
// request cannot take minutes or gigabytes (100 long domains to /homographs once took 27 s
// and 945 MB).
const (
	maxListBody       = 16 << 20 // a homograph list
	maxCheckDomains   = 10000
	maxDomainLength   = 253 // DNS's own limit
	maxGenerate       = 5   // domains per homograph generation (each can make 500,000 names)
	maxGenerateLength = 64  // characters of one domain to generate for (a label's limit)
	maxGenerateNames  = 1_000_000
	maxFuzzers        = 64
)

// generating admits one homograph generation at a time, server-wide: each takes seconds of
// CPU and hundreds of MB, and several at once would starve ingestion.
var generating = make(chan struct{}, 1)

// startGenerating takes the generation slot, or answers 503 with Retry-After and reports false
// when another generation holds it; the caller defers release.
func startGenerating(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case generating <- struct{}{}:
		return func() { <-generating }, true
	default:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, errors.New("another homograph list is being generated; try again shortly"))
		return nil, false
	}
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Domains []string `json:"domains"`
	}
	if !readJSON(w, r, 16<<20, &req) {
		return
	}
	if len(req.Domains) > maxCheckDomains {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%d domains: at most %d per request", len(req.Domains), maxCheckDomains))
		return
	}
	for i, d := range req.Domains {
		if len(d) > 4*maxDomainLength { // room for a URL around the host
			writeError(w, http.StatusBadRequest, fmt.Errorf("domains[%d] is %d bytes, more than %d", i, len(d), 4*maxDomainLength))
			return
		}
	}
	ix := s.Watchlist.Index()
	results := make([]verdict.Result, 0, len(req.Domains))
	for _, d := range req.Domains {
		results = append(results, verdict.Check(ix, d)) // as `certhunt check -json` prints it
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (s *Server) homographs(w http.ResponseWriter, r *http.Request) {
	if s.Generate == nil {
		writeError(w, http.StatusNotFound, errors.New("the homograph generator is not available"))
		return
	}
	var req struct {
		Domains []string `json:"domains"`
		Fuzzers []string `json:"fuzzers"`
	}
	if !readJSON(w, r, 1<<20, &req) {
		return
	}
	if len(req.Domains) == 0 || len(req.Domains) > maxGenerate {
		writeError(w, http.StatusBadRequest, fmt.Errorf("give 1 to %d domains, not %d", maxGenerate, len(req.Domains)))
		return
	}
	for i, d := range req.Domains {
		if n := utf8.RuneCountInString(d); n > maxGenerateLength {
			writeError(w, http.StatusBadRequest, fmt.Errorf("domains[%d] is %d characters, more than %d", i, n, maxGenerateLength))
			return
		}
	}
	if len(req.Fuzzers) > maxFuzzers {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%d fuzzers: at most %d", len(req.Fuzzers), maxFuzzers))
		return
	}
	release, ok := startGenerating(w)
	if !ok {
		return
	}
	defer release()
	// One domain at a time, so that a request whose list grows past maxGenerateNames stops
	// there instead of building all of it.
	list, total, done := homograph.List{}, 0, map[string]bool{}
	for _, d := range req.Domains {
		if done[strings.ToLower(d)] {
			continue
		}
		done[strings.ToLower(d)] = true
		part, err := s.Generate([]string{d}, req.Fuzzers)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		for asset, names := range part {
			list[asset] = append(list[asset], names...)
			total += len(names)
		}
		if total > maxGenerateNames {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("the list would hold more than %d names: give fewer domains or fuzzers", maxGenerateNames))
			return
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) allow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Domain string `json:"domain"`
		Reason string `json:"reason"`
		// Incident is the incident the name was allowed from; the change goes into its history.
		Incident string `json:"incident"`
	}
	if !readJSON(w, r, 1<<16, &req) {
		return
	}
	if len(req.Reason) > 1024 {
		writeError(w, http.StatusBadRequest, errors.New("reason is longer than 1024 bytes"))
		return
	}
	n, err := names.Parse(req.Domain)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("domain %q: %w", req.Domain, err))
		return
	}
	if n.ASCII == n.PublicSuffix || !strings.Contains(n.ASCII, ".") {
		// Allowing "com" or "co.uk" would silence every lookalike under it.
		writeError(w, http.StatusBadRequest, fmt.Errorf("domain %q is a public suffix, not a domain one can allow", req.Domain))
		return
	}
	if req.Incident != "" {
		if _, err := s.Store.Get(r.Context(), req.Incident); errors.Is(err, incident.ErrNotFound) {
			writeError(w, http.StatusBadRequest, fmt.Errorf("incident %q not found", req.Incident))
			return
		} else if err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	added, err := s.Store.AddAllow(r.Context(), incident.AllowEntry{Domain: n.ASCII, Reason: req.Reason,
		Author: author(r), Incident: req.Incident})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if s.OnAllow != nil {
		if err := s.OnAllow(r.Context()); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	s.audit(r, "allow entry added", "domain", n.ASCII, "incident", req.Incident)
	writeJSON(w, http.StatusOK, map[string]any{"allowed": n.ASCII, "added": added})
}
