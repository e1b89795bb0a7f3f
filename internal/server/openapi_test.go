package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// TestOpenAPICoversRoutes holds openapi.json to the routes Handler really serves: a route added
// without documenting it, or a documented route that is gone, fails here.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	wl, err := watchlist.New(watchlist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Watchlist: wl, Metrics: http.NotFoundHandler()}
	served := map[string]bool{}
	for _, p := range s.Routes() {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			continue // method-less fallbacks: the UI, the API's 404
		}
		key := strings.ToLower(method) + " " + path
		served[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %q is served but missing from openapi.json", p)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !served[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not served", strings.ToUpper(method), path)
			}
		}
	}
	if len(served) < 20 || !slices.Contains(s.Routes(), "GET /api/v1/openapi.json") {
		t.Fatalf("only %d routes seen: %v", len(served), s.Routes())
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	ws := newWorkspace(t, homograph.List{})
	var doc map[string]any
	if code, body := ws.call(t, viewerToken, "GET", "/api/v1/openapi.json", "", &doc); code != 200 || doc["openapi"] == nil {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", code, body)
	}
}
