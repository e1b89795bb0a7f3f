package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certhunt/certhunt/internal/browsertest"
)

// The browser tests drive Debian's chromium through chromedp against the real embedded UI and an
// in-memory fake of the API (fakeapi_test.go), under the server's Content-Security-Policy. They
// skip when chromium is not installed. Set CERTHUNT_UI_SCREENSHOTS=DIR to also save a screenshot
// of every page there (ui-*.png).

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// browser is one headless chromium for all browser tests; each test gets its own tab in its own
// browser context.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

type uiTest struct {
	*browsertest.Page
	api *fakeAPI
}

func newUITest(t testing.TB) *uiTest {
	t.Helper()
	browsertest.Skip(t)
	browser.once.Do(func() { browser.ctx, browser.cancel, browser.err = browsertest.Start() })
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	api := newFakeAPI(time.Now().UTC().Truncate(time.Second))
	srv := httptest.NewServer(api.handler())
	t.Cleanup(srv.Close)
	timeout := 45 * time.Second
	if _, ok := t.(*testing.B); ok {
		timeout = 10 * time.Minute // a benchmark runs its loop many times
	}
	// Open's paths are the UI's #fragments.
	return &uiTest{Page: browsertest.NewPage(t, browser.ctx, srv.URL+"/", timeout), api: api}
}

// clear empties a form control (chromedp.SetValue refuses the empty string).
func (u *uiTest) clear(sel string) {
	u.T.Helper()
	arg, err := json.Marshal(sel)
	if err != nil {
		u.T.Fatal(err)
	}
	u.Eval(fmt.Sprintf(`(() => { const el = document.querySelector(%s); el.value = ''; return 'ok'; })()`, arg))
}

func TestBrowserListShowsStoredIncident(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents", `tr[data-id="inc-paypal"]`)
	row := u.Text(`tr[data-id="inc-paypal"]`)
	for _, want := range []string{"critical", "92", "paypal.com", "pаypal.com", "xn--pypal-4ve.com", "new"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
	// The Cyrillic а is marked and names its code point.
	if got := u.Eval(`document.querySelector('tr[data-id="inc-paypal"] .cp').title`); got != "U+0430" {
		t.Errorf("confusable mark title = %q, want U+0430", got)
	}
	// An ASCII stand-in (1 for l) is marked against the asset's name.
	if got := u.Eval(`document.querySelector('tr[data-id="inc-closed"] .cp.swap').title`); got != "U+0031 in place of l" {
		t.Errorf("ASCII lookalike mark title = %q, want %q", got, "U+0031 in place of l")
	}
	if got := u.Eval(`String(document.querySelectorAll('#incidents tbody tr').length)`); got != "7" {
		t.Errorf("%s rows, want the 7 stored incidents", got)
	}
	exports := u.Eval(`[...document.querySelectorAll('a[download]')].map(a => a.getAttribute('href')).join(' ')`)
	if exports != "/api/v1/incidents/export?format=csv /api/v1/incidents/export?format=stix" {
		t.Errorf("export links %q", exports)
	}
	u.Screenshot("ui-incidents.png")
}

func TestBrowserFilterReachesAPI(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents", `tr[data-id="inc-paypal"]`)
	u.Do(chromedp.SetValue(chromedp.CSS("#filter-status"), "closed"),
		chromedp.SetValue(chromedp.CSS("#filter-asset"), "example.org"),
		chromedp.Click(chromedp.CSS("#filter-apply")))
	u.WaitFor(`document.querySelector('tr[data-id="inc-paypal"]') === null && document.querySelectorAll('#incidents tbody tr').length === 1`)
	if got := u.Eval(`document.querySelector('#incidents tbody tr').dataset.id`); got != "inc-closed" {
		t.Errorf("filtered list shows %q, want inc-closed", got)
	}
	if !u.api.sawQuery("status", "closed") || !u.api.sawQuery("asset", "example.org") {
		t.Error("the filter did not reach the API as status=closed&asset=example.org")
	}
	// Filters live in the URL, so a reload keeps them.
	u.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`tr[data-id="inc-closed"]`)))
	if got := u.Eval(`document.querySelector('#filter-status').value`); got != "closed" {
		t.Errorf("after reload the status filter is %q", got)
	}

	// Search goes to the API as q.
	u.clear("#filter-status")
	u.clear("#filter-asset")
	u.Do(chromedp.SetValue(chromedp.CSS("#filter-q"), "secure-verify"),
		chromedp.Click(chromedp.CSS("#filter-apply")))
	u.WaitFor(`document.querySelectorAll('#incidents tbody tr').length === 1 && document.querySelector('tr[data-id="inc-4"]') !== null`)
	if !u.api.sawQuery("q", "secure-verify") {
		t.Error("search did not reach the API as q=secure-verify")
	}
}

// The export links carry the list's filters, the verdict among them.
func TestBrowserExportFollowsFilters(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents?verdict=true_positive&asset=paypal.com&q=pay", `#filters`)
	if got := u.Eval(`document.querySelector('#filter-verdict').value`); got != "true_positive" {
		t.Errorf("verdict filter shows %q", got)
	}
	exports := u.Eval(`[...document.querySelectorAll('a[download]')].map(a => a.getAttribute('href')).join(' ')`)
	for _, want := range []string{"format=csv", "format=stix", "verdict=true_positive", "asset=paypal.com", "q=pay"} {
		if !strings.Contains(exports, want) {
			t.Errorf("export links %q lack %q", exports, want)
		}
	}
	if !u.api.sawQuery("verdict", "true_positive") {
		t.Error("the verdict filter did not reach the API")
	}
}

func TestBrowserDateFilterAndPaging(t *testing.T) {
	u := newUITest(t)
	today := time.Now().UTC().Format(time.DateOnly)
	u.Open("#/incidents?since="+today, `#incidents`)
	if !u.api.sawQuery("since", today+"T00:00:00Z") {
		t.Errorf("date filter did not reach the API as since=%sT00:00:00Z", today)
	}
	// 127 incidents need a second page of 100.
	for i := range 120 {
		inc := u.api.clone("inc-5")
		inc.ID = fmt.Sprintf("bulk-%03d", i)
		inc.CreatedAt = inc.CreatedAt.Add(-time.Duration(i+1) * time.Hour)
		u.api.add(&inc)
	}
	u.Open("#/incidents", `#load-more`)
	u.WaitFor(`document.querySelectorAll('#incidents tbody tr').length === 100`)
	u.Do(chromedp.Click(chromedp.CSS("#load-more")))
	u.WaitFor(`document.querySelectorAll('#incidents tbody tr').length === 127 && document.querySelector('#load-more').hidden`)
}

func TestBrowserNewIncidentAppearsWithoutReload(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents", `tr[data-id="inc-paypal"]`)
	u.Eval(`window.__sameDocument = 'yes'`)
	fresh := u.api.clone("inc-closed")
	fresh.ID, fresh.Domain, fresh.DomainUnicode = "inc-fresh", "xn--exmple-4nf.org", "exаmple.org"
	fresh.CreatedAt, fresh.Status = time.Now().UTC().Add(time.Second), "new"
	u.api.add(&fresh)
	u.WaitFor(`document.querySelector('#incidents tbody tr').dataset.id === 'inc-fresh'`)
	if got := u.Eval(`window.__sameDocument`); got != "yes" {
		t.Error("the page reloaded to show the new incident")
	}
}

func TestBrowserIncidentPageShowsCertificate(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents/inc-paypal", ".cert")
	cert := u.Text(".cert")
	c := u.api.clone("inc-paypal").Certificates[0]
	for _, want := range append([]string{c.SHA256, c.SHA1, c.Serial, "Let's Encrypt", "R11", "precert", "SHA256-RSA", "#812301", "#5119876"}, c.DNSNames...) {
		if !strings.Contains(cert, want) {
			t.Errorf("certificate card lacks %q", want)
		}
	}
	reasons := u.Text("#reasons")
	for _, want := range []string{"confusable", "60", "idn_mixed_script", "20", "new_registration", "12"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons lack %q", want)
		}
	}
	links := u.Eval(`[...document.querySelectorAll('a.ext')].map(a => a.href).join('\n')`)
	for _, want := range []string{
		"https://ct.example.net/2026h1/ct/v1/get-entries?start=812301&end=812301",
		"https://static.example.net/2026h1/", // a static log: the log, with the index shown
		"https://crt.sh/?q=xn--pypal-4ve.com",
		"https://crt.sh/?q=" + c.SHA256,
	} {
		if !strings.Contains(links, want+"\n") && !strings.HasSuffix(links, want) {
			t.Errorf("no link to %s among:\n%s", want, links)
		}
	}
	if strings.Contains(links, "static.example.net/2026h1/ct/v1") {
		t.Error("a static-ct-api log got an RFC 6962 get-entries link")
	}
	if strings.Contains(links, "phish.example") {
		t.Error("a log URL a certstream feed sent is linked; only followed logs may be")
	}
	page := u.Text("main")
	for _, want := range []string{"openphish", "https://xn--pypal-4ve.com/signin", "xsoar", "503 Service Unavailable"} {
		if !strings.Contains(page, want) {
			t.Errorf("incident page lacks %q (intel hit or delivery)", want)
		}
	}
	// Other incidents on the same asset are listed (not this one).
	u.WaitFor(`document.querySelector('#related-asset a[href="#/incidents/inc-4"]') !== null`)
	if !u.api.sawQuery("asset", "paypal.com") || !u.api.sawQuery("q", "xn--pypal-4ve.com") {
		t.Error("related incidents were not asked for by asset and registered domain")
	}
	u.Screenshot("ui-incident.png")
}

func TestBrowserStatusChangePersists(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents/inc-paypal", "#action-status")
	u.Do(chromedp.SetValue(chromedp.CSS("#action-status"), "investigating"),
		chromedp.SetValue(chromedp.CSS("#action-note"), "registrar notified"),
		chromedp.Click(chromedp.CSS("#action-save")))
	select {
	case got := <-u.api.patches:
		if got["status"] != "investigating" || got["note"] != "registrar notified" || len(got) != 2 {
			t.Errorf("PATCH body %v, want status and note only", got)
		}
	case <-u.Ctx.Done():
		t.Fatal("no PATCH reached the API")
	}
	u.Do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#incident-status")))
	if got := u.Text("#incident-status"); got != "investigating" {
		t.Errorf("after reload the status shows %q", got)
	}
	if got := u.Eval(`document.querySelector('#action-status').value`); got != "investigating" {
		t.Errorf("after reload the status control is %q", got)
	}
	if history := u.Text("#history"); !strings.Contains(history, "status → investigating") || !strings.Contains(history, "registrar notified") {
		t.Errorf("history %q lacks the change", history)
	}
}

func TestBrowserFalsePositiveAllowsName(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents/inc-closed", "#fp-allow")
	u.Do(chromedp.Click(chromedp.CSS("#fp-allow")), chromedp.Click(chromedp.CSS("#fp-confirm")))
	u.WaitFor(`document.querySelector('#incident-status') && document.querySelector('#incident-status').textContent === 'closed' && document.querySelector('#incident-verdict').textContent === 'false positive'`)
	u.api.mu.Lock()
	allowed := append([]string(nil), u.api.allowed...)
	u.api.mu.Unlock()
	if len(allowed) != 1 || allowed[0] != "examp1e.org" {
		t.Errorf("allow list got %q, want [examp1e.org]", allowed)
	}
}

func TestBrowserScriptSubjectIsText(t *testing.T) {
	u := newUITest(t)
	u.Open("#/incidents/inc-evil", ".cert")
	if cert := u.Text(".cert"); !strings.Contains(cert, evilSubject) {
		t.Errorf("the subject is not shown as text; card: %q", cert)
	}
	if reasons := u.Text("#reasons"); !strings.Contains(reasons, `<img src=x onerror="window.__pwned=3">`) {
		t.Errorf("the reason detail is not shown as text: %q", reasons)
	}
	if got := u.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Fatalf("injected markup ran: window.__pwned is %s", u.Eval(`String(window.__pwned)`))
	}
	if got := u.Eval(`String(document.querySelectorAll('main img, main svg, main script, main b, main i').length)`); got != "0" {
		t.Errorf("%s elements were created from data", got)
	}
	// Links built from data keep to http(s): the javascript: log URL gives no link.
	if got := u.Eval(`[...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => !/^https?:/.test(h)).join(' ')`); got != "" {
		t.Errorf("non-http(s) links: %s", got)
	}
	u.Open("#/incidents", `tr[data-id="inc-evil"]`)
	if got := u.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Fatal("injected markup ran on the list page")
	}
}

func TestBrowserLoginAndCSRF(t *testing.T) {
	u := newUITest(t)
	u.api.mu.Lock()
	u.api.token = "s3cret"
	u.api.mu.Unlock()
	u.Open("#/incidents/inc-paypal", "#login-token")
	u.Do(chromedp.SendKeys(chromedp.CSS("#login-token"), "wrong"), chromedp.Click(chromedp.CSS("#login-submit")))
	u.WaitFor(`document.querySelector('.login .notice-error') !== null`)
	u.Screenshot("ui-login.png")
	u.Do(chromedp.SetValue(chromedp.CSS("#login-token"), "s3cret"), chromedp.Click(chromedp.CSS("#login-submit")))
	u.Do(chromedp.WaitVisible(chromedp.CSS("#action-status")))
	u.Do(chromedp.SetValue(chromedp.CSS("#action-status"), "closed"), chromedp.Click(chromedp.CSS("#action-save")))
	select {
	case got := <-u.api.patches:
		if got["status"] != "closed" {
			t.Errorf("PATCH body %v", got)
		}
	case <-u.Ctx.Done():
		t.Fatal("the PATCH did not pass auth and CSRF")
	}
	u.api.mu.Lock()
	defer u.api.mu.Unlock()
	if n := len(u.api.csrfHeader); n == 0 || u.api.csrfHeader[n-1] != csrfValue {
		t.Errorf("X-CSRF-Token headers sent: %q, want %q", u.api.csrfHeader, csrfValue)
	}
}

func TestBrowserWatchlist(t *testing.T) {
	u := newUITest(t)
	u.Open("#/watchlist", "#watchlist-json-open")
	if got := u.Text("#watchlist-count"); got != "2 protected domains, 2 homographs" {
		t.Errorf("count %q", got)
	}
	if got := u.Eval(`[...document.querySelectorAll('#assets tbody tr')].map(tr => tr.dataset.asset + ':' + tr.cells[1].textContent).join(' ')`); got != "example.org:0 paypal.com:2" {
		t.Errorf("assets table %q", got)
	}
	// The whole list is loaded only on request.
	u.Do(chromedp.Click(chromedp.CSS("#watchlist-json-open")), chromedp.WaitVisible(chromedp.CSS("#watchlist-json")))
	if info := u.Text("#watchlist-info"); !strings.Contains(info, "homographs.json") {
		t.Errorf("list info %q lacks its source", info)
	}
	// Invalid JSON is caught in the page; an invalid list is refused by the server with the key.
	u.Do(chromedp.SetValue(chromedp.CSS("#watchlist-json"), `{"paypal.com": [`), chromedp.Click(chromedp.CSS("#watchlist-save")))
	u.WaitFor(`document.querySelector('#watchlist-message').textContent.includes('Not valid JSON')`)
	u.Do(chromedp.SetValue(chromedp.CSS("#watchlist-json"), `{"paypal": []}`), chromedp.Click(chromedp.CSS("#watchlist-save")))
	u.WaitFor(`document.querySelector('#watchlist-message').textContent.includes('key "paypal"')`)
	u.Do(chromedp.SetValue(chromedp.CSS("#watchlist-json"), `{"paypal.com": ["paypa1.com"], "bank.example": []}`), chromedp.Click(chromedp.CSS("#watchlist-save")))
	u.WaitFor(`document.querySelector('.notice-ok') !== null && document.querySelector('.notice-ok').textContent === 'List saved.'`)
	u.api.mu.Lock()
	if _, ok := u.api.watchlist["bank.example"]; !ok {
		t.Errorf("PUT did not replace the list: %v", u.api.watchlist)
	}
	u.api.mu.Unlock()

	// Generate, preview, merge.
	u.Do(chromedp.SetValue(chromedp.CSS("#gen-domains"), "contoso.com"), chromedp.Click(chromedp.CSS("#gen-run")))
	u.Do(chromedp.WaitVisible(chromedp.CSS("#gen-merge")))
	if preview := u.Text("#gen-preview"); !strings.Contains(preview, "contoso-login.com") {
		t.Errorf("preview %q lacks a generated name", preview)
	}
	u.Screenshot("ui-watchlist.png")
	u.Do(chromedp.Click(chromedp.CSS("#gen-merge")))
	u.WaitFor(`document.querySelector('.notice-ok') !== null && document.querySelector('.notice-ok').textContent.startsWith('Merged 4')`)
	u.api.mu.Lock()
	defer u.api.mu.Unlock()
	if got := len(u.api.watchlist["contoso.com"]); got != 4 {
		t.Errorf("merged list has %d homographs for contoso.com, want 4", got)
	}
}

func TestBrowserSources(t *testing.T) {
	u := newUITest(t)
	u.Open("#/sources", "#sources")
	sources := u.Text("#sources")
	for _, want := range []string{"Example 'Argon2026h1'", "812,345 / 812,400", "6m 52s", "429 Too Many Requests", "certstream", "99,120 messages"} {
		if !strings.Contains(sources, want) {
			t.Errorf("sources table lacks %q", want)
		}
	}
	// an error the source got past is history; one it did not is its state
	if !regexp.MustCompile(`Example 'Recovered'\s*\S*\s*rfc6962\s*recovered`).MatchString(sources) {
		t.Errorf("a source that read successfully after its error is not shown as recovered:\n%s", sources)
	}
	if !regexp.MustCompile(`Example 'Tiled2026h1'\s*\S*\s*static\s*error`).MatchString(sources) {
		t.Errorf("a source failing now is not shown as error:\n%s", sources)
	}
	feeds := u.Text("#feeds")
	for _, want := range []string{"openphish", "4,012", "connection refused"} {
		if !strings.Contains(feeds, want) {
			t.Errorf("feeds table lacks %q", want)
		}
	}
	u.Screenshot("ui-sources.png")
}

// loadMoreJS clicks "Load more" and resolves once the table holds %d rows, so a benchmark times
// the page's own work (fetch, JSON, DOM) and not a polling interval.
const loadMoreJS = `new Promise((resolve) => {
  const tbody = document.querySelector('#incidents tbody');
  const done = () => tbody.rows.length === %d && (observer.disconnect(), resolve(true));
  const observer = new MutationObserver(done);
  observer.observe(tbody, { childList: true });
  document.querySelector('#load-more').click();
})`

// BenchmarkBrowserListThousandIncidents measures loading 1,000 incidents into the list: the first
// page of 100 and nine "Load more" clicks, each until its rows are in the table.
func BenchmarkBrowserListThousandIncidents(b *testing.B) {
	u := newUITest(b)
	for i := range 1000 - len(u.api.incidents) {
		inc := u.api.clone("inc-paypal")
		inc.ID = fmt.Sprintf("bulk-%04d", i)
		inc.CreatedAt = inc.CreatedAt.Add(-time.Duration(i+1) * time.Minute)
		u.api.add(&inc)
	}
	for b.Loop() {
		u.Do(chromedp.Navigate("about:blank"))
		u.Open("#/incidents", `tr[data-id="inc-paypal"]`)
		for rows := 200; rows <= 1000; rows += 100 {
			if _, err := chromedp.Run(u.Ctx, chromedp.Evaluate[bool](fmt.Sprintf(loadMoreJS, rows), chromedp.EvalAwaitPromise)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestBrowserBannerGuidesAFirstRun: with no protected domain and every source failing, every page
// says so above its content; once ready, the banner goes away.
func TestBrowserBannerGuidesAFirstRun(t *testing.T) {
	u := newUITest(t)
	u.api.mu.Lock()
	u.api.readiness = map[string]any{"ready": false, "store": map[string]any{"ready": true},
		"index":    map[string]any{"ready": true, "assets": 0, "detail": "0 protected domains from empty"},
		"sources":  map[string]any{"ready": false, "healthy": 0, "total": 40, "detail": "no source is healthy"},
		"log_list": map[string]any{"source": "embedded", "timestamp": "2025-05-01T00:00:00Z", "age_days": 216, "stale": true}}
	u.api.mu.Unlock()
	u.Open("#/incidents", "#banner .notice")
	text := u.Text("#banner")
	for _, want := range []string{"None of the 40 sources is healthy. No network?", "No protected domains yet",
		"copy built into certhunt, from 2025-05-01 (216 days ago)"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner %q lacks %q", text, want)
		}
	}
	u.Screenshot("ui-banner.png")
	u.api.mu.Lock()
	u.api.readiness = nil
	u.api.mu.Unlock()
	u.Open("#/watchlist", "#app")
	u.WaitFor(`document.getElementById('banner').hidden`)
}

func TestBrowserInventory(t *testing.T) {
	u := newUITest(t)
	u.Open("#/inventory", `#inventory-certs`)
	summary := u.Text("#inventory-summary")
	for _, want := range []string{"2 names", "2 certificates", "1 new", "1 expiring within 720h0m0s"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary %q lacks %q", summary, want)
		}
	}
	if row := u.Text(`#inventory-names tr[data-name="login.example.org"]`); !strings.Contains(row, "new") {
		t.Errorf("new name row %q", row)
	}
	if row := u.Text(`#inventory-names tr[data-name="old.example.org"]`); !strings.Contains(row, "expiring") {
		t.Errorf("expiring name row %q", row)
	}
	// certificate fields are shown as text, never run
	if row := u.Text(`#inventory-certs tr[data-sha256="c1"]`); !strings.Contains(row, evilSubject) || !strings.Contains(row, "unauthorized-issuer") {
		t.Errorf("certificate row %q", row)
	}
	if got := u.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Fatalf("injected markup ran: window.__pwned is %s", u.Eval(`String(window.__pwned)`))
	}
	u.Do(chromedp.SetValue(chromedp.CSS("#inventory-domain"), "example.org"), chromedp.Click(chromedp.CSS("#inventory-apply")))
	u.WaitFor(`location.hash === '#/inventory?domain=example.org' && document.querySelector('#inventory-certs') !== null`)
	u.WaitFor(`document.querySelector('#inventory-domain') !== null && document.querySelector('#inventory-domain').value === 'example.org'`)
	if !u.api.sawQuery("domain", "example.org") {
		t.Error("the domain did not reach the API")
	}
	u.Screenshot("ui-inventory.png")
}

// An issuance incident offers no "allow this name": allowing an own name would not silence it.
func TestBrowserIssuanceIncidentHasNoAllow(t *testing.T) {
	u := newUITest(t)
	inc := u.api.clone("inc-paypal")
	inc.ID = "inc-own"
	inc.Asset, inc.Domain, inc.DomainUnicode, inc.RegisteredDomain = "paypal.com", "login.paypal.com", "login.paypal.com", "paypal.com (issuer: evil ca)"
	inc.Matched.Kind, inc.Matched.Value = "issuance", "Evil CA"
	u.api.add(&inc)
	u.Open("#/incidents/inc-own", "#fp-issuance")
	if got := u.Eval(`String(document.querySelector('#fp-allow') === null)`); got != "true" {
		t.Error("the allow button is offered on an issuance incident")
	}
	if !strings.Contains(u.Text("#fp-issuance"), "issuance.allowed_issuers") {
		t.Errorf("note: %q", u.Text("#fp-issuance"))
	}
}
