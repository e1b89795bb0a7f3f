// Package ui serves the analyst web UI: static HTML, CSS and ES-module JavaScript embedded in the
// binary, so `go build` alone ships it and it works offline (no CDN, no external fonts).
//
// # Routes
//
// Handler answers GET and HEAD for:
//
//   - "/" (and "/index.html"): the single page; it is revalidated on every load (no-cache + ETag)
//     so a new binary's UI is picked up at once.
//   - "/assets/{version}/{file}": the assets, where version is a hash of all embedded assets. Their
//     URLs change whenever their content does, so they are cached for a year as immutable.
//   - "/assets/{file}": the same files unversioned, revalidated on every load, for bookmarks and
//     tools that do not know the version.
//
// The page routes itself by URL fragment (#/incidents, #/incidents/{id}, #/watchlist, #/sources)
// and talks only to the JSON API under /api/v1; the server in front of it sets the
// Content-Security-Policy, which the UI honours (no inline script or style, no eval).
//
// # Security
//
// Everything the API returns is untrusted (certificate subjects contain markup). The JavaScript
// builds the DOM with createElement and textContent only; a test in this package rejects
// innerHTML, insertAdjacentHTML, document.write and eval in the assets.
package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// versionPlaceholder in index.html is replaced by the assets' version.
const versionPlaceholder = "{{ASSET_VERSION}}"

// contentTypes is explicit so answers do not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json",
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

type handler struct {
	version string
	index   asset
	assets  map[string]asset // keyed by the path under static/assets
}

// Handler returns the UI's http.Handler. Mount it at "/" (more specific API routes win).
func Handler() http.Handler {
	h, err := newHandler(static)
	if err != nil {
		// The embedded tree is fixed at build time; the package tests exercise this path.
		panic(fmt.Sprintf("ui: embedded assets: %v", err))
	}
	return h
}

func newHandler(fsys fs.FS) (*handler, error) {
	root, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{assets: map[string]asset{}}
	var names []string
	err = fs.WalkDir(root, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	sum := sha256.New()
	for _, name := range names {
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return nil, err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil, fmt.Errorf("%s: no content type for extension %q", name, path.Ext(name))
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(body))
		sum.Write(body)
		h.assets[strings.TrimPrefix(name, "assets/")] = asset{body: body, contentType: ct, etag: etagOf(body)}
	}
	h.version = hex.EncodeToString(sum.Sum(nil))[:12]

	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(index, []byte(versionPlaceholder)) {
		return nil, fmt.Errorf("index.html: missing %s", versionPlaceholder)
	}
	index = bytes.ReplaceAll(index, []byte(versionPlaceholder), []byte(h.version))
	h.index = asset{body: index, contentType: contentTypes[".html"], etag: etagOf(index)}
	return h, nil
}

func etagOf(body []byte) string {
	s := sha256.Sum256(body)
	return `"` + hex.EncodeToString(s[:8]) + `"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "/index.html":
		h.serve(w, r, h.index, "no-cache")
	case strings.HasPrefix(p, "/assets/"):
		rest := strings.TrimPrefix(p, "/assets/")
		if version, name, ok := strings.Cut(rest, "/"); ok && version == h.version {
			if a, ok := h.assets[name]; ok {
				h.serve(w, r, a, "public, max-age=31536000, immutable")
				return
			}
		}
		if a, ok := h.assets[rest]; ok {
			h.serve(w, r, a, "no-cache")
			return
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, a asset, cacheControl string) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", cacheControl)
	hdr.Set("ETag", a.etag)
	hdr.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
