package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/names"
)

// The workspace routes: one protected domain's homographs at a time (a 20-brand list holds
// 200,000 names, too many to send or render whole), the allow list with its authors, and who
// is signed in.

// workspaceRoutes registers the routes of this file on mux.
func (s *Server) workspaceRoutes(mux *router) {
	mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	mux.HandleFunc("GET /api/v1/me", s.me)
	mux.HandleFunc("GET /api/v1/watchlist/assets", s.watchlistAssets)
	mux.HandleFunc("GET /api/v1/watchlist/{asset}", s.getAsset)
	mux.HandleFunc("PUT /api/v1/watchlist/{asset}", s.putAsset)
	mux.HandleFunc("DELETE /api/v1/watchlist/{asset}", s.deleteAsset)
	mux.HandleFunc("POST /api/v1/watchlist/{asset}/entries", s.editAsset)
	mux.HandleFunc("POST /api/v1/watchlist/{asset}/regenerate", s.regenerateAsset)
	mux.HandleFunc("GET /api/v1/allow", s.allowList)
	mux.HandleFunc("DELETE /api/v1/allow/{domain}", s.disallow)
}

// author is the name recorded for the request's changes: the token's name, or "" without
// tokens.
func author(r *http.Request) string {
	u, _ := auth.UserFrom(r.Context())
	return u.Name
}

// audit logs a change with its author: watchlist and allow-list changes have no incident
// history to join, so the log is their trail.
func (s *Server) audit(r *http.Request, msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Info(msg, append(args, "by", author(r), "remote", r.RemoteAddr)...)
	}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, ok := auth.UserFrom(r.Context())
	if !ok {
		// No tokens: the loopback user may do everything.
		writeJSON(w, http.StatusOK, map[string]any{"name": "", "role": auth.RoleAdmin, "authenticated": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": u.Name, "role": u.Role, "authenticated": true})
}

// AssetSummary is one protected domain and how many homographs it lists.
type AssetSummary struct {
	Asset      string `json:"asset"`
	Homographs int    `json:"homographs"`
}

func (s *Server) watchlistAssets(w http.ResponseWriter, r *http.Request) {
	list := s.Watchlist.Current().List
	out := make([]AssetSummary, 0, len(list))
	for _, k := range slices.Sorted(maps.Keys(list)) {
		out = append(out, AssetSummary{Asset: k, Homographs: len(list[k])})
	}
	writeJSON(w, http.StatusOK, map[string]any{"assets": out})
}

// findAsset returns the list's key for the asset named in the path, compared in ASCII
// (punycode) lower case so that "Example.COM" and the Unicode form find the same key.
func findAsset(list homograph.List, raw string) (key string, err error) {
	n, err := names.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("asset %q: %w", raw, err)
	}
	if _, ok := list[raw]; ok {
		return raw, nil
	}
	for k := range list {
		if kn, err := names.Parse(k); err == nil && kn.ASCII == n.ASCII {
			return k, nil
		}
	}
	return "", nil
}

const (
	defaultAssetPage = 100
	maxAssetPage     = 1000
)

// getAsset answers one page of an asset's homographs, sorted, filtered by q (a substring of
// either the listed form or its Unicode form). The cursor is the last name of the previous
// page, so a page stays right while others edit the list.
func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultAssetPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAssetPage {
			writeError(w, http.StatusBadRequest, fmt.Errorf("limit %q is not a number from 1 to %d", v, maxAssetPage))
			return
		}
		limit = n
	}
	after := ""
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) > 1024 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("cursor %q is not one this server gave", v))
			return
		}
		after = string(b)
	}
	search := strings.ToLower(strings.TrimSpace(q.Get("q")))
	if len(search) > maxDomainLength {
		writeError(w, http.StatusBadRequest, fmt.Errorf("q is longer than %d bytes", maxDomainLength))
		return
	}
	list := s.Watchlist.Current().List
	key, err := findAsset(list, r.PathValue("asset"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if key == "" {
		writeError(w, http.StatusNotFound, fmt.Errorf("asset %q is not in the watchlist", r.PathValue("asset")))
		return
	}
	all := list[key]
	matching := make([]string, 0, len(all))
	for _, v := range all {
		if search == "" || strings.Contains(strings.ToLower(v), search) || strings.Contains(unicodeForm(v), search) {
			matching = append(matching, v)
		}
	}
	slices.Sort(matching)
	start, _ := slices.BinarySearch(matching, after)
	if after != "" && start < len(matching) && matching[start] == after {
		start++
	}
	page := matching[start:min(start+limit, len(matching))]
	next := ""
	if start+limit < len(matching) {
		next = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"asset": key, "total": len(all), "matching": len(matching),
		"homographs": nonNilStrings(page), "next_cursor": next})
}

// unicodeForm is v's Unicode form in lower case, for searching punycode names by what they show.
func unicodeForm(v string) string {
	if !strings.Contains(v, "xn--") {
		return strings.ToLower(v)
	}
	if n, err := names.Parse(v); err == nil {
		return strings.ToLower(n.Unicode)
	}
	return strings.ToLower(v)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// assetAnswer is what the changing routes answer: the asset and its new count.
func (s *Server) assetAnswer(w http.ResponseWriter, key string) {
	list := s.Watchlist.Current().List
	writeJSON(w, http.StatusOK, AssetSummary{Asset: key, Homographs: len(list[key])})
}

// putAsset replaces (or adds) one asset's homographs: the body is a JSON array of names.
func (s *Server) putAsset(w http.ResponseWriter, r *http.Request) {
	var values []string
	if !readJSON(w, r, maxListBody, &values) {
		return
	}
	raw := r.PathValue("asset")
	var key string
	err := s.Watchlist.Edit(func(list homograph.List) (homograph.List, error) {
		k, err := findAsset(list, raw)
		if err != nil {
			return nil, err
		}
		if k == "" {
			k = strings.ToLower(raw)
		}
		key = k
		list[k] = dedupe(values)
		return list, nil
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.audit(r, "watchlist asset replaced", "asset", key, "homographs", len(values))
	s.assetAnswer(w, key)
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("asset")
	missing := errors.New("not in the watchlist")
	err := s.Watchlist.Edit(func(list homograph.List) (homograph.List, error) {
		k, err := findAsset(list, raw)
		if err != nil {
			return nil, err
		}
		if k == "" {
			return nil, missing
		}
		delete(list, k)
		return list, nil
	})
	switch {
	case errors.Is(err, missing):
		writeError(w, http.StatusNotFound, fmt.Errorf("asset %q is not in the watchlist", raw))
	case err != nil:
		writeError(w, http.StatusBadRequest, err)
	default:
		s.audit(r, "watchlist asset removed", "asset", raw)
		writeJSON(w, http.StatusOK, map[string]string{"removed": raw})
	}
}

// editAsset adds and removes single homographs of one asset: {"add": [...], "remove": [...]}.
func (s *Server) editAsset(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Add    []string `json:"add"`
		Remove []string `json:"remove"`
	}
	if !readJSON(w, r, 1<<20, &req) {
		return
	}
	if len(req.Add)+len(req.Remove) == 0 {
		writeError(w, http.StatusBadRequest, errors.New(`give names to "add" or "remove"`))
		return
	}
	if len(req.Add)+len(req.Remove) > maxCheckDomains {
		writeError(w, http.StatusBadRequest, fmt.Errorf("at most %d names per request", maxCheckDomains))
		return
	}
	raw := r.PathValue("asset")
	missing := errors.New("not in the watchlist")
	var key string
	err := s.Watchlist.Edit(func(list homograph.List) (homograph.List, error) {
		k, err := findAsset(list, raw)
		if err != nil {
			return nil, err
		}
		if k == "" {
			return nil, missing
		}
		key = k
		drop := map[string]bool{}
		for _, v := range req.Remove {
			drop[strings.ToLower(strings.TrimSpace(v))] = true
		}
		var out []string
		for _, v := range list[k] {
			if !drop[strings.ToLower(v)] {
				out = append(out, v)
			}
		}
		for _, v := range req.Add {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		list[k] = dedupe(out)
		return list, nil
	})
	switch {
	case errors.Is(err, missing):
		writeError(w, http.StatusNotFound, fmt.Errorf("asset %q is not in the watchlist", raw))
	case err != nil:
		writeError(w, http.StatusBadRequest, err)
	default:
		s.audit(r, "watchlist asset edited", "asset", key, "added", len(req.Add), "removed", len(req.Remove))
		s.assetAnswer(w, key)
	}
}

// regenerateAsset replaces one asset's homographs with a fresh generation (body optional:
// {"fuzzers": [...]}, empty means all); the other assets are untouched.
func (s *Server) regenerateAsset(w http.ResponseWriter, r *http.Request) {
	if s.Generate == nil {
		writeError(w, http.StatusNotFound, errors.New("the homograph generator is not available"))
		return
	}
	var req struct {
		Fuzzers []string `json:"fuzzers"`
	}
	if r.ContentLength != 0 && !readJSON(w, r, 1<<16, &req) {
		return
	}
	if len(req.Fuzzers) > maxFuzzers {
		writeError(w, http.StatusBadRequest, fmt.Errorf("%d fuzzers: at most %d", len(req.Fuzzers), maxFuzzers))
		return
	}
	raw := r.PathValue("asset")
	key, err := findAsset(s.Watchlist.Current().List, raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if key == "" {
		writeError(w, http.StatusNotFound, fmt.Errorf("asset %q is not in the watchlist", raw))
		return
	}
	release, ok := startGenerating(w)
	if !ok {
		return
	}
	defer release()
	gen, err := s.Generate([]string{key}, req.Fuzzers)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var values []string
	for _, v := range gen {
		values = append(values, v...)
	}
	if len(values) > maxGenerateNames {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("the generation made more than %d names: give fewer fuzzers", maxGenerateNames))
		return
	}
	err = s.Watchlist.Edit(func(list homograph.List) (homograph.List, error) {
		list[key] = dedupe(values)
		return list, nil
	})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.audit(r, "watchlist asset regenerated", "asset", key, "homographs", len(values))
	s.assetAnswer(w, key)
}

// dedupe drops repeated names (compared case-insensitively), keeping the first spelling.
func dedupe(values []string) []string {
	seen := make(map[string]bool, len(values))
	out := make([]string, 0, len(values))
	for _, v := range values {
		k := strings.ToLower(v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) allowList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.AllowList(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"allowed": list})
}

func (s *Server) disallow(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("domain")
	n, err := names.Parse(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("domain %q: %w", raw, err))
		return
	}
	e, err := s.Store.RemoveAllow(r.Context(), n.ASCII, author(r))
	if errors.Is(err, incident.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("%q is not on the allow list", raw))
		return
	}
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
	s.audit(r, "allow entry removed", "domain", e.Domain)
	writeJSON(w, http.StatusOK, map[string]any{"removed": e})
}
