package issuance

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/homograph"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/issuance/caatest"
	"github.com/certhunt/certhunt/internal/testcert"
	"github.com/certhunt/certhunt/internal/watchlist"
)

var (
	casOnce           sync.Once
	allowedCA, evilCA *testcert.CA
	otherKeyCA        *testcert.CA // the allowed CA's name with another leaf key
	casErr            error
)

func testCAs(t *testing.T) {
	t.Helper()
	casOnce.Do(func() {
		if allowedCA, casErr = testcert.New("Loopback CA"); casErr != nil {
			return
		}
		if otherKeyCA, casErr = testcert.New("Loopback CA"); casErr != nil {
			return
		}
		evilCA, casErr = testcert.New("Evil Issuer")
	})
	if casErr != nil {
		t.Fatal(casErr)
	}
}

func parse(t *testing.T, der []byte, typ certs.EntryType, index int64) *certs.Cert {
	t.Helper()
	c, err := certs.Parse(&certs.Entry{Log: certs.LogRef{Name: "test", URL: "http://log/"}, Index: index, Type: typ, DER: der,
		Timestamp: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pair(t *testing.T, ca *testcert.CA, names ...string) (pre, final *certs.Cert) {
	t.Helper()
	p, err := ca.Pair(names, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, p.Precert, certs.Precert, 1), parse(t, p.Final, certs.X509, 2)
}

func state(keys ...string) *watchlist.State {
	l := homograph.List{}
	for _, k := range keys {
		l[k] = []string{}
	}
	return &watchlist.State{List: l}
}

type memInventory struct {
	mu    sync.Mutex
	certs []incident.OwnCertificate
	seen  map[string]string
}

func (m *memInventory) RecordOwn(_ context.Context, c incident.OwnCertificate) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]string{}
	}
	m.certs = append(m.certs, c)
	var out []string
	for _, n := range c.Names {
		if _, ok := m.seen[n]; !ok {
			m.seen[n] = c.SHA256
		}
		if m.seen[n] == c.SHA256 {
			out = append(out, n)
		}
	}
	return out, nil
}

func TestAllowedAndUnauthorizedIssuers(t *testing.T) {
	testCAs(t)
	inv := &memInventory{}
	st := state("example.com")
	c, err := New(Options{Global: Policy{AllowedIssuers: []string{"loopback ca"}}, Assets: func() *watchlist.State { return st }, Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pre, final := pair(t, allowedCA, "www.example.com", "example.com")
	for _, cert := range []*certs.Cert{pre, final} {
		if alerts, err := c.Check(ctx, cert); err != nil || len(alerts) != 0 {
			t.Fatalf("allowed issuer: %+v, %v", alerts, err)
		}
	}
	if len(inv.certs) != 2 || inv.certs[0].Verdict != VerdictAllowed || inv.certs[0].SPKISHA256 == "" ||
		inv.certs[0].Names[0] != "www.example.com" || inv.certs[0].Asset != "example.com" {
		t.Fatalf("inventory: %+v", inv.certs)
	}

	pre, final = pair(t, evilCA, "login.example.com", "unrelated.org")
	var keys []string
	for _, cert := range []*certs.Cert{pre, final} {
		alerts, err := c.Check(ctx, cert)
		if err != nil || len(alerts) != 1 {
			t.Fatalf("evil issuer: %+v, %v", alerts, err)
		}
		a := alerts[0]
		if a.Asset != "example.com" || a.Domain != "login.example.com" || a.Matched.Kind != "issuance" || a.Matched.Value != "Evil Issuer" ||
			a.Reasons[0].Rule != RuleUnauthorizedIssuer || !strings.Contains(a.Reasons[0].Detail, `"Evil Issuer"`) ||
			a.Severity != "critical" || !a.Incident {
			t.Fatalf("alert = %+v", a)
		}
		keys = append(keys, a.Asset+"|"+a.RegisteredDomain)
	}
	if keys[0] != keys[1] || keys[0] != "example.com|example.com (issuer: evil issuer)" {
		t.Fatalf("precert and final must share one incident key: %q", keys)
	}
	// the name of another domain, and a name that only ends like the asset, are not own names
	other, _ := pair(t, evilCA, "notexample.com", "example.com.evil.net")
	if alerts, err := c.Check(ctx, other); err != nil || len(alerts) != 0 {
		t.Fatalf("foreign names: %+v, %v", alerts, err)
	}
}

func TestPerDomainPolicyReplacesGlobal(t *testing.T) {
	testCAs(t)
	c, err := New(Options{Global: Policy{AllowedIssuers: []string{"Loopback CA"}},
		Domains: map[string]Policy{"shop.example.com": {AllowedIssuers: []string{"Evil Issuer Intermediate"}}},
		Assets:  func() *watchlist.State { return state("example.com") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, evilShop := pair(t, evilCA, "pay.shop.example.com")
	if alerts, _ := c.Check(ctx, evilShop); len(alerts) != 0 {
		t.Fatalf("CN allowed for shop.example.com: %+v", alerts)
	}
	_, goodShop := pair(t, allowedCA, "pay.shop.example.com")
	alerts, _ := c.Check(ctx, goodShop)
	if len(alerts) != 1 || alerts[0].Asset != "shop.example.com" {
		t.Fatalf("the global list does not apply to shop.example.com: %+v", alerts)
	}
	// issuance.domains keys are protected even when the homograph list lacks them
	c2, _ := New(Options{Domains: map[string]Policy{"example.net": {AllowedIssuers: []string{"Loopback CA"}}}})
	_, evilNet := pair(t, evilCA, "example.net")
	if alerts, _ := c2.Check(ctx, evilNet); len(alerts) != 1 {
		t.Fatalf("example.net: %+v", alerts)
	}
}

func TestNoPolicyStaysQuiet(t *testing.T) {
	testCAs(t)
	inv := &memInventory{}
	c, _ := New(Options{Assets: func() *watchlist.State { return state("example.com") }, Inventory: inv})
	_, final := pair(t, evilCA, "www.example.com")
	if alerts, err := c.Check(context.Background(), final); err != nil || len(alerts) != 0 {
		t.Fatalf("%+v, %v", alerts, err)
	}
	if len(inv.certs) != 1 || inv.certs[0].Verdict != VerdictUnchecked {
		t.Fatalf("inventory: %+v", inv.certs)
	}
}

func spkiOf(t *testing.T, der []byte) string {
	t.Helper()
	x, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(x.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

func TestKnownKeys(t *testing.T) {
	testCAs(t)
	known, err := allowedCA.Issue([]string{"www.example.com"}, testcert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := spkiOf(t, known)
	if got, err := certs.SPKISHA256(known); err != nil || got != key {
		t.Fatalf("SPKISHA256 = %s, %v; want %s", got, err, key)
	}
	p, _ := allowedCA.Pair([]string{"x.example.com"}, testcert.Options{})
	if got, err := certs.SPKISHA256(p.TBS); err != nil || got != key {
		t.Fatalf("SPKISHA256 of a TBSCertificate = %s, %v; want %s", got, err, key)
	}
	if _, err := certs.SPKISHA256([]byte{0x30, 0x03, 0x02, 0x01}); err == nil {
		t.Fatal("garbage: no error")
	}
	c, _ := New(Options{Global: Policy{AllowedIssuers: []string{"Loopback CA"}, KnownKeys: []string{strings.ToUpper(key)}},
		Assets: func() *watchlist.State { return state("example.com") }})
	ctx := context.Background()
	if alerts, _ := c.Check(ctx, parse(t, known, certs.X509, 1)); len(alerts) != 0 {
		t.Fatalf("known key: %+v", alerts)
	}
	pre, final := pair(t, otherKeyCA, "www.example.com")
	for _, cert := range []*certs.Cert{pre, final} {
		alerts, _ := c.Check(ctx, cert)
		if len(alerts) != 1 || alerts[0].Reasons[0].Rule != RuleUnexpectedKey || alerts[0].Severity != "medium" ||
			alerts[0].Matched.Value == key || alerts[0].RegisteredDomain != "example.com (issuer: loopback ca)" {
			t.Fatalf("unknown key: %+v", alerts)
		}
	}
	// a disallowed issuer is reported as such, whatever the key
	_, evil := pair(t, evilCA, "www.example.com")
	if alerts, _ := c.Check(ctx, evil); len(alerts) != 1 || alerts[0].Reasons[0].Rule != RuleUnauthorizedIssuer {
		t.Fatalf("evil: %+v", alerts)
	}
}

func TestNotifyNewNames(t *testing.T) {
	testCAs(t)
	c, _ := New(Options{Assets: func() *watchlist.State { return state("example.com") }, Inventory: &memInventory{}, NotifyNewNames: true})
	ctx := context.Background()
	pre, final := pair(t, allowedCA, "new.example.com")
	alerts, _ := c.Check(ctx, pre)
	if len(alerts) != 1 || alerts[0].Reasons[0].Rule != RuleNewName || alerts[0].Severity != "low" || alerts[0].Domain != "new.example.com" {
		t.Fatalf("new name: %+v", alerts)
	}
	if alerts, _ := c.Check(ctx, final); len(alerts) != 0 {
		t.Fatalf("seen before: %+v", alerts)
	}
}

func TestCAAFromLoopbackDNS(t *testing.T) {
	testCAs(t)
	dnsSrv, err := caatest.Start(`
example.com. 300 IN CAA 0 issue "loopbackca.test; accounturi=https://acme/1"
example.com. 300 IN CAA 0 issuewild ";"
locked.example.org. 300 IN CAA 0 issue ";"
`)
	if err != nil {
		t.Fatal(err)
	}
	defer dnsSrv.Close()
	dnsSrv.Fail("broken.example.net")
	lookup := &CachedCAA{Lookup: &DNSCAA{Servers: []string{dnsSrv.Addr}, Timeout: 5 * time.Second}}
	inv := &memInventory{}
	c, _ := New(Options{CAA: lookup, Inventory: inv, Assets: func() *watchlist.State {
		return state("example.com", "example.org", "example.net", "example.io")
	}})
	ctx := context.Background()
	check := func(ca *testcert.CA, name string) []string {
		t.Helper()
		_, final := pair(t, ca, name)
		alerts, err := c.Check(ctx, final)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range alerts {
			out = append(out, a.Reasons[0].Rule+": "+a.Reasons[0].Detail)
		}
		return out
	}
	if got := check(allowedCA, "a.b.example.com"); len(got) != 0 {
		t.Fatalf("CAA names the issuer (found at the parent): %v", got)
	}
	if got := check(evilCA, "www.example.com"); len(got) != 1 || !strings.Contains(got[0], "CAA issue records of example.com do not name (loopbackca.test)") {
		t.Fatalf("evil issuer under CAA: %v", got)
	}
	if got := check(allowedCA, "*.example.com"); len(got) != 1 || !strings.Contains(got[0], "issuewild") {
		t.Fatalf("wildcard under issuewild \";\": %v", got)
	}
	if got := check(allowedCA, "x.locked.example.org"); len(got) != 1 || !strings.Contains(got[0], "no CA") {
		t.Fatalf("issue \";\": %v", got)
	}
	if got := check(evilCA, "www.example.io"); len(got) != 0 {
		t.Fatalf("no CAA records: anyone may issue: %v", got)
	}
	if got := check(evilCA, "broken.example.net"); len(got) != 0 {
		t.Fatalf("SERVFAIL: %v", got)
	}
	if last := inv.certs[len(inv.certs)-1]; last.Verdict != VerdictUnchecked || !strings.Contains(last.Detail, "SERVFAIL") {
		t.Fatalf("SERVFAIL must be recorded as unchecked: %+v", last)
	}
	before := dnsSrv.Queries()
	check(evilCA, "www.example.com")
	after := dnsSrv.Queries()
	if after != before {
		t.Fatalf("a cached name was asked again (%d queries, then %d)", before, after)
	}
}

type failingInventory struct{}

func (failingInventory) RecordOwn(context.Context, incident.OwnCertificate) ([]string, error) {
	return nil, errors.New("disk full")
}

func TestInventoryErrorIsReturned(t *testing.T) {
	testCAs(t)
	c, _ := New(Options{Assets: func() *watchlist.State { return state("example.com") }, Inventory: failingInventory{}})
	_, final := pair(t, allowedCA, "example.com")
	if _, err := c.Check(context.Background(), final); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func TestCAAAllows(t *testing.T) {
	for _, tc := range []struct {
		ca     string
		issuer []string
		want   bool
	}{
		{"letsencrypt.org", []string{"Let's Encrypt", "R10"}, true},
		{"digicert.com", []string{"DigiCert Inc", ""}, true},
		{"pki.goog", []string{"Google Trust Services", "WR1"}, true},
		{"sectigo.com", []string{"Sectigo Limited", ""}, true},
		{"comodoca.com", []string{"Sectigo Limited", ""}, true},
		{"ssl.com", []string{"ZeroSSL", ""}, false},
		{"letsencrypt.org", []string{"DigiCert Inc", ""}, false},
		{"", []string{"Let's Encrypt"}, false},
	} {
		if got := caaAllows(tc.ca, tc.issuer); got != tc.want {
			t.Errorf("caaAllows(%q, %q) = %v", tc.ca, tc.issuer, got)
		}
	}
}

func BenchmarkCheckForeignCertificate(b *testing.B) {
	ca, err := testcert.Default()
	if err != nil {
		b.Fatal(err)
	}
	der, _ := ca.Issue([]string{"www.shop-12345.net", "shop-12345.net", "mail.shop-12345.net"}, testcert.Options{})
	cert, _ := certs.Parse(&certs.Entry{DER: der})
	st := state("example.com", "example.org", "paypal.com")
	c, _ := New(Options{Assets: func() *watchlist.State { return st }, Global: Policy{AllowedIssuers: []string{"x"}}})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if alerts, _ := c.Check(ctx, cert); len(alerts) != 0 {
			b.Fatal(alerts)
		}
	}
}
