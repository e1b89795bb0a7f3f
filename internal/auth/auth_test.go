package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// app is the protected handler: it answers 200 "ok <method> <path>".
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "ok "+r.Method+" "+r.URL.Path)
})

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newServer(t *testing.T, opts Options) (*httptest.Server, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)}
	opts.Now = clk.now
	a := New([]string{"alpha-token", " beta-token "}, opts)
	srv := httptest.NewServer(a.Middleware(app))
	t.Cleanup(srv.Close)
	return srv, clk
}

// noRedirect is a client that shows redirects instead of following them.
func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

func do(t *testing.T, c *http.Client, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestNoTokensPassesEverything(t *testing.T) {
	a := New([]string{"", "  "}, Options{})
	if a.Enabled() {
		t.Fatal("enabled without tokens")
	}
	srv := httptest.NewServer(a.Middleware(app))
	defer srv.Close()
	resp, body := do(t, srv.Client(), "PATCH", srv.URL+"/api/v1/incidents/1", nil)
	if resp.StatusCode != 200 || body != "ok PATCH /api/v1/incidents/1" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestBearerTokens(t *testing.T) {
	srv, _ := newServer(t, Options{PublicPrefixes: []string{"/assets/"}})
	c := noRedirect(nil)
	for _, tc := range []struct {
		name, method, path, auth string
		want                     int
	}{
		{"no token", "GET", "/api/v1/incidents", "", 401},
		{"wrong token", "GET", "/api/v1/incidents", "Bearer alpha-tokeN", 401},
		{"token prefix", "GET", "/api/v1/incidents", "Bearer alpha", 401},
		{"empty bearer", "GET", "/api/v1/incidents", "Bearer ", 401},
		{"basic scheme", "GET", "/api/v1/incidents", "Basic alpha-token", 401},
		{"first token", "GET", "/api/v1/incidents", "Bearer alpha-token", 200},
		{"second token, trimmed", "GET", "/api/v1/incidents", "bearer beta-token", 200},
		{"bearer needs no CSRF", "PATCH", "/api/v1/incidents/1", "Bearer alpha-token", 200},
		{"metrics needs a token", "GET", "/metrics", "", 401},
		{"metrics with token", "GET", "/metrics", "Bearer beta-token", 200},
		{"websocket feed needs a token", "GET", "/certstream/full-stream", "", 401},
		{"healthz is open", "GET", "/healthz", "", 200},
		{"assets are open", "GET", "/assets/app.js", "", 200},
		{"assets are read-only", "POST", "/assets/app.js", "", 401},
	} {
		h := map[string]string{}
		if tc.auth != "" {
			h["Authorization"] = tc.auth
		}
		resp, body := do(t, c, tc.method, srv.URL+tc.path, h)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s %s = %d %q, want %d", tc.name, tc.method, tc.path, resp.StatusCode, body, tc.want)
			continue
		}
		if tc.want == 401 {
			var e struct{ Error string }
			if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" ||
				resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 answer %q %v is not a JSON error", tc.name, body, resp.Header)
			}
		}
	}
}

func TestBrowserIsSentToLogin(t *testing.T) {
	srv, _ := newServer(t, Options{})
	c := noRedirect(nil)
	resp, _ := do(t, c, "GET", srv.URL+"/", map[string]string{"Accept": "text/html,application/xhtml+xml"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("GET / from a browser = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The API never redirects, even for a browser.
	resp, _ = do(t, c, "GET", srv.URL+"/api/v1/incidents", map[string]string{"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
	if resp.StatusCode != 401 {
		t.Fatalf("API from a browser = %d", resp.StatusCode)
	}
	resp, body := do(t, c, "GET", srv.URL+"/login", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `name="token"`) || !strings.Contains(body, `method="post"`) {
		t.Fatalf("login page = %d %q", resp.StatusCode, body)
	}
}

func login(t *testing.T, srv *httptest.Server, token string) (*http.Client, *http.Response, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := noRedirect(jar)
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return c, resp, string(body)
}

func csrfToken(t *testing.T, c *http.Client, srv *httptest.Server) string {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == CSRFCookie {
			return ck.Value
		}
	}
	t.Fatal("no CSRF cookie")
	return ""
}

func TestLoginFlowAndCSRF(t *testing.T) {
	srv, _ := newServer(t, Options{})

	_, resp, body := login(t, srv, "not-a-token")
	if resp.StatusCode != 401 || len(resp.Cookies()) != 0 || !strings.Contains(body, "not valid") {
		t.Fatalf("bad login = %d cookies %v", resp.StatusCode, resp.Cookies())
	}

	c, resp, _ := login(t, srv, "beta-token")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := map[string]*http.Cookie{}
	for _, ck := range resp.Cookies() {
		cookies[ck.Name] = ck
	}
	sess, csrf := cookies[SessionCookie], cookies[CSRFCookie]
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" || len(sess.Value) < 40 {
		t.Fatalf("session cookie = %+v", sess)
	}
	if csrf == nil || csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode || csrf.Value == sess.Value {
		t.Fatalf("csrf cookie = %+v", csrf)
	}

	if resp, body := do(t, c, "GET", srv.URL+"/api/v1/incidents", nil); resp.StatusCode != 200 {
		t.Fatalf("GET with session = %d %q", resp.StatusCode, body)
	}
	if resp, _ := do(t, c, "GET", srv.URL+"/", map[string]string{"Accept": "text/html"}); resp.StatusCode != 200 {
		t.Fatalf("UI with session = %d", resp.StatusCode)
	}
	patch := srv.URL + "/api/v1/incidents/1"
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no CSRF header", nil, 403},
		{"wrong CSRF header", map[string]string{CSRFHeader: "x" + csrf.Value}, 403},
		{"cross-site fetch", map[string]string{CSRFHeader: csrf.Value, "Sec-Fetch-Site": "cross-site"}, 403},
		{"foreign origin", map[string]string{CSRFHeader: csrf.Value, "Origin": "https://evil.example"}, 403},
		{"CSRF header", map[string]string{CSRFHeader: csrf.Value}, 200},
		{"same origin", map[string]string{CSRFHeader: csrf.Value, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}, 200},
	} {
		resp, body := do(t, c, "PATCH", patch, tc.header)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: PATCH = %d %q, want %d", tc.name, resp.StatusCode, body, tc.want)
		}
	}
	if resp, _ := do(t, c, "DELETE", patch, nil); resp.StatusCode != 403 {
		t.Errorf("DELETE without CSRF = %d", resp.StatusCode)
	}

	// Logout needs the CSRF header too, and ends the session.
	if resp, _ := do(t, c, "POST", srv.URL+"/logout", nil); resp.StatusCode != 403 {
		t.Fatalf("logout without CSRF = %d", resp.StatusCode)
	}
	if resp, _ := do(t, c, "POST", srv.URL+"/logout", map[string]string{CSRFHeader: csrfToken(t, c, srv)}); resp.StatusCode != 204 {
		t.Fatalf("logout = %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/incidents", nil)
	req.AddCookie(sess) // replay the old cookie: the server forgot it
	resp, err := noRedirect(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("after logout = %d", resp.StatusCode)
	}
}

func TestForgedSessionRefused(t *testing.T) {
	srv, _ := newServer(t, Options{})
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/incidents", nil)
	req.AddCookie(&http.Cookie{Name: SessionCookie, Value: "made-up"})
	resp, err := noRedirect(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("forged session = %d", resp.StatusCode)
	}
}

func TestSessionExpires(t *testing.T) {
	srv, clk := newServer(t, Options{SessionTTL: time.Hour})
	c, resp, _ := login(t, srv, "alpha-token")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	clk.advance(59 * time.Minute)
	if resp, _ := do(t, c, "GET", srv.URL+"/api/v1/incidents", nil); resp.StatusCode != 200 {
		t.Fatalf("before expiry = %d", resp.StatusCode)
	}
	clk.advance(time.Minute)
	if resp, _ := do(t, c, "GET", srv.URL+"/api/v1/incidents", nil); resp.StatusCode != 401 {
		t.Fatalf("after expiry = %d", resp.StatusCode)
	}
}

func TestCrossSiteLoginRefused(t *testing.T) {
	srv, _ := newServer(t, Options{})
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("token=alpha-token"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := noRedirect(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Fatalf("cross-site login = %d cookies %v", resp.StatusCode, resp.Cookies())
	}
}

func TestSecureCookiesOption(t *testing.T) {
	srv, _ := newServer(t, Options{SecureCookies: true})
	_, resp, _ := login(t, srv, "alpha-token")
	for _, ck := range resp.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure", ck.Name)
		}
	}
}

func BenchmarkBearer(b *testing.B) {
	a := New([]string{"alpha-token", "beta-token"}, Options{})
	h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/api/v1/incidents", nil)
	req.Header.Set("Authorization", "Bearer beta-token")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
