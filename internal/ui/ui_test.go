package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, path string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// versionedAssets returns the /assets/{version}/... URLs index.html refers to.
func versionedAssets(t *testing.T, index string) []string {
	t.Helper()
	urls := regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(index, -1)
	if len(urls) < 3 {
		t.Fatalf("index.html refers to %d assets, want the icon, style and script:\n%s", len(urls), index)
	}
	var out []string
	for _, m := range urls {
		out = append(out, m[1])
	}
	return out
}

func TestIndex(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/", "/index.html"} {
		res := get(t, h, path, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, got)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache so a new binary's UI loads at once", path, got)
		}
		b := body(t, res)
		if strings.Contains(b, versionPlaceholder) {
			t.Errorf("GET %s: version placeholder left in the page", path)
		}
		if strings.Contains(b, "http://") || strings.Contains(b, "https://") {
			t.Errorf("GET %s: page refers to an outside URL; the UI must work offline", path)
		}
	}
}

func TestIndexRevalidates(t *testing.T) {
	h := Handler()
	etag := get(t, h, "/", nil).Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index")
	}
	res := get(t, h, "/", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET with the current ETag: status %d, want 304", res.StatusCode)
	}
}

func TestVersionedAssetsAreImmutable(t *testing.T) {
	h := Handler()
	index := body(t, get(t, h, "/", nil))
	wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, url := range versionedAssets(t, index) {
		res := get(t, h, url, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", url, res.StatusCode)
			continue
		}
		ext := url[strings.LastIndex(url, "."):]
		if got := res.Header.Get("Content-Type"); got != wantType[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", url, got, wantType[ext])
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q, want a year, immutable", url, got)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", url, got)
		}
	}
}

func TestUnversionedAndStaleAssetsRevalidate(t *testing.T) {
	h := Handler()
	for _, url := range []string{"/assets/app.js", "/assets/000000000000/app.js"} {
		res := get(t, h, url, nil)
		if url == "/assets/app.js" {
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", url, res.StatusCode)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("GET %s: Cache-Control %q, want no-cache", url, got)
			}
			continue
		}
		// A version that is not this binary's must not be cached as immutable.
		if res.StatusCode == http.StatusOK && strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: stale version served as immutable", url)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/nope", "/assets/", "/assets/nope.js", "/assets/../ui.go", "/static/index.html"} {
		if res := get(t, h, path, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: status %d, Allow %q; want 405 with Allow: GET, HEAD", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestVersionFollowsContent(t *testing.T) {
	tree := func(js string) fstest.MapFS {
		return fstest.MapFS{
			"static/index.html":    {Data: []byte(`<script src="/assets/` + versionPlaceholder + `/app.js"></script>`)},
			"static/assets/app.js": {Data: []byte(js)},
		}
	}
	a, err := newHandler(tree("one"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newHandler(tree("two"))
	if err != nil {
		t.Fatal(err)
	}
	if a.version == b.version {
		t.Errorf("different assets share version %q", a.version)
	}
}

func TestBadTreesAreRefused(t *testing.T) {
	for name, tree := range map[string]fstest.MapFS{
		"no placeholder": {
			"static/index.html":    {Data: []byte(`<script src="/assets/app.js"></script>`)},
			"static/assets/app.js": {Data: []byte("x")},
		},
		"unknown extension": {
			"static/index.html":     {Data: []byte(versionPlaceholder)},
			"static/assets/app.exe": {Data: []byte("x")},
		},
		"no index": {
			"static/assets/app.js": {Data: []byte("x")},
		},
	} {
		if _, err := newHandler(tree); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestAssetsNeverParseData guards the rule that API data only ever reaches the DOM as text: no
// HTML parsing sinks, no eval, no inline handlers or styles that the CSP would block anyway.
func TestAssetsNeverParseData(t *testing.T) {
	forbidden := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|setAttribute\(\s*['"](?:on|style)|\.srcdoc|createContextualFragment|DOMParser`)
	inlineHTML := regexp.MustCompile(`(?i)<script>|\son\w+=|\sstyle=`)
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".js"):
			for i, line := range strings.Split(string(b), "\n") {
				if m := forbidden.FindString(line); m != "" {
					t.Errorf("%s:%d: %q is not allowed: build the DOM with createElement/textContent", path, i+1, m)
				}
			}
		case strings.HasSuffix(path, ".html"):
			if m := inlineHTML.FindString(string(b)); m != "" {
				t.Errorf("%s: inline %q breaks the Content-Security-Policy", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkServeVersionedAsset(b *testing.B) {
	h := Handler().(*handler)
	url := "/assets/" + h.version + "/app.js"
	req := httptest.NewRequest(http.MethodGet, url, nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func BenchmarkServeIndexNotModified(b *testing.B) {
	h := Handler().(*handler)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("If-None-Match", h.index.etag)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
