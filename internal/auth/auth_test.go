package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
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
	a := mustNew(t, StringTokens([]string{"alpha-token-0000000000", " beta-token-0000000000 "}), opts)
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

func mustNew(t testing.TB, tokens []Token, opts Options) *Auth {
	t.Helper()
	a, err := New(tokens, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A blank or short token fails closed: New refuses it instead of dropping it (which left every
// route open).
func TestBlankAndShortTokensAreErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tokens []Token
		want   string
	}{
		{"blank", StringTokens([]string{""}), "auth.tokens[0]: empty token"},
		{"spaces", StringTokens([]string{"  "}), "auth.tokens[0]: empty token"},
		{"short", StringTokens([]string{"long-enough-token-1", "short"}), "auth.tokens[1]: token is 5 characters, shorter than 16"},
		{"bad role", []Token{{Token: "long-enough-token-1", Role: "root"}}, `role "root" is not admin, analyst or viewer`},
		{"two sources", []Token{{Token: "long-enough-token-1", TokenEnv: "X"}}, "only one of token, token_file and token_env"},
		{"unset env", []Token{{TokenEnv: "CERTHUNT_TEST_UNSET_TOKEN"}}, "CERTHUNT_TEST_UNSET_TOKEN is not set"},
		{"missing file", []Token{{TokenFile: "/nonexistent/token"}}, "token_file"},
		{"duplicate", StringTokens([]string{"long-enough-token-1", "long-enough-token-1"}), "listed twice"},
	} {
		a, err := New(tc.tokens, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, %v; want an error with %q", tc.name, a, err, tc.want)
		}
		if err := ValidateTokens(tc.tokens); err == nil {
			t.Errorf("%s: ValidateTokens accepts it", tc.name)
		}
	}
}

func TestTokensFromFileAndEnvWithRoles(t *testing.T) {
	file := t.TempDir() + "/token"
	if err := os.WriteFile(file, []byte("file-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CERTHUNT_TEST_TOKEN", "env-token-0123456789")
	a := mustNew(t, []Token{
		{Name: "soar", TokenFile: file, Role: RoleAnalyst},
		{Name: "grafana", TokenEnv: "CERTHUNT_TEST_TOKEN", Role: RoleViewer},
		{Token: "admin-token-0123456789"},
	}, Options{AdminPrefixes: []string{"/api/v1/watchlist"}})
	srv := httptest.NewServer(a.Middleware(app))
	defer srv.Close()
	for _, tc := range []struct {
		token, method, path string
		want                int
	}{
		{"file-token-0123456789", "GET", "/api/v1/incidents", 200},
		{"file-token-0123456789", "PATCH", "/api/v1/incidents/1", 200},
		{"file-token-0123456789", "PUT", "/api/v1/watchlist", 403},
		{"env-token-0123456789", "GET", "/api/v1/incidents", 200},
		{"env-token-0123456789", "PATCH", "/api/v1/incidents/1", 403},
		{"admin-token-0123456789", "PUT", "/api/v1/watchlist", 200},
	} {
		resp, body := do(t, srv.Client(), tc.method, srv.URL+tc.path, map[string]string{"Authorization": "Bearer " + tc.token})
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s with %s = %d %q, want %d", tc.method, tc.path, tc.token, resp.StatusCode, body, tc.want)
		}
	}
}

func TestTokenYAMLForms(t *testing.T) {
	var got struct{ Tokens []Token }
	src := "tokens:\n  - plain-token-0123456789\n  - {name: soc, token: soc-token-0123456789, role: analyst}\n"
	if err := yaml.Unmarshal([]byte(src), &got); err != nil {
		t.Fatal(err)
	}
	want := []Token{{Token: "plain-token-0123456789"}, {Name: "soc", Token: "soc-token-0123456789", Role: RoleAnalyst}}
	if !slices.Equal(got.Tokens, want) {
		t.Fatalf("got %+v", got.Tokens)
	}
	if err := yaml.Unmarshal([]byte("tokens: [{tokn: x}]"), &got); err == nil || !strings.Contains(err.Error(), `unknown key "tokn"`) {
		t.Fatalf("unknown key: %v", err)
	}
}

// Repeated failures from one address are answered 429 until the window passes.
func TestFailuresAreThrottled(t *testing.T) {
	srv, clk := newServer(t, Options{})
	c := noRedirect(nil)
	bad := map[string]string{"Authorization": "Bearer wrong-token-0123456789"}
	good := map[string]string{"Authorization": "Bearer alpha-token-0000000000"}
	for range maxFailures {
		if resp, _ := do(t, c, "GET", srv.URL+"/api/v1/incidents", bad); resp.StatusCode != 401 {
			t.Fatalf("bad token = %d", resp.StatusCode)
		}
	}
	resp, _ := do(t, c, "GET", srv.URL+"/api/v1/incidents", good)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures = %d (Retry-After %q)", maxFailures, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if _, resp, _ := login(t, srv, "alpha-token-0000000000"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("login while throttled = %d", resp.StatusCode)
	}
	clk.advance(failureWindow)
	if resp, _ := do(t, c, "GET", srv.URL+"/api/v1/incidents", good); resp.StatusCode != 200 {
		t.Fatalf("after the window = %d", resp.StatusCode)
	}
}

// With no tokens, requests pass once they name this server and, for state changes, are JSON
// from the same origin.
func TestNoTokensLocalGuard(t *testing.T) {
	a := mustNew(t, nil, Options{AllowedHosts: []string{"certhunt.example"}})
	if a.Enabled() {
		t.Fatal("enabled without tokens")
	}
	srv := httptest.NewServer(a.Middleware(app))
	defer srv.Close()
	jsonCT := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name, method, host string
		header             map[string]string
		want               int
	}{
		{"JSON PATCH from a script", "PATCH", "", jsonCT, 200},
		{"GET", "GET", "", nil, 200},
		{"cross-origin text/plain POST", "POST", "", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"text/plain POST without Origin", "POST", "", map[string]string{"Content-Type": "text/plain"}, 415},
		{"form POST", "POST", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
		{"cross-site JSON", "PUT", "", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403},
		{"same-origin JSON", "PUT", "", map[string]string{"Content-Type": "application/json; charset=utf-8", "Sec-Fetch-Site": "same-origin"}, 200},
		{"rebinding Host", "GET", "attacker.example", nil, 421},
		{"rebinding Host with port", "GET", "attacker.example:8080", nil, 421},
		{"localhost", "GET", "localhost:8080", nil, 200},
		{"IPv6 loopback", "GET", "[::1]:8080", nil, 200},
		{"public_url host", "GET", "CERTHUNT.example", nil, 200},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+"/api/v1/allow", strings.NewReader("{}"))
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
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
		{"wrong token", "GET", "/api/v1/incidents", "Bearer alpha-token-0000000000-000000000N", 401},
		{"token prefix", "GET", "/api/v1/incidents", "Bearer alpha", 401},
		{"empty bearer", "GET", "/api/v1/incidents", "Bearer ", 401},
		{"basic scheme", "GET", "/api/v1/incidents", "Basic alpha-token-0000000000", 401},
		{"first token", "GET", "/api/v1/incidents", "Bearer alpha-token-0000000000", 200},
		{"second token, trimmed", "GET", "/api/v1/incidents", "bearer beta-token-0000000000", 200},
		{"bearer needs no CSRF", "PATCH", "/api/v1/incidents/1", "Bearer alpha-token-0000000000", 200},
		{"metrics needs a token", "GET", "/metrics", "", 401},
		{"metrics with token", "GET", "/metrics", "Bearer beta-token-0000000000", 200},
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

	c, resp, _ := login(t, srv, "beta-token-0000000000")
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
	c, resp, _ := login(t, srv, "alpha-token-0000000000")
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
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("token=alpha-token-0000000000"))
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
	_, resp, _ := login(t, srv, "alpha-token-0000000000")
	for _, ck := range resp.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure", ck.Name)
		}
	}
}

func BenchmarkBearer(b *testing.B) {
	a := mustNew(b, StringTokens([]string{"alpha-token-0000000000", "beta-token-0000000000"}), Options{})
	h := a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/api/v1/incidents", nil)
	req.Header.Set("Authorization", "Bearer beta-token-0000000000")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
