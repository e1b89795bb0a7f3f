package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/browsertest"
	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/testcert"
)

// The browser tests drive Debian's chromium through chromedp against the whole certhunt (store,
// watchlist, detection, API, auth, embedded UI) running in-process on loopback, with incidents
// recorded through the real store from real certificates. They skip when chromium is absent.
// Set CERTHUNT_UI_SCREENSHOTS=DIR to keep a screenshot of the incident page there
// (real-incident.png).

// evilSubject is a certificate subject CN that runs script if the UI ever parses data as HTML.
const evilSubject = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`

// browserTimeout bounds one browser test (each wait inside it has 60 s); generous, for a loaded
// 2-core machine.
const browserTimeout = 3 * time.Minute

// browserConfig is a certhunt with no CT logs and a watchlist protecting paypal.com and example.org.
func browserConfig(t *testing.T) *config.Config {
	return testConfig(t, `{"paypal.com": [], "example.org": []}`)
}

// planted is an incident a test recorded, with the certificate it holds.
type planted struct {
	id   string
	cert *certs.Cert
	inc  *incident.Incident
}

// plant issues a real certificate for names (CN cn), scores names[0] with the running watchlist's
// detection index and records the alert and certificate in the store, as the pipeline would.
func plant(t *testing.T, a *App, names []string, cn string, logName, logURL string, index int64) planted {
	t.Helper()
	ca, err := testcert.Default()
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.Issue(names, testcert.Options{CommonName: cn, Organization: "Totally Legit Ltd",
		NotBefore: time.Now().Add(-time.Hour).UTC().Truncate(time.Second), NotAfter: time.Now().Add(89 * 24 * time.Hour).UTC().Truncate(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := certs.Parse(&certs.Entry{Log: certs.LogRef{Name: logName, URL: logURL, Type: "rfc6962"}, Index: index,
		Timestamp: time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Millisecond), Type: certs.X509, DER: der, Chain: ca.Chain()})
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA256 == "" || c.SHA1 == "" || c.Serial == "" || c.Subject.CN != cn {
		t.Fatalf("parsed certificate lacks fields: %+v", c)
	}
	alert := a.Watchlist.Index().Evaluate(names[0])
	if !alert.Incident {
		t.Fatalf("%s does not score as an incident against the watchlist: %+v", names[0], alert)
	}
	ch, err := a.Store.Record(context.Background(), alert, c)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Created {
		t.Fatalf("recording %s joined incident %s instead of opening one", names[0], ch.Incident.ID)
	}
	return planted{id: ch.Incident.ID, cert: c, inc: &ch.Incident}
}

// browserTest is a headless chromium of the test's own, ended with the test, and one tab on the
// certhunt at base.
type browserTest struct{ *browsertest.Page }

func newBrowserTest(t *testing.T, base string) *browserTest {
	t.Helper()
	return &browserTest{browsertest.NewPage(t, browsertest.NewBrowser(t), base, browserTimeout)}
}

// rows is the incident IDs the list shows, in order, space-separated.
func (b *browserTest) rows() string {
	b.T.Helper()
	return b.Eval(`[...document.querySelectorAll('#incidents tbody tr')].map(tr => tr.dataset.id).join(' ')`)
}

// apiGet reads the real API (with an optional bearer token) into v.
func apiGet(t *testing.T, base, path, token string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func header(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

const realCSP = "default-src 'self'; script-src 'self'"

// TestBrowserRealServer drives the embedded UI against the real server and store: the list, its
// filters, the incident page with the whole certificate, escaping of a hostile subject, the CSP,
// and a status change that persists in the store.
func TestBrowserRealServer(t *testing.T) {
	browsertest.Skip(t)
	cfg := browserConfig(t)
	h := start(t, cfg)
	a := h.app
	evil := plant(t, a, []string{"xn--pypal-4ve.com", "www.xn--pypal-4ve.com", "login.xn--pypal-4ve.com"}, evilSubject,
		"Example 'Argon2026h1'", "https://ct.example.net/2026h1/", 812301)
	other := plant(t, a, []string{"examp1e.org", "www.examp1e.org"}, "examp1e.org",
		"Example 'Xenon2026h1'", "https://ct.example.net/xenon2026h1/", 4711)
	if evil.inc.Asset != "paypal.com" || evil.inc.DomainUnicode != "pаypal.com" || other.inc.Asset != "example.org" {
		t.Fatalf("planted incidents: %+v / %+v", evil.inc, other.inc)
	}

	b := newBrowserTest(t, h.base)

	// The page comes with the server's Content-Security-Policy, and the browser enforces it.
	resp, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(h.base+"/#/incidents"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("GET / answered %d", resp.Status)
	}
	if csp := header(resp.Headers, "Content-Security-Policy"); !strings.Contains(csp, realCSP) {
		t.Errorf("the page's Content-Security-Policy is %q, want one containing %q", csp, realCSP)
	}
	b.Allow("Executing inline script violates the following Content Security Policy")
	violated := b.Eval(`new Promise((resolve) => {
		document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
		const s = document.createElement('script');
		s.textContent = 'window.__inline = 1';
		document.head.appendChild(s);
		if (window.__inline === 1) resolve('inline script ran');
	})`)
	if !strings.HasPrefix(violated, "script-src") {
		t.Errorf("an inline script under the page's CSP: %q, want a script-src violation", violated)
	}

	t.Run("list", func(t *testing.T) {
		b.T = t
		b.WaitFor(fmt.Sprintf(`document.querySelector('tr[data-id="%s"]') !== null`, other.id))
		if got, want := b.rows(), other.id+" "+evil.id; got != want {
			t.Errorf("list rows %q, want %q (newest first)", got, want)
		}
		row := b.Text(fmt.Sprintf(`tr[data-id="%s"]`, evil.id))
		for _, want := range []string{evil.inc.Severity, fmt.Sprint(evil.inc.Score), "paypal.com", "pаypal.com", "xn--pypal-4ve.com", "new"} {
			if !strings.Contains(row, want) {
				t.Errorf("row %q lacks %q", row, want)
			}
		}
		if got := b.Eval(fmt.Sprintf(`document.querySelector('tr[data-id="%s"] .cp').title`, evil.id)); got != "U+0430" {
			t.Errorf("confusable mark title %q, want U+0430", got)
		}
		if got := b.Eval(`typeof window.__pwned`); got != "undefined" {
			t.Errorf("injected markup ran on the list page")
		}
		// The export links download from the real exporter.
		exports := b.Eval(`Promise.all([...document.querySelectorAll('a[download]')].map(a =>
			fetch(a.href).then(async r => a.getAttribute('href') + ' ' + r.status + ' ' + (await r.text()).includes('xn--pypal-4ve.com')))).then(r => r.join('\n'))`)
		for _, want := range []string{"/api/v1/incidents/export?format=csv 200 true", "/api/v1/incidents/export?format=stix 200 true"} {
			if !strings.Contains(exports, want) {
				t.Errorf("export links: %q lacks %q", exports, want)
			}
		}
	})

	t.Run("filter", func(t *testing.T) {
		b.T = t
		b.Open("/#/incidents", fmt.Sprintf(`tr[data-id="%s"]`, evil.id))
		// By asset.
		b.Do(chromedp.SetValue(chromedp.CSS("#filter-asset"), "example.org"), chromedp.Click(chromedp.CSS("#filter-apply")))
		b.WaitFor(fmt.Sprintf(`document.querySelectorAll('#incidents tbody tr').length === 1 && document.querySelector('tr[data-id="%s"]') !== null`, other.id))
		// The filter lives in the URL: a reload keeps it.
		b.Do(chromedp.Reload())
		b.WaitFor(fmt.Sprintf(`document.querySelector('tr[data-id="%s"]') !== null`, other.id))
		if got := b.rows(); got != other.id {
			t.Errorf("after reload with asset=example.org the list shows %q", got)
		}
		// By search (the Unicode form's punycode), severity and status together.
		b.Open("/#/incidents", fmt.Sprintf(`tr[data-id="%s"]`, other.id))
		b.Do(chromedp.SetValue(chromedp.CSS("#filter-q"), "pypal"),
			chromedp.SetValue(chromedp.CSS("#filter-severity"), evil.inc.Severity),
			chromedp.SetValue(chromedp.CSS("#filter-status"), "new"),
			chromedp.Click(chromedp.CSS("#filter-apply")))
		b.WaitFor(fmt.Sprintf(`document.querySelectorAll('#incidents tbody tr').length === 1 && document.querySelector('tr[data-id="%s"]') !== null`, evil.id))
		// A filter nothing matches shows the empty state.
		b.Open("/#/incidents?status=closed", "#incidents-empty")
		if got := b.rows(); got != "" {
			t.Errorf("status=closed shows %q, want nothing", got)
		}
	})

	t.Run("incident page", func(t *testing.T) {
		b.T = t
		b.Open("/#/incidents/"+evil.id, ".cert")
		card := b.Text(".cert")
		c := evil.cert
		for _, want := range append([]string{c.SHA256, c.SHA1, c.Serial, "Totally Legit Ltd", "Example 'Argon2026h1'", "#812301", "final"}, c.DNSNames...) {
			if !strings.Contains(card, want) {
				t.Errorf("certificate card lacks %q", want)
			}
		}
		if got := b.Eval(`document.querySelector('.cert .sha256').textContent`); got != c.SHA256 {
			t.Errorf("SHA-256 shown %q, want %q", got, c.SHA256)
		}
		names := b.Eval(`[...document.querySelectorAll('.cert ul.names li')].map(li => li.textContent).join(' ')`)
		for _, n := range c.DNSNames {
			if !strings.Contains(names, n) {
				t.Errorf("DNS names %q lack %q", names, n)
			}
		}
		if pem := b.Eval(`(document.querySelector('.cert details.pem pre') || {textContent: ''}).textContent`); !strings.HasPrefix(pem, "-----BEGIN CERTIFICATE-----") {
			t.Errorf("the PEM is not shown: %q", pem)
		}
		reasons := b.Text("#reasons")
		for _, r := range evil.inc.Reasons {
			if !strings.Contains(reasons, r.Rule) || !strings.Contains(reasons, fmt.Sprint(r.Points)) {
				t.Errorf("reasons %q lack %s (%d)", reasons, r.Rule, r.Points)
			}
		}
		links := b.Eval(`[...document.querySelectorAll('a.ext')].map(a => a.href).join('\n')`)
		for _, want := range []string{"https://crt.sh/?q=" + c.SHA256} {
			if !strings.Contains(links, want) {
				t.Errorf("no link to %s among:\n%s", want, links)
			}
		}
		// The planted sighting's log is not one this certhunt follows, so it is not linked.
		if strings.Contains(links, "ct.example.net") {
			t.Errorf("a log certhunt does not follow is linked:\n%s", links)
		}
		// Other incidents on the same asset: none (example.org's is another asset).
		b.WaitFor(`document.querySelector('#related-asset') !== null && !document.querySelector('#related-asset').textContent.includes('Loading')`)
		if got := b.Eval(`String(document.querySelectorAll('#related-asset a').length)`); got != "0" {
			t.Errorf("%s related incidents on paypal.com, want none", got)
		}
		b.Screenshot("real-incident.png")
	})

	t.Run("script subject is text", func(t *testing.T) {
		b.T = t
		b.Open("/#/incidents/"+evil.id, ".cert")
		if card := b.Text(".cert"); !strings.Contains(card, evilSubject) {
			t.Errorf("the subject is not shown as text; card: %q", card)
		}
		if got := b.Eval(`[...document.querySelectorAll('.cert .dn .mono')].map(e => e.textContent).join('|')`); !strings.Contains(got, evilSubject) {
			t.Errorf("subject fields %q lack the CN verbatim", got)
		}
		if got := b.Eval(`typeof window.__pwned`); got != "undefined" {
			t.Fatalf("injected markup ran: window.__pwned is %s", b.Eval(`String(window.__pwned)`))
		}
		if got := b.Eval(`String(document.querySelectorAll('main img, main script, main svg').length)`); got != "0" {
			t.Errorf("%s elements were created from certificate data", got)
		}
	})

	t.Run("status change persists", func(t *testing.T) {
		b.T = t
		b.Open("/#/incidents/"+evil.id, "#action-status")
		b.Do(chromedp.SetValue(chromedp.CSS("#action-status"), "investigating"),
			chromedp.SetValue(chromedp.CSS("#action-note"), "registrar notified"),
			chromedp.Click(chromedp.CSS("#action-save")))
		b.WaitFor(`document.querySelector('#incident-status') !== null && document.querySelector('#incident-status').textContent === 'investigating'`)
		var got incident.Incident
		apiGet(t, h.base, "/api/v1/incidents/"+evil.id, "", &got)
		if got.Status != "investigating" || got.Note != "registrar notified" {
			t.Errorf("the store has status %q, note %q", got.Status, got.Note)
		}
		if len(got.History) != 2 {
			t.Errorf("history %+v, want the status and the note", got.History)
		}
		b.Do(chromedp.Reload())
		b.WaitFor(`document.querySelector('#incident-status') !== null`)
		if got := b.Text("#incident-status"); got != "investigating" {
			t.Errorf("after reload the status shows %q", got)
		}
		if got := b.Eval(`document.querySelector('#action-status').value`); got != "investigating" {
			t.Errorf("after reload the status control is %q", got)
		}
		if history := b.Text("#history"); !strings.Contains(history, "investigating") || !strings.Contains(history, "registrar notified") {
			t.Errorf("history %q lacks the change", history)
		}
		// The list shows the new status too, and the status filter finds it.
		b.Open("/#/incidents?status=investigating", fmt.Sprintf(`tr[data-id="%s"]`, evil.id))
		if got := b.rows(); got != evil.id {
			t.Errorf("status=investigating shows %q, want %q", got, evil.id)
		}
	})

	t.Run("date filter", func(t *testing.T) {
		b.T = t
		today := time.Now().UTC().Format(time.DateOnly)
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		b.Open("/#/incidents?since="+today, fmt.Sprintf(`tr[data-id="%s"]`, evil.id))
		if got := b.rows(); got != other.id+" "+evil.id {
			t.Errorf("since=%s shows %q, want both incidents", today, got)
		}
		b.Open("/#/incidents?until="+yesterday, "#incidents-empty")
		if got := b.rows(); got != "" {
			t.Errorf("until=%s shows %q, want nothing", yesterday, got)
		}
	})

	t.Run("false positive allows the name", func(t *testing.T) {
		b.T = t
		b.Open("/#/incidents/"+other.id, "#fp-allow")
		b.Do(chromedp.Click(chromedp.CSS("#fp-allow")), chromedp.Click(chromedp.CSS("#fp-confirm")))
		b.WaitFor(`document.querySelector('#incident-verdict') !== null && document.querySelector('#incident-verdict').textContent === 'false positive'`)
		var got incident.Incident
		apiGet(t, h.base, "/api/v1/incidents/"+other.id, "", &got)
		if got.Status != "closed" || got.Verdict != "false_positive" {
			t.Errorf("the store has status %q, verdict %q", got.Status, got.Verdict)
		}
		allowed, err := a.Store.Allowed(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(allowed, " ") != "examp1e.org" {
			t.Errorf("allow list %q, want [examp1e.org]", allowed)
		}
		if al := a.Watchlist.Index().Evaluate("examp1e.org"); al.Incident {
			t.Errorf("examp1e.org still raises an incident after it was allowed: %+v", al)
		}
	})

	t.Run("new incident appears without reload", func(t *testing.T) {
		b.T = t
		b.Open("/#/incidents", fmt.Sprintf(`tr[data-id="%s"]`, evil.id))
		b.Eval(`(window.__sameDocument = 'yes')`)
		fresh := plant(t, a, []string{"paypal-login.com", "www.paypal-login.com"}, "paypal-login.com",
			"Example 'Argon2026h1'", "https://ct.example.net/2026h1/", 812399)
		b.WaitFor(fmt.Sprintf(`document.querySelector('#incidents tbody tr') !== null && document.querySelector('#incidents tbody tr').dataset.id === '%s'`, fresh.id))
		if got := b.Eval(`window.__sameDocument`); got != "yes" {
			t.Error("the page reloaded to show the new incident")
		}
	})

	t.Run("watchlist and sources pages", func(t *testing.T) {
		b.T = t
		b.Open("/#/watchlist", "#watchlist-json-open")
		b.Do(chromedp.Click(chromedp.CSS("#watchlist-json-open")), chromedp.WaitVisible(chromedp.CSS("#watchlist-json")))
		if info := b.Text("#watchlist-info"); !strings.Contains(info, "homographs.json") {
			t.Errorf("list info %q lacks its source", info)
		}
		b.Do(chromedp.SetValue(chromedp.CSS("#watchlist-json"), `{"paypal": []}`), chromedp.Click(chromedp.CSS("#watchlist-save")))
		b.WaitFor(`document.querySelector('#watchlist-message .notice-error') !== null`)
		if msg := b.Text("#watchlist-message"); !strings.Contains(msg, "paypal") {
			t.Errorf("the refusal %q does not name the bad key", msg)
		}
		b.Do(chromedp.SetValue(chromedp.CSS("#watchlist-json"), `{"paypal.com": ["paypa1.com"], "example.org": [], "bank.example": []}`),
			chromedp.Click(chromedp.CSS("#watchlist-save")))
		b.WaitFor(`document.querySelector('.notice-ok') !== null && document.querySelector('.notice-ok').textContent === 'List saved.'`)
		if l := a.Watchlist.Current().List; len(l) != 3 || len(l["paypal.com"]) != 1 {
			t.Errorf("after saving, the list in force is %v", l)
		}
		// Generate lookalikes with the real generator and merge them.
		b.Do(chromedp.SetValue(chromedp.CSS("#gen-domains"), "contoso.com"),
			chromedp.SetValue(chromedp.CSS("#gen-fuzzers"), "omission, homoglyph"),
			chromedp.Click(chromedp.CSS("#gen-run")))
		b.WaitFor(`document.querySelector('#gen-merge') !== null`)
		if preview := b.Text("#gen-preview"); !strings.Contains(preview, "cntoso.com") {
			t.Errorf("the preview lacks the omission cntoso.com: %.300s", preview)
		}
		b.Do(chromedp.Click(chromedp.CSS("#gen-merge")))
		b.WaitFor(`document.querySelector('.notice-ok') !== null && document.querySelector('.notice-ok').textContent.startsWith('Merged')`)
		if n := len(a.Watchlist.Current().List["contoso.com"]); n == 0 {
			t.Error("merging generated lookalikes left contoso.com without homographs")
		}
		// No CT logs are configured here: the page says so (and lists no feeds) rather than failing.
		b.Do(chromedp.Navigate(h.base + "/#/sources"))
		b.WaitFor(`document.querySelector('main').textContent.includes('No sources configured.')`)
		if got := b.Eval(`String(document.querySelectorAll('main .notice-error').length)`); got != "0" {
			t.Errorf("the sources page shows errors: %s", b.Text("main"))
		}
	})
}

// TestBrowserRealServerLogin runs the UI against a server with auth.tokens: the API refuses
// anonymous requests, a browser is sent to sign in, and once signed in a status change (a PATCH
// with the CSRF header) persists; without the header the same PATCH is refused.
func TestBrowserRealServerLogin(t *testing.T) {
	browsertest.Skip(t)
	const token = "s3cret-token-0123456789"
	cfg := browserConfig(t)
	cfg.Auth.Tokens = auth.StringTokens([]string{token})
	h := start(t, cfg)
	a := h.app
	evil := plant(t, a, []string{"xn--pypal-4ve.com", "www.xn--pypal-4ve.com"}, evilSubject,
		"Example 'Argon2026h1'", "https://ct.example.net/2026h1/", 812301)

	// The API without a token, or with a wrong one, is refused; with the token it answers.
	for _, bearer := range []string{"", "wrong-token"} {
		req, _ := http.NewRequest(http.MethodGet, h.base+"/api/v1/incidents/"+evil.id, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/incidents/%s with bearer %q: %s, want 401", evil.id, bearer, resp.Status)
		}
	}
	var inc incident.Incident
	apiGet(t, h.base, "/api/v1/incidents/"+evil.id, token, &inc)

	b := newBrowserTest(t, h.base)
	// A browser opening the UI is sent to the login page.
	b.Open("/#/incidents/"+evil.id, "#token")
	if got := b.Eval(`location.pathname`); got != "/login" {
		t.Errorf("an anonymous browser is at %q, want /login", got)
	}
	login := func(tok string) int64 {
		t.Helper()
		resp, err := chromedp.RunResponse(b.Ctx, chromedp.SendKeys(chromedp.CSS("#token"), tok), chromedp.Submit(chromedp.CSS("#token")))
		if err != nil {
			t.Fatalf("signing in with %q: %v", tok, err)
		}
		return resp.Status
	}
	if status := login("wrong-token"); status != http.StatusUnauthorized {
		t.Errorf("signing in with a wrong token answered %d, want 401", status)
	}
	b.WaitFor(`document.querySelector('[role="alert"]') !== null && document.querySelector('#token') !== null`)
	if got := b.Text(`[role="alert"]`); !strings.Contains(got, "not valid") {
		t.Errorf("a wrong token says %q", got)
	}
	if status := login(token); status != http.StatusOK {
		t.Errorf("signing in with the token ended on a %d page, want 200 (after the redirect to /)", status)
	}
	b.WaitFor(fmt.Sprintf(`location.pathname === '/' && document.querySelector('tr[data-id="%s"]') !== null`, evil.id))

	// Signed in: the status change goes through with the CSRF header and persists.
	b.Open("/#/incidents/"+evil.id, "#action-status")
	b.Do(chromedp.SetValue(chromedp.CSS("#action-status"), "closed"), chromedp.Click(chromedp.CSS("#action-save")))
	b.WaitFor(`document.querySelector('#incident-status') !== null && document.querySelector('#incident-status').textContent === 'closed'`)
	apiGet(t, h.base, "/api/v1/incidents/"+evil.id, token, &inc)
	if inc.Status != "closed" {
		t.Errorf("after the UI's PATCH the store has status %q", inc.Status)
	}
	b.Do(chromedp.Reload())
	b.WaitFor(`document.querySelector('#incident-status') !== null`)
	if got := b.Text("#incident-status"); got != "closed" {
		t.Errorf("after reload the status shows %q", got)
	}

	// The session cookie alone does not make a state change: without X-CSRF-Token it is refused.
	got := b.Eval(fmt.Sprintf(`fetch('/api/v1/incidents/%s', {method: 'PATCH', credentials: 'same-origin',
		headers: {'Content-Type': 'application/json'}, body: JSON.stringify({status: 'new'})}).then(r => String(r.status))`, evil.id))
	if got != "403" {
		t.Errorf("a PATCH without the CSRF header answered %s, want 403", got)
	}
	apiGet(t, h.base, "/api/v1/incidents/"+evil.id, token, &inc)
	if inc.Status != "closed" {
		t.Errorf("a PATCH without the CSRF header changed the status to %q", inc.Status)
	}

	// Signed out (the page's own POST /logout, with the CSRF header), the UI shows its login form
	// on the next API answer 401, and signing in there works too.
	if got := b.Eval(`(() => { const m = document.cookie.match(/(?:^|; )certhunt_csrf=([^;]*)/);
		return fetch('/logout', {method: 'POST', credentials: 'same-origin', headers: {'X-CSRF-Token': m ? decodeURIComponent(m[1]) : ''}})
			.then(r => String(r.status)); })()`); got != "204" {
		t.Fatalf("POST /logout answered %s", got)
	}
	b.Eval(`(location.hash = '#/incidents', 'ok')`)
	b.WaitFor(`document.querySelector('#login-token') !== null`)
	b.Do(chromedp.SendKeys(chromedp.CSS("#login-token"), token), chromedp.Click(chromedp.CSS("#login-submit")))
	b.WaitFor(fmt.Sprintf(`document.querySelector('tr[data-id="%s"]') !== null`, evil.id))
	if got := b.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Error("injected markup ran")
	}
}

// TestBrowserCrossOriginPageCannotDriveAPI: with no tokens, a page on another origin that the
// analyst opens sends the POSTs a browser allows without a preflight (text/plain fetch, form,
// beacon) to the local certhunt; none of them changes anything.
func TestBrowserCrossOriginPageCannotDriveAPI(t *testing.T) {
	browsertest.Skip(t)
	h := start(t, browserConfig(t))
	evilPage := `<!doctype html><body><form id="f" method="post" enctype="text/plain" target="sink" action="` + h.base + `/api/v1/allow">
<input name='{"domain":"paypa1.com","x":"' value='"}'></form><iframe name="sink"></iframe><script>
(async () => {
  const body = JSON.stringify({domain: "paypa1.com", reason: "csrf"});
  try { await fetch("` + h.base + `/api/v1/allow", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body}); } catch (e) {}
  try { await fetch("` + h.base + `/api/v1/watchlist", {method: "POST", mode: "no-cors", body: "{}"}); } catch (e) {}
  navigator.sendBeacon("` + h.base + `/api/v1/allow", body);
  document.getElementById("f").submit();
  document.querySelector("iframe").addEventListener("load", () => {
    const d = document.createElement("div"); d.id = "done"; d.textContent = "done"; document.body.append(d);
  });
})();
</script></body>`
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, evilPage)
	}))
	defer evil.Close()
	p := browsertest.NewPage(t, browsertest.NewBrowser(t), evil.URL, browserTimeout)
	p.Allow("Failed to load resource")
	p.Allow("frame-ancestors") // the form's answer may not be framed: fine
	p.Open("/", "#done")
	allowed, err := h.app.Store.Allowed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(allowed) != 0 {
		t.Fatalf("a cross-origin page allowed %v", allowed)
	}
}
