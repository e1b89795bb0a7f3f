package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/certhunt/certhunt/internal/auth"
	"github.com/certhunt/certhunt/internal/browsertest"
	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/incident"
)

// TestBrowserCampaigns drives the Campaigns view on a real certhunt: two lookalikes whose
// certificates share a key and a third sharing an address with one of them are one campaign; a
// lone incident is none. The campaign page lists its incidents, its shared values (one of them
// hostile markup, shown as text), and closes the open incidents after a confirmation; a viewer
// is offered no close.
func TestBrowserCampaigns(t *testing.T) {
	browsertest.Skip(t)
	cfg := browserConfig(t)
	cfg.Auth.Tokens = []auth.Token{
		{Name: "alice", Token: aliceToken, Role: auth.RoleAnalyst},
		{Name: "victor", Token: victorToken, Role: auth.RoleViewer},
	}
	h := start(t, cfg)
	a := h.app
	ctx := context.Background()
	// testcert's default CA gives every leaf one key: these two share it.
	one := plant(t, a, []string{"paypal-login.com"}, "paypal-login.com", "Test Log", "https://ct.example.net/log/", 1)
	two := plant(t, a, []string{"paypal-verify.net"}, "paypal-verify.net", "Test Log", "https://ct.example.net/log/", 2)
	// The third has no key to share (its source carried no DER) but the second's address.
	alert := a.Watchlist.Index().Evaluate("examp1e-secure.org")
	ch, err := a.Store.Record(ctx, alert, &certs.Cert{SHA256: strings.Repeat("ab", 32), DNSNames: []string{"examp1e-secure.org"},
		Log: certs.LogRef{Name: "Test Log", URL: "https://ct.example.net/log/"}, Index: 3, SeenAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	three := ch.Incident.ID
	lone, err := a.Store.Record(ctx, a.Watchlist.Index().Evaluate("paypa1.org"), &certs.Cert{SHA256: strings.Repeat("cd", 32),
		DNSNames: []string{"paypa1.org"}, Log: certs.LogRef{Name: "Test Log", URL: "https://ct.example.net/log/"}, Index: 4, SeenAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().UTC().Add(-48 * time.Hour)
	for _, id := range []string{two.id, three} {
		if err := a.Store.SetEnrichment(ctx, id, incident.Enrichment{CheckedAt: time.Now(),
			DNS:  &incident.DNSEvidence{Status: incident.DNSResolves, A: []string{"203.0.113.77"}},
			RDAP: &incident.RDAPEvidence{Registrar: evilSubject, Created: &created}}); err != nil {
			t.Fatal(err)
		}
	}
	campaign := "c" + one.id

	viewer := signIn(t, h, victorToken, "victor")
	viewer.Open("/#/campaigns/"+campaign, "#campaign-readonly")
	if got := viewer.Eval(`String(document.querySelector('#campaign-close-button').disabled)`); got != "true" {
		t.Errorf("a viewer's close button disabled: %s", got)
	}

	b := signIn(t, h, aliceToken, "alice")
	b.Open("/#/campaigns", "#campaigns")
	if got := b.Eval(`[...document.querySelectorAll('#campaigns tbody tr')].map(tr => tr.dataset.id).join(' ')`); got != campaign {
		t.Fatalf("campaign rows %q, want %q", got, campaign)
	}
	if got := b.Text("#campaigns tbody tr"); !strings.Contains(got, "203.0.113.77") || !strings.Contains(got, "certificate key") || !strings.Contains(got, "<script>window.__pwned=1…, created ") {
		t.Errorf("the row does not say what links: %q", got)
	}
	if got := b.Eval(`document.querySelector('.nav a.active').dataset.route`); got != "campaigns" {
		t.Errorf("active nav %q", got)
	}
	b.Screenshot("campaigns.png")

	// The incident page links its campaign; the lone incident's has none.
	b.Open("/#/incidents/"+three, "#incident-campaign")
	b.Do(chromedp.Click(chromedp.CSS("#incident-campaign")))
	b.WaitFor(`document.querySelector('#campaign-title') !== null`)
	if got := b.Text("#campaign-title"); got != "Campaign "+campaign {
		t.Errorf("campaign page title %q", got)
	}
	if got := b.Eval(`[...document.querySelectorAll('#campaign-incidents tbody tr')].map(tr => tr.dataset.id).join(' ')`); got != one.id+" "+two.id+" "+three {
		t.Errorf("campaign incidents %q", got)
	}
	shared := b.Text("#campaign-shared")
	for _, want := range []string{"certificate key", "203.0.113.77", "registrar + creation day", "<script>window.__pwned=1</script>"} {
		if !strings.Contains(shared, want) {
			t.Errorf("shared infrastructure %q lacks %q", shared, want)
		}
	}
	if got := b.Eval(`typeof window.__pwned`); got != "undefined" {
		t.Fatalf("a registrar name ran as script: __pwned is %s", got)
	}
	b.Screenshot("campaign.png")

	b.Do(chromedp.SetValue(chromedp.CSS("#campaign-verdict"), "true_positive"),
		chromedp.SendKeys(chromedp.CSS("#campaign-note"), "one kit"),
		chromedp.Click(chromedp.CSS("#campaign-close-button")))
	b.WaitFor(`!document.querySelector('#campaign-confirm-box').hidden`)
	if got := b.Text("#campaign-confirm-box p"); !strings.Contains(got, "Close 3 open incidents") || !strings.Contains(got, "true positive") {
		t.Errorf("confirmation %q", got)
	}
	b.Do(chromedp.Click(chromedp.CSS("#campaign-confirm")))
	b.WaitFor(`document.querySelector('#campaign-all-closed') !== null`)
	if got := b.Text(".notice-ok"); got != "Closed 3 incidents." {
		t.Errorf("flash %q", got)
	}
	b.Screenshot("campaign-closed.png")
	for _, id := range []string{one.id, two.id, three} {
		var inc incident.Incident
		apiGet(t, h.base, "/api/v1/incidents/"+id, aliceToken, &inc)
		if inc.Status != "closed" || inc.Verdict != "true_positive" || inc.Note != "one kit" || inc.Campaign != campaign {
			t.Errorf("incident %s: %s %s %q %q", id, inc.Status, inc.Verdict, inc.Note, inc.Campaign)
		}
		if n := len(inc.History); n == 0 || inc.History[0].Author != "alice" {
			t.Errorf("incident %s history %+v", id, inc.History)
		}
	}
	var l incident.Incident
	apiGet(t, h.base, "/api/v1/incidents/"+lone.Incident.ID, aliceToken, &l)
	if l.Status != "new" || l.Campaign != "" {
		t.Errorf("the lone incident: %s %q", l.Status, l.Campaign)
	}
}
