// Package auth guards the API and web UI with bearer tokens and browser sessions.
//
// # Who gets in
//
// When tokens are configured, every request needs either an `Authorization: Bearer <token>`
// header (scripts, SOAR, Prometheus) or a session cookie obtained by posting a token to /login
// (the web UI). Tokens are compared in constant time. Only /healthz, /login and the configured
// public prefixes (the UI's static assets) are open. Unauthenticated API calls get a 401 JSON
// answer; a browser navigating to a page is sent to /login instead. Each token has a role:
// viewers only read, analysts may not change the watchlist (Options.AdminPrefixes), admins may
// do everything. Repeated failures from one client address are answered 429 for a while.
//
// # No tokens
//
// With no tokens configured the server listens on loopback and lets local clients in, but a web
// page the analyst opens is a local client too. So the Host header must name this server
// (Options.AllowedHosts, localhost or an IP address; otherwise 421, which defeats DNS
// rebinding), and a state-changing request must say Content-Type: application/json (which a
// cross-site form or no-preflight fetch cannot send) and must not come from another origin.
//
// # Sessions and CSRF
//
// Sessions live in memory (a restart signs everyone out) and expire after Options.SessionTTL.
// The session cookie is HttpOnly and SameSite=Strict. Login also sets the readable
// certhunt_csrf cookie; a state-changing request (POST, PUT, PATCH, DELETE) authenticated by the
// session cookie must echo it in the X-CSRF-Token header and, when the browser says where it
// comes from (Origin, Sec-Fetch-Site), come from the same origin. Bearer requests carry no
// ambient credentials, so they need neither.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookie and header names the web UI relies on.
const (
	SessionCookie = "certhunt_session"
	CSRFCookie    = "certhunt_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

// DefaultSessionTTL is how long a login lasts.
const DefaultSessionTTL = 12 * time.Hour

// Options tune an Auth.
type Options struct {
	Logger *slog.Logger
	// SessionTTL is how long a session lasts after login (default DefaultSessionTTL).
	SessionTTL time.Duration
	// PublicPrefixes are path prefixes served to GET and HEAD without authentication, for the
	// UI's static assets (for example "/assets/"). They must hold nothing secret.
	PublicPrefixes []string
	// SecureCookies marks cookies Secure even on plain-HTTP requests (TLS terminated by a
	// proxy). Requests that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// AdminPrefixes are path prefixes where a state-changing request needs the admin role
	// (the app gives /api/v1/watchlist).
	AdminPrefixes []string
	// AllowedHosts are the host names (no port) this server answers to besides localhost and
	// IP addresses, in no-token mode: the listen host and public_url's host.
	AllowedHosts []string
	// Now is the clock (default time.Now); tests move it to expire sessions.
	Now func() time.Time
}

// Auth checks tokens and keeps browser sessions. It is safe for concurrent use.
type Auth struct {
	tokens []tokenHash
	opts   Options
	log    *slog.Logger

	mu       sync.Mutex
	sessions map[string]session
	failures map[string]failures
}

type tokenHash struct {
	hash       [sha256.Size]byte
	name, role string
}

type session struct {
	csrf       string
	expires    time.Time
	name, role string
}

//go:embed login.html
var loginHTML string

var loginPage = template.Must(template.New("login").Parse(loginHTML))

// New returns an Auth accepting tokens, checked as ResolveTokens checks them: a blank or short
// token is an error, never ignored. With no tokens, Enabled is false and Middleware applies the
// no-token checks (Host, Content-Type, Origin) only.
func New(tokens []Token, opts Options) (*Auth, error) {
	resolved, err := ResolveTokens(tokens)
	if err != nil {
		return nil, err
	}
	a := &Auth{opts: opts, log: opts.Logger, sessions: map[string]session{}, failures: map[string]failures{}}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.opts.SessionTTL <= 0 {
		a.opts.SessionTTL = DefaultSessionTTL
	}
	if a.opts.Now == nil {
		a.opts.Now = time.Now
	}
	for _, t := range resolved {
		a.tokens = append(a.tokens, tokenHash{hash: sha256.Sum256([]byte(t.Token)), name: t.Name, role: t.Role})
	}
	return a, nil
}

// Enabled says whether any token is configured.
func (a *Auth) Enabled() bool { return len(a.tokens) > 0 }

// validToken compares candidate with every token in constant time and returns the matching
// one. Hashing first makes the comparison independent of the tokens' lengths too.
func (a *Auth) validToken(candidate string) (tokenHash, bool) {
	h := sha256.Sum256([]byte(candidate))
	found := -1
	for i, t := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], t.hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 || candidate == "" {
		return tokenHash{}, false
	}
	return a.tokens[found], true
}

// Middleware admits authenticated requests to next and answers the rest itself; it also serves
// GET and POST /login and POST /logout.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	if !a.Enabled() {
		return a.localGuard(next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			next.ServeHTTP(w, r)
			return
		case "/login":
			a.serveLogin(w, r)
			return
		case "/logout":
			a.serveLogout(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			for _, p := range a.opts.PublicPrefixes {
				if strings.HasPrefix(r.URL.Path, p) {
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		if h := r.Header.Get("Authorization"); h != "" {
			if a.throttled(w, r) {
				return
			}
			scheme, token, _ := strings.Cut(h, " ")
			t, ok := a.validToken(strings.TrimSpace(token))
			if !strings.EqualFold(scheme, "Bearer") || !ok {
				a.log.Warn("refused a bad bearer token", "path", r.URL.Path, "remote", r.RemoteAddr)
				a.failed(r)
				a.unauthorized(w, r)
				return
			}
			if a.roleRefuses(w, r, t.role, t.name) {
				return
			}
			next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), User{Name: t.name, Role: t.role})))
			return
		}
		s, ok := a.session(r)
		if !ok {
			a.unauthorized(w, r)
			return
		}
		if stateChanging(r.Method) {
			if msg := a.csrfProblem(r, s); msg != "" {
				a.log.Warn("refused a cross-site or token-less state change", "path", r.URL.Path,
					"method", r.Method, "remote", r.RemoteAddr, "reason", msg)
				writeJSONError(w, http.StatusForbidden, msg)
				return
			}
		}
		if a.roleRefuses(w, r, s.role, s.name) {
			return
		}
		next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), User{Name: s.name, Role: s.role})))
	})
}

// roleRefuses answers 403 when the token's role may not make this request.
func (a *Auth) roleRefuses(w http.ResponseWriter, r *http.Request, role, name string) bool {
	if !stateChanging(r.Method) || role == RoleAdmin {
		return false
	}
	need := RoleAnalyst
	for _, p := range a.opts.AdminPrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			need = RoleAdmin
		}
	}
	if role == RoleAnalyst && need == RoleAnalyst {
		return false
	}
	a.log.Warn("refused a state change the token's role does not allow", "token", name, "role", role,
		"method", r.Method, "path", r.URL.Path)
	writeJSONError(w, http.StatusForbidden, "the "+role+" role may not "+r.Method+" "+r.URL.Path+" (needs "+need+")")
	return true
}

func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// csrfProblem says why a cookie-authenticated state change is refused, or "" when it is fine.
func (a *Auth) csrfProblem(r *http.Request, s session) string {
	if !sameOrigin(r) {
		return "cross-origin request refused"
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		return "missing " + CSRFHeader + " header"
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
		return "invalid " + CSRFHeader + " header"
	}
	return ""
}

// sameOrigin trusts the browser's own statements: Sec-Fetch-Site when sent, else Origin against
// Host. A request with neither (an old browser, or a non-browser client) passes this check and
// still needs the CSRF token.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "":
	case "same-origin", "none":
		return true
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// session returns the live session named by r's cookie.
func (a *Auth) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[c.Value]
	if !ok {
		return session{}, false
	}
	if !a.opts.Now().Before(s.expires) {
		delete(a.sessions, c.Value)
		return session{}, false
	}
	return s, true
}

func (a *Auth) unauthorized(w http.ResponseWriter, r *http.Request) {
	if isNavigation(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="certhunt"`)
	writeJSONError(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer <token> or sign in at /login")
}

// isNavigation tells a browser loading a page from a script calling the API.
func isNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// maxLoginBody bounds the login form.
const maxLoginBody = 8 << 10

func (a *Auth) serveLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		a.renderLogin(w, http.StatusOK, "")
	case http.MethodPost:
		if !sameOrigin(r) {
			writeJSONError(w, http.StatusForbidden, "cross-origin login refused")
			return
		}
		if a.throttled(w, r) {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
		if err := r.ParseForm(); err != nil {
			a.renderLogin(w, http.StatusBadRequest, "The login form could not be read.")
			return
		}
		t, ok := a.validToken(strings.TrimSpace(r.PostForm.Get("token")))
		if !ok {
			a.log.Warn("failed login", "remote", r.RemoteAddr)
			a.failed(r)
			a.renderLogin(w, http.StatusUnauthorized, "That token is not valid.")
			return
		}
		id, csrf := randomToken(), randomToken()
		now := a.opts.Now()
		a.mu.Lock()
		for k, s := range a.sessions { // few sessions: sweeping at each login keeps the map small
			if !now.Before(s.expires) {
				delete(a.sessions, k)
			}
		}
		a.sessions[id] = session{csrf: csrf, expires: now.Add(a.opts.SessionTTL), name: t.name, role: t.role}
		a.mu.Unlock()
		a.setCookies(w, r, id, csrf, int(a.opts.SessionTTL/time.Second))
		a.log.Info("login", "remote", r.RemoteAddr, "token", t.name)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeJSONError(w, http.StatusMethodNotAllowed, "use GET or POST on /login")
	}
}

func (a *Auth) renderLogin(w http.ResponseWriter, code int, errMsg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = loginPage.Execute(w, struct{ Error string }{errMsg})
}

// serveLogout ends the caller's session; like any cookie-authenticated state change it needs the
// CSRF header, so another site cannot sign the analyst out.
func (a *Auth) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSONError(w, http.StatusMethodNotAllowed, "use POST on /logout")
		return
	}
	s, ok := a.session(r)
	if !ok {
		a.unauthorized(w, r)
		return
	}
	if msg := a.csrfProblem(r, s); msg != "" {
		writeJSONError(w, http.StatusForbidden, msg)
		return
	}
	c, _ := r.Cookie(SessionCookie)
	a.mu.Lock()
	delete(a.sessions, c.Value)
	a.mu.Unlock()
	a.setCookies(w, r, "", "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (a *Auth) setCookies(w http.ResponseWriter, r *http.Request, id, csrf string, maxAge int) {
	secure := a.opts.SecureCookies || r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: id, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	// The UI's script reads this one and echoes it in the X-CSRF-Token header.
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: csrf, Path: "/", MaxAge: maxAge,
		Secure: secure, SameSite: http.SameSiteStrictMode})
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}
