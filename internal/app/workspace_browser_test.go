package app

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/browsertest"
	"github.com/certhunt/certhunt/internal/incident"
)

// Tokens of the workspace test, one per role.
const (
	rootToken   = "root-token-0123456789abcdef"
	aliceToken  = "alice-token-0123456789abcdef"
	victorToken = "victor-token-0123456789abcdef"
)

// workspaceServer is a certhunt with a named token per role and a watchlist whose paypal.com
// lists 100,000 names (paypal-00000.com ...).
func workspaceServer(t *testing.T) *harness {
	t.Helper()
	values := make([]string, 100_000)
	for i := range values {
		values[i] = fmt.Sprintf("paypal-%05d.com", i)
	}
	list, err := json.Marshal(map[string][]string{"paypal.com": values, "example.org": {}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, string(list))
	cfg.Auth.Tokens = []auth.Token{
		{Name: "root", Token: rootToken, Role: auth.RoleAdmin},
		{Name: "alice", Token: aliceToken, Role: auth.RoleAnalyst},
		{Name: "victor", Token: victorToken, Role: auth.RoleViewer},
	}
	return start(t, cfg)
}

// signIn opens the login page in a browser of its own and signs in with token.
func signIn(t *testing.T, h *harness, token, name string) *browserTest {
	t.Helper()
	b := newBrowserTest(t, h.base)
	b.Open("/", "#token")
	// RunResponse waits for the navigation the form's POST starts (and its redirect) to end.
	if _, err := chromedp.RunResponse(b.Ctx, chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Submit(chromedp.CSS("#token"))); err != nil {
		t.Fatalf("signing in as %s: %v", name, err)
	}
	b.WaitFor(`document.querySelector('#user-name') !== null`)
	if got := b.Text("#user-name"); got != name {
		t.Errorf("signed in as %q, the page names %q", name, got)
	}
	return b
}

// fetchStatus makes a same-origin API call with the session and CSRF header, as the UI does, and
// returns the status.
func (b *browserTest) fetchStatus(method, path, body string) string {
	b.T.Helper()
	return b.Eval(fmt.Sprintf(`(() => { const m = document.cookie.match(/(?:^|; )certhunt_csrf=([^;]*)/);
		return fetch(%q, {method: %q, credentials: 'same-origin', headers: {'Content-Type': 'application/json',
			'X-CSRF-Token': m ? decodeURIComponent(m[1]) : ''}, body: %q || undefined}).then(r => String(r.status)); })()`, path, method, body))
}

func TestBrowserWorkspace(t *testing.T) {
	browsertest.Skip(t)
	h := workspaceServer(t)
	a := h.app
	fp := plant(t, a, []string{"login.examp1e.org", "examp1e.org"}, "login.examp1e.org",
		"Example 'Xenon2026h1'", "https://ct.example.net/xenon2026h1/", 4711)

	t.Run("roles", func(t *testing.T) {
		viewer := signIn(t, h, victorToken, "victor")
		if got := viewer.fetchStatus("PATCH", "/api/v1/incidents/"+fp.id, `{"status": "closed"}`); got != "403" {
			t.Errorf("a viewer's PATCH answered %s, want 403", got)
		}
		// The UI says the viewer may not triage rather than offering it.
		viewer.Open("/#/incidents/"+fp.id, "#action-readonly")
		if got := viewer.Eval(`[...document.querySelectorAll('#action-save, #fp-allow, #fp-allow-registered')].map(b => b.disabled).join(' ')`); got != "true true true" {
			t.Errorf("a viewer's triage buttons disabled: %s", got)
		}
		analyst := signIn(t, h, aliceToken, "alice")
		if got := analyst.fetchStatus("PUT", "/api/v1/watchlist/paypal.com", `["x.example"]`); got != "403" {
			t.Errorf("an analyst's PUT of the watchlist answered %s, want 403", got)
		}
		if n := len(a.Watchlist.Current().List["paypal.com"]); n != 100_000 {
			t.Errorf("after refused changes paypal.com lists %d names", n)
		}
		// The analyst's asset page offers no changes it would be refused.
		analyst.Open("/#/watchlist/paypal.com", "#asset-readonly")
		if got := analyst.Eval(`String(document.querySelectorAll('#asset-names button, #asset-add, #asset-regenerate').length)`); got != "0" {
			t.Errorf("an analyst sees %s watchlist controls", got)
		}
		var inc incident.Incident
		apiGet(t, h.base, "/api/v1/incidents/"+fp.id, rootToken, &inc)
		if inc.Status != "new" {
			t.Errorf("a viewer changed the status to %q", inc.Status)
		}
	})

	t.Run("allow list", func(t *testing.T) {
		b := signIn(t, h, aliceToken, "alice")
		b.Open("/#/incidents/"+fp.id, "#fp-allow-registered")
		b.Do(chromedp.Click(chromedp.CSS("#fp-allow-registered")), chromedp.Click(chromedp.CSS("#fp-confirm")))
		b.WaitFor(`document.querySelector('#incident-verdict') !== null && document.querySelector('#incident-verdict').textContent === 'false positive'`)
		if al := a.Watchlist.Index().Evaluate("www.examp1e.org"); al.Incident {
			t.Errorf("a name under the allowed registered domain still alerts: %+v", al)
		}
		history := b.Text("#history")
		for _, want := range []string{"allowed → examp1e.org by alice", "verdict → false_positive by alice"} {
			if !strings.Contains(history, want) {
				t.Errorf("history %q lacks %q", history, want)
			}
		}
		b.Open("/#/allow", `tr[data-domain="examp1e.org"]`)
		row := b.Text(`tr[data-domain="examp1e.org"]`)
		for _, want := range []string{"examp1e.org", "alice", "#" + fp.id} {
			if !strings.Contains(row, want) {
				t.Errorf("allow row %q lacks %q", row, want)
			}
		}
		b.Screenshot("workspace-allow.png")
		b.Do(chromedp.Click(chromedp.CSS(`tr[data-domain="examp1e.org"] button`)))
		b.WaitFor(`document.querySelector('tr[data-domain="examp1e.org"]') === null && document.querySelector('.notice-ok') !== null`)
		if al := a.Watchlist.Index().Evaluate("login.examp1e.org"); !al.Incident {
			t.Errorf("after removal from the allow list the name does not alert again: %+v", al)
		}
		// A name allowed by hand, with a reason; a public suffix is refused with the reason why.
		b.Do(chromedp.SendKeys(chromedp.CSS("#allow-domain"), "partner.example"), chromedp.SendKeys(chromedp.CSS("#allow-reason"), "our partner"),
			chromedp.Click(chromedp.CSS("#allow-add")))
		b.WaitFor(`document.querySelector('tr[data-domain="partner.example"]') !== null`)
		if row := b.Text(`tr[data-domain="partner.example"]`); !strings.Contains(row, "alice") || !strings.Contains(row, "our partner") {
			t.Errorf("hand-made allow row %q", row)
		}
		b.Do(chromedp.SendKeys(chromedp.CSS("#allow-domain"), "co.uk"), chromedp.Click(chromedp.CSS("#allow-add")))
		b.WaitFor(`document.querySelector('#allow-message').textContent.includes('public suffix')`)
		var inc incident.Incident
		apiGet(t, h.base, "/api/v1/incidents/"+fp.id, rootToken, &inc)
		last := inc.History[len(inc.History)-1]
		if last.Field != "unallowed" || last.Value != "examp1e.org" || last.Author != "alice" {
			t.Errorf("last history entry %+v, want the removal by alice", last)
		}
	})

	t.Run("watchlist of 100,000", func(t *testing.T) {
		b := signIn(t, h, rootToken, "root")
		b.Open("/#/watchlist", `#assets tr[data-asset="paypal.com"]`)
		if got := b.Text("#watchlist-count"); got != "2 protected domains, 100,000 homographs" {
			t.Errorf("count %q", got)
		}
		b.Screenshot("workspace-watchlist.png")
		b.Do(chromedp.Click(chromedp.CSS(`#assets tr[data-asset="paypal.com"] a`)))
		b.WaitFor(`document.querySelectorAll('#asset-names tbody tr').length === 100`)
		rows := func() string {
			return b.Eval(`[...document.querySelectorAll('#asset-names tbody tr')].map(tr => tr.dataset.name).join(' ')`)
		}
		if got := b.Text("#asset-range"); got != "1–100 of 100,000" {
			t.Errorf("range %q", got)
		}
		if got := b.Eval(`String(document.querySelectorAll('#app tr').length)`); got != "101" {
			t.Errorf("the page holds %s rows, want one page (100 and the head)", got)
		}
		b.Do(chromedp.Click(chromedp.CSS("#asset-next")))
		b.WaitFor(`document.querySelector('#asset-range').textContent === '101–200 of 100,000'`)
		if got := strings.Fields(rows()); got[0] != "paypal-00100.com" || len(got) != 100 {
			t.Errorf("page 2 starts %q (%d rows)", got[0], len(got))
		}
		b.Do(chromedp.Click(chromedp.CSS("#asset-prev")))
		b.WaitFor(`document.querySelector('#asset-range').textContent === '1–100 of 100,000'`)

		// Search goes to the server; the URL keeps it.
		b.Do(chromedp.SendKeys(chromedp.CSS("#asset-q"), "0999"))
		b.WaitFor(`document.querySelectorAll('#asset-names tbody tr').length === 20`)
		if got := b.Eval(`location.hash`); got != "#/watchlist/paypal.com?q=0999" {
			t.Errorf("hash %q", got)
		}
		b.Screenshot("workspace-asset.png")
		// Remove one name.
		b.Do(chromedp.Click(chromedp.CSS(`tr[data-name="paypal-00999.com"] button`)))
		b.WaitFor(`document.querySelectorAll('#asset-names tbody tr').length === 19 && document.querySelector('tr[data-name="paypal-00999.com"]') === null`)
		cur := a.Watchlist.Current().List["paypal.com"]
		if len(cur) != 99_999 || strings.Contains(" "+strings.Join(cur, " ")+" ", " paypal-00999.com ") {
			t.Errorf("after removal paypal.com lists %d names", len(cur))
		}
		// Add one; it alerts.
		b.Do(chromedp.SendKeys(chromedp.CSS("#asset-add-input"), "secure-paypa1-help.com"), chromedp.Click(chromedp.CSS("#asset-add")))
		b.WaitFor(`document.querySelector('#asset-message').textContent === 'Added secure-paypa1-help.com.'`)
		if n := len(a.Watchlist.Current().List["paypal.com"]); n != 100_000 {
			t.Errorf("after adding paypal.com lists %d names", n)
		}
		// The whole file was rewritten, so a restart keeps the edits.
		data, err := os.ReadFile(h.cfg.Watchlist.File)
		if err != nil || !strings.Contains(string(data), "secure-paypa1-help.com") || strings.Contains(string(data), "paypal-00999.com") {
			t.Errorf("the list file does not hold the edits (%v)", err)
		}
		// Regenerating one asset runs the real generator for it alone.
		b.Open("/#/watchlist/example.org", "#asset-regenerate")
		b.Do(chromedp.Click(chromedp.CSS("#asset-regenerate")), chromedp.Click(chromedp.CSS("#asset-regenerate-confirm")))
		b.WaitFor(`document.querySelector('#asset-message').textContent.startsWith('Regenerated: ')`)
		if n := len(a.Watchlist.Current().List["example.org"]); n == 0 {
			t.Error("regenerating example.org left it without homographs")
		}
		if n := len(a.Watchlist.Current().List["paypal.com"]); n != 100_000 {
			t.Errorf("regenerating example.org changed paypal.com (%d names)", n)
		}
		// An admin may stop protecting an asset.
		b.Open("/#/watchlist/example.org", "#asset-delete")
		b.Do(chromedp.Click(chromedp.CSS("#asset-delete")), chromedp.Click(chromedp.CSS("#asset-delete-confirm")))
		b.WaitFor(`location.hash === '#/watchlist' && document.querySelector('#assets tr[data-asset="example.org"]') === null && document.querySelector('#assets') !== null`)
		if got := b.Text("#watchlist-count"); got != "1 protected domain, 100,000 homographs" {
			t.Errorf("count after removal %q", got)
		}
		// Signing out from the top bar ends the session.
		b.Do(chromedp.Click(chromedp.CSS("#logout")))
		b.WaitFor(`document.querySelector('#login-token') !== null && document.getElementById('user').hidden`)
		if got := b.Eval(`fetch('/api/v1/me').then(r => String(r.status))`); got != "401" {
			t.Errorf("after signing out the API answers %s, want 401", got)
		}
	})
}
