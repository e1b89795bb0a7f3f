package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/testcert"
)

// record opens an incident for domain under asset with a certificate of its own (unique
// SHA-256, no parsable DER, so no key link) and returns its ID.
func record(t *testing.T, s *Store, asset, domain string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(asset + "/" + domain))
	c := cert(hex.EncodeToString(sum[:]), 1, certs.X509)
	c.DNSNames = []string{domain}
	ch, err := s.Record(context.Background(), alert(asset, domain, 70, "high"), c)
	if err != nil {
		t.Fatal(err)
	}
	return ch.Incident.ID
}

func enrichWith(t *testing.T, s *Store, id string, dns *DNSEvidence, rdap *RDAPEvidence) {
	t.Helper()
	if err := s.SetEnrichment(context.Background(), id, Enrichment{CheckedAt: time.Now(), DNS: dns, RDAP: rdap}); err != nil {
		t.Fatal(err)
	}
}

// members lists the campaigns as sets of incident IDs, for comparing.
func members(t *testing.T, s *Store) [][]string {
	t.Helper()
	list, err := s.Campaigns(context.Background(), CampaignFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, c := range list {
		full, err := s.Campaign(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range full.Incidents {
			ids = append(ids, m.ID)
		}
		out = append(out, ids)
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

func TestCampaignGrouping(t *testing.T) { eachBackend(t, testCampaignGrouping) }

func testCampaignGrouping(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)

	// A lone incident is no campaign.
	lone := record(t, s, "paypal.com", "paypa1.com")
	enrichWith(t, s, lone, &DNSEvidence{Status: DNSResolves, A: []string{"198.51.100.9"}}, nil)
	if got := members(t, s); len(got) != 0 {
		t.Fatalf("one incident made campaigns %v", got)
	}

	// A shared address links two incidents of different assets.
	a := record(t, s, "paypal.com", "paypal-login.com")
	b := record(t, s, "example.org", "examp1e-secure.org")
	enrichWith(t, s, a, &DNSEvidence{Status: DNSResolves, A: []string{"203.0.113.7"}}, nil)
	enrichWith(t, s, b, &DNSEvidence{Status: DNSResolves, A: []string{"203.0.113.7", "203.0.113.8"}}, nil)
	if got, want := members(t, s), [][]string{{a, b}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("shared IP: campaigns %v, want %v", got, want)
	}
	c, err := s.Campaign(ctx, "c"+a)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "c"+a || c.Size != 2 || c.Open != 2 || c.Severity != "high" || fmt.Sprint(c.Assets) != "[example.org paypal.com]" ||
		len(c.Shared) == 0 || c.Shared[0] != (Shared{Kind: LinkIP, Value: "203.0.113.7", Count: 2, Links: true}) {
		t.Fatalf("campaign %+v", c)
	}
	if of, err := s.CampaignOf(ctx, a, b, lone); err != nil || of[a] != c.ID || of[b] != c.ID || of[lone] != "" {
		t.Fatalf("CampaignOf: %v %v", of, err)
	}
	// Get carries it too, so that notifications built from Get name the campaign.
	if inc, err := s.Get(ctx, a); err != nil {
		t.Fatal(err)
	} else if inc.Campaign != c.ID {
		t.Fatalf("Get: campaign %q, want %s", inc.Campaign, c.ID)
	}

	// The same registrar and creation day link; another day does not.
	day := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	other := day.AddDate(0, 0, 1)
	r1 := record(t, s, "bank.com", "bank-verify.com")
	r2 := record(t, s, "bank.com", "bank-secure.net")
	r3 := record(t, s, "bank.com", "bank-help.net")
	enrichWith(t, s, r1, nil, &RDAPEvidence{Registrar: "Evil  Registrar, Inc.", Created: &day})
	later := day.Add(5 * time.Hour)
	enrichWith(t, s, r2, nil, &RDAPEvidence{Registrar: "evil registrar, inc.", Created: &later})
	enrichWith(t, s, r3, nil, &RDAPEvidence{Registrar: "Evil Registrar, Inc.", Created: &other})
	if got, want := members(t, s), [][]string{{a, b}, {r1, r2}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("registrar+day: campaigns %v, want %v", got, want)
	}

	// A look that no longer sees the address unlinks the incident.
	enrichWith(t, s, b, &DNSEvidence{Status: DNSResolves, A: []string{"203.0.113.8"}}, nil)
	if got, want := members(t, s), [][]string{{r1, r2}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after the address moved: campaigns %v, want %v", got, want)
	}
	if _, err := s.Campaign(ctx, "c"+a); err != ErrCampaignNotFound {
		t.Fatalf("dissolved campaign: %v", err)
	}
}

func TestCampaignSharedKeyAndCertificate(t *testing.T) {
	eachBackend(t, testCampaignSharedKeyAndCertificate)
}

func testCampaignSharedKeyAndCertificate(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	caA, err := testcert.New("campaign A")
	if err != nil {
		t.Fatal(err)
	}
	caB, err := testcert.New("campaign B")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *testcert.CA, names ...string) *certs.Cert {
		der, err := ca.Issue(names, testcert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := certs.Parse(&certs.Entry{DER: der, Type: certs.X509, Log: certs.LogRef{Name: "log", URL: "http://log"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rec := func(asset, domain string, c *certs.Cert) string {
		ch, err := s.Record(ctx, alert(asset, domain, 70, "medium"), c)
		if err != nil {
			t.Fatal(err)
		}
		return ch.Incident.ID
	}
	// Two certificates with one key (caA's leaves share it) link; caB's key is another.
	k1 := rec("paypal.com", "paypal-account.com", issue(caA, "paypal-account.com"))
	k2 := rec("paypal.com", "paypal-billing.com", issue(caA, "paypal-billing.com"))
	k3 := rec("paypal.com", "paypal-refund.com", issue(caB, "paypal-refund.com"))
	// One certificate naming two lookalikes of two assets links their incidents.
	caC, err := testcert.New("campaign C")
	if err != nil {
		t.Fatal(err)
	}
	both := issue(caC, "amaz0n-gift.com", "app1e-id.com")
	c1 := rec("amazon.com", "amaz0n-gift.com", both)
	c2 := rec("apple.com", "app1e-id.com", both)
	got := members(t, s)
	if want := [][]string{{k1, k2}, {c1, c2}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("campaigns %v, want %v (k3 %s alone)", got, want, k3)
	}
	c, err := s.Campaign(ctx, "c"+c1)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, sh := range c.Shared {
		kinds[sh.Kind] = sh.Links
	}
	// The certificate and its key link; the shared issuer is shown but links nothing.
	if !kinds[LinkCert] || !kinds[LinkKey] || kinds[LinkIssuer] {
		t.Fatalf("shared %+v", c.Shared)
	}
	if _, ok := kinds[LinkIssuer]; !ok {
		t.Fatalf("issuer not listed: %+v", c.Shared)
	}
}

// A big shared provider (a CDN address, shared name servers, the same issuer) held by many
// incidents of several assets does not merge them; a campaign of one brand on one address
// stays whole however large.
func TestCampaignCommonValueDoesNotMerge(t *testing.T) {
	eachBackend(t, testCampaignCommonValueDoesNotMerge)
}

func testCampaignCommonValueDoesNotMerge(t *testing.T, open opener) {
	s := open(t)
	assets := []string{"paypal.com", "example.org", "bank.com"}
	cdn := []string{"104.16.1.1"}
	ns := []string{"ada.ns.cloudflare.com.", "bob.ns.cloudflare.com"}
	var ids []string
	for i := range CommonAbove + 2 {
		asset := assets[i%len(assets)]
		id := record(t, s, asset, fmt.Sprintf("lookalike-%02d-%s", i, asset))
		enrichWith(t, s, id, &DNSEvidence{Status: DNSResolves, A: cdn, NS: ns}, nil)
		ids = append(ids, id)
	}
	if got := members(t, s); len(got) != 0 {
		t.Fatalf("a CDN address and name servers shared by %d incidents of %d assets made campaigns %v", len(ids), len(assets), got)
	}
	// Two of them also share an address of their own: those two are a campaign, and the
	// common values are listed as not linking.
	for _, id := range ids[:2] {
		enrichWith(t, s, id, &DNSEvidence{Status: DNSResolves, A: append([]string{"203.0.113.50"}, cdn...), NS: ns}, nil)
	}
	if got, want := members(t, s), [][]string{{ids[0], ids[1]}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("campaigns %v, want %v", got, want)
	}
	c, err := s.Campaign(context.Background(), "c"+ids[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range c.Shared {
		if sh.Links != (sh.Value == "203.0.113.50") || sh.Common != (sh.Kind != LinkCert && sh.Value != "203.0.113.50" && sh.Kind != LinkIssuer) {
			t.Errorf("shared %+v", sh)
		}
	}

	// One brand's campaign of many names on one address stays one campaign.
	s2 := open(t)
	var one []string
	for i := range CommonAbove + 5 {
		id := record(t, s2, "paypal.com", fmt.Sprintf("paypal-%02d.com", i))
		enrichWith(t, s2, id, &DNSEvidence{Status: DNSResolves, A: []string{"203.0.113.99"}}, nil)
		one = append(one, id)
	}
	if got := members(t, s2); len(got) != 1 || len(got[0]) != len(one) {
		t.Fatalf("one-brand campaign: %v", got)
	}
	// Many registrations of one brand's lookalikes at one registrar on one day are not one
	// campaign by that alone.
	s4 := open(t)
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for i := range CommonAbove + 1 {
		id := record(t, s4, "paypal.com", fmt.Sprintf("paypal-reg%02d.com", i))
		enrichWith(t, s4, id, nil, &RDAPEvidence{Registrar: "Big Registrar", Created: &day})
	}
	if got := members(t, s4); len(got) != 0 {
		t.Fatalf("one busy registrar day: campaigns %v", got)
	}
	// Parked domains and private addresses link nothing.
	s3 := open(t)
	p1, p2 := record(t, s3, "paypal.com", "paypa1.net"), record(t, s3, "paypal.com", "paypa2.net")
	for _, id := range []string{p1, p2} {
		enrichWith(t, s3, id, &DNSEvidence{Status: DNSResolves, A: []string{"203.0.113.1", "10.0.0.1"}, NS: ns, Parked: true, ParkingNS: "ns1.parking.example"}, nil)
	}
	q1, q2 := record(t, s3, "paypal.com", "paypa3.net"), record(t, s3, "paypal.com", "paypa4.net")
	for _, id := range []string{q1, q2} {
		enrichWith(t, s3, id, &DNSEvidence{Status: DNSResolves, A: []string{"127.0.0.1", "10.0.0.1", "::1"}}, nil)
	}
	if got := members(t, s3); len(got) != 0 {
		t.Fatalf("parked and private: campaigns %v", got)
	}
}

func TestCloseCampaign(t *testing.T) { eachBackend(t, testCloseCampaign) }

func testCloseCampaign(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	a, b, c := record(t, s, "paypal.com", "paypal-a.com"), record(t, s, "paypal.com", "paypal-b.com"), record(t, s, "paypal.com", "paypal-c.com")
	for _, id := range []string{a, b, c} {
		enrichWith(t, s, id, &DNSEvidence{Status: DNSResolves, A: []string{"203.0.113.3"}}, nil)
	}
	closed := StatusClosed
	note := "mine"
	if _, err := s.Update(ctx, c, Patch{Status: &closed, Author: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, b, Patch{Note: &note, Author: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CloseCampaign(ctx, "c"+a, "maybe", "", "alice"); err == nil {
		t.Fatal("a bad verdict was accepted")
	}
	if _, _, err := s.CloseCampaign(ctx, "c999", VerdictTruePositive, "", "alice"); err != ErrCampaignNotFound {
		t.Fatalf("unknown campaign: %v", err)
	}
	after, ids, err := s.CloseCampaign(ctx, "c"+a, VerdictTruePositive, "one phishing kit", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != fmt.Sprint([]string{a, b}) || after.Open != 0 || after.Status[StatusClosed] != 3 {
		t.Fatalf("closed %v, campaign %+v", ids, after)
	}
	inc, err := s.Get(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Status != StatusClosed || inc.Verdict != VerdictTruePositive || inc.Note != "mine\n\none phishing kit" {
		t.Fatalf("incident %s: %s %s %q", b, inc.Status, inc.Verdict, inc.Note)
	}
	var trail []string
	for _, e := range inc.History {
		trail = append(trail, e.Field+"="+e.Author)
	}
	if fmt.Sprint(trail) != "[note=bob status=alice verdict=alice note=alice]" {
		t.Fatalf("history %v", trail)
	}
}

// Hostile DNS and RDAP answers cost bounded rows: at most maxAddresses addresses a look, values
// cut to maxLinkValue bytes, invalid UTF-8 and NUL stored on PostgreSQL too.
func TestCampaignLinksBounded(t *testing.T) { eachBackend(t, testCampaignLinksBounded) }

func testCampaignLinksBounded(t *testing.T, open opener) {
	s := open(t)
	id := record(t, s, "paypal.com", "paypa1.com")
	var ips []string
	for i := range 1000 {
		ips = append(ips, fmt.Sprintf("203.0.%d.%d", i/250, i%250), "not an address")
	}
	day := time.Now()
	huge := strings.Repeat("Registrar \x00\xff ", 2000)
	enrichWith(t, s, id, &DNSEvidence{Status: DNSResolves, A: ips, NS: []string{strings.Repeat("n", 5000)}},
		&RDAPEvidence{Registrar: huge, Created: &day})
	var n, long int
	if err := s.db.QueryRowContext(context.Background(), `SELECT count(*), coalesce(max(length(value)), 0) FROM infra_links WHERE incident_id = $1`, id).Scan(&n, &long); err != nil {
		t.Fatal(err)
	}
	// the certificate (the test certificate has no issuer, its DER no key), the addresses, ns, registration
	if n != 1+maxAddresses+2 || long > maxLinkValue {
		t.Fatalf("%d rows, longest %d", n, long)
	}
}
