package app

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/config"
	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/issuance/caatest"
	"github.com/certhunt/certhunt/internal/source"
	"github.com/certhunt/certhunt/internal/testcert"
	"github.com/certhunt/certhunt/internal/testinfra"
)

// TestIssuanceEndToEnd follows a loopback log holding certificates for the protected domains'
// own names: from an allowed CA (quiet), from a CA not allowed (precert and final: one
// incident), with a key outside known_keys (a lower-severity incident), one about to expire,
// and, for a domain without a list, CAA records served by a loopback DNS server. certhunt is
// stopped mid-log and started again; nothing is lost or counted twice. Both stores.
func TestIssuanceEndToEnd(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testIssuanceEndToEnd(t, backend) })
	}
}

func testIssuanceEndToEnd(t *testing.T, backend string) {
	database := ""
	if backend == "postgres" {
		database = testinfra.Postgres(t, "PostgreSQL issuance test")
	}
	allowed, err := testcert.New("Loopback CA")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := testcert.New("Loopback CA") // the same CA name, another leaf key
	if err != nil {
		t.Fatal(err)
	}
	evil, err := testcert.New("Evil Issuer")
	if err != nil {
		t.Fatal(err)
	}
	dnsSrv, err := caatest.Start(`example.org. 300 IN CAA 0 issue "loopbackca.test"`)
	if err != nil {
		t.Fatal(err)
	}
	defer dnsSrv.Close()

	now := time.Now().UTC()
	valid := testcert.Options{NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(80 * 24 * time.Hour)}
	expiring := testcert.Options{NotBefore: now.Add(-80 * 24 * time.Hour), NotAfter: now.Add(5 * 24 * time.Hour)}
	known, err := allowed.Issue([]string{"probe.example.com"}, valid)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := x509.ParseCertificate(known)
	sum := sha256.Sum256(x.RawSubjectPublicKeyInfo)

	var entries []ctlogtest.Entry
	addPair := func(ca *testcert.CA, opts testcert.Options, names ...string) (pre, final ctlogtest.Entry) {
		p, err := ca.Pair(names, opts)
		if err != nil {
			t.Fatal(err)
		}
		return ctlogtest.Entry{Precert: p.Precert, Chain: [][]byte{p.Issuer, ca.RootDER}}, ctlogtest.Entry{Cert: p.Final, Chain: ca.Chain()}
	}
	var filler []ctlogtest.Entry
	for i := range 60 {
		der, err := allowed.Issue([]string{fmt.Sprintf("host%d.shop%d.net", i, i)}, valid)
		if err != nil {
			t.Fatal(err)
		}
		filler = append(filler, ctlogtest.Entry{Cert: der, Chain: allowed.Chain()})
	}
	okPre, okFinal := addPair(allowed, valid, "www.example.com", "example.com")
	evilPre, evilFinal := addPair(evil, valid, "login.example.com")
	_, keyFinal := addPair(otherKey, valid, "api.example.com")
	_, oldFinal := addPair(allowed, expiring, "old.example.com")
	caaOKPre, caaOKFinal := addPair(allowed, valid, "www.example.org")
	caaEvilPre, caaEvilFinal := addPair(evil, valid, "shop.example.org")
	own := []ctlogtest.Entry{okPre, evilPre, okFinal, keyFinal, caaOKPre, caaEvilPre, oldFinal, evilFinal, caaOKFinal, caaEvilFinal}
	for i, e := range own { // one own certificate every 6 entries, so a stop lands between them
		entries = append(entries, filler[i*6:i*6+6]...)
		entries[len(entries)-3] = e
	}
	_, rfc := newRFC6962(t)
	rfc.SetFaults(ctlogtest.Faults{BatchCap: 4, UnavailableEvery: 3})
	half := len(entries) / 2 // the precert of login.example.com is in the first half, its final cert in the second
	addPublish(t, rfc, entries[:half]...)
	total := int64(len(entries))

	cfg := testConfig(t, `{"example.com": [], "example.org": []}`, rfc.Info())
	cfg.Database = database
	cfg.Issuance = config.Issuance{Enabled: true, CAA: true, Resolvers: []string{dnsSrv.Addr},
		Domains:      map[string]config.IssuanceDomain{"example.com": {AllowedIssuers: []string{"loopback ca"}, KnownKeys: []string{hex.EncodeToString(sum[:])}}},
		ExpiryWindow: 30 * 24 * time.Hour, NewNameWindow: 7 * 24 * time.Hour}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	h := start(t, cfg)
	h.waitFor("the first half read", func() bool { return h.caughtUp(map[string]int64{rfc.Info().URL: int64(half)}) })
	h.stop()
	addPublish(t, rfc, entries[half:]...)
	h = start(t, cfg)
	h.waitFor("the whole log read", func() bool { return h.caughtUp(map[string]int64{rfc.Info().URL: total}) })
	var sources struct{ Sources []source.Status }
	h.get("/api/v1/sources", &sources)
	if got := sources.Sources[0].EntriesProcessed; got != total-int64(half) {
		t.Fatalf("after the restart %d entries were processed, want %d", got, total-int64(half))
	}

	var list struct{ Incidents []incident.Incident }
	h.get("/api/v1/incidents?limit=50", &list)
	got := map[string]incident.Incident{}
	for _, inc := range list.Incidents {
		got[inc.Asset+" | "+inc.RegisteredDomain] = inc
	}
	if len(list.Incidents) != 3 {
		t.Fatalf("want 3 issuance incidents, got %d: %+v", len(list.Incidents), got)
	}
	for key, want := range map[string]struct {
		domain, rule, severity string
		certs                  int
	}{
		"example.com | example.com (issuer: evil issuer)": {"login.example.com", "unauthorized-issuer", "critical", 2},
		"example.com | example.com (issuer: loopback ca)": {"api.example.com", "unexpected-key", "medium", 1},
		"example.org | example.org (issuer: evil issuer)": {"shop.example.org", "unauthorized-issuer", "critical", 2},
	} {
		inc, ok := got[key]
		if !ok {
			t.Errorf("no incident %q", key)
			continue
		}
		var full incident.Incident
		h.get("/api/v1/incidents/"+inc.ID, &full)
		if full.Matched.Kind != "issuance" || full.Domain != want.domain || full.Reasons[0].Rule != want.rule ||
			full.Severity != want.severity || len(full.Certificates) != want.certs || full.Sightings != want.certs {
			t.Errorf("incident %q: kind %s, domain %s, reasons %+v, severity %s, %d certificates, %d sightings; want %+v",
				key, full.Matched.Kind, full.Domain, full.Reasons, full.Severity, len(full.Certificates), full.Sightings, want)
		}
		if want.rule == "unauthorized-issuer" && !strings.Contains(full.Reasons[0].Detail, `"Evil Issuer"`) {
			t.Errorf("incident %q: the reason does not name the issuer: %s", key, full.Reasons[0].Detail)
		}
	}

	var inv struct {
		Names []incident.OwnName
		Certs []incident.OwnCertificate `json:"certificates"`
	}
	h.get("/api/v1/inventory?domain=example.com", &inv)
	if len(inv.Certs) != 6 {
		t.Fatalf("inventory of example.com: %d certificates, want 6 (replays must not add any): %+v", len(inv.Certs), inv.Certs)
	}
	var names []string
	for _, n := range inv.Names {
		names = append(names, n.Name)
		if n.Expiring != (n.Name == "old.example.com") || !n.New {
			t.Errorf("name %+v: want expiring only for old.example.com, and every name new", n)
		}
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "api.example.com example.com login.example.com old.example.com www.example.com" {
		t.Errorf("inventory names: %v", names)
	}
	verdicts := map[string]int{}
	for _, c := range inv.Certs {
		verdicts[c.Verdict]++
		if c.SPKISHA256 == "" || c.Issuer.O == "" {
			t.Errorf("inventory certificate without key or issuer: %+v", c)
		}
	}
	if verdicts["allowed"] != 3 || verdicts["unauthorized-issuer"] != 2 || verdicts["unexpected-key"] != 1 {
		t.Errorf("inventory verdicts: %v", verdicts)
	}
	// The expiry sweep (issuance.notify_expiring) reports old.example.com once, however often it runs.
	for range 2 {
		if err := h.app.sweepExpiring(context.Background(), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	h.get("/api/v1/incidents?q="+url.QueryEscape("example.com (expiring)"), &list)
	if len(list.Incidents) != 1 || list.Incidents[0].Domain != "old.example.com" || list.Incidents[0].Severity != "low" ||
		list.Incidents[0].Sightings != 1 || list.Incidents[0].Reasons[0].Rule != "expiring" ||
		!strings.Contains(list.Incidents[0].Reasons[0].Detail, "no renewal") {
		t.Errorf("expiry incident: %+v", list.Incidents)
	}
	var org struct {
		Certs []incident.OwnCertificate `json:"certificates"`
	}
	h.get("/api/v1/inventory?domain=EXAMPLE.org", &org)
	if len(org.Certs) != 4 {
		t.Errorf("inventory of example.org: %d certificates, want 4", len(org.Certs))
	}
}
