package enrich

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/incident"
)

const testZone = `
paypa1.com.            300 IN NS    ns1.sedoparking.com.
paypa1.com.            300 IN NS    ns2.sedoparking.com.
www.paypa1.com.        300 IN CNAME paypa1.com.
paypa1.com.            300 IN A     192.0.2.10
paypa1.com.            300 IN AAAA  2001:db8::10
paypa1.com.            300 IN MX    10 mail.paypa1.com.
paypa1.com.            300 IN CAA   0 issue "letsencrypt.org"
paypal-login.net.      300 IN NS    ns1.example-host.net.
*.paypal-login.net.    300 IN A     198.51.100.7
broken.org.            300 IN NS    ns1.broken.org.
`

func TestDNSLookup(t *testing.T) {
	z := startZone(t, testZone)
	z.mu.Lock()
	for i := range 40 { // more than fits in 512 bytes: the answer comes truncated, then over TCP
		z.records["big.org."] = append(z.records["big.org."], mustRR(t, fmt.Sprintf("big.org. 300 IN A 203.0.113.%d", i)))
	}
	z.records["big.org."] = append(z.records["big.org."], mustRR(t, "big.org. 300 IN NS ns1.big.org."))
	z.fail["broken.org."] = true
	z.silent["slow.org."] = true
	z.mu.Unlock()
	d := &DNS{Servers: []string{z.addr}, Timeout: 300 * time.Millisecond}
	ctx := context.Background()

	ev := d.Lookup(ctx, "www.paypa1.com", "paypa1.com")
	if ev.Status != incident.DNSResolves || ev.CNAME != "paypa1.com" || !slices.Equal(ev.A, []string{"192.0.2.10"}) ||
		!slices.Equal(ev.NS, []string{"ns1.sedoparking.com", "ns2.sedoparking.com"}) || !ev.Parked || ev.ParkingNS != "ns1.sedoparking.com" ||
		ev.Wildcard || ev.Error != "" || !slices.Equal(ev.CAA, []string{"0 issue letsencrypt.org"}) {
		t.Errorf("www.paypa1.com (CAA from the parent): %+v", ev)
	}
	ev = d.Lookup(ctx, "paypa1.com", "paypa1.com")
	if !slices.Equal(ev.AAAA, []string{"2001:db8::10"}) || !slices.Equal(ev.MX, []string{"mail.paypa1.com"}) {
		t.Errorf("paypa1.com: %+v", ev)
	}
	ev = d.Lookup(ctx, "secure.paypal-login.net", "paypal-login.net")
	if ev.Status != incident.DNSResolves || !ev.Wildcard || ev.Parked || !slices.Equal(ev.A, []string{"198.51.100.7"}) {
		t.Errorf("wildcard: %+v", ev)
	}
	ev = d.Lookup(ctx, "nothere.com", "nothere.com")
	if ev.Status != incident.DNSNXDomain || len(ev.A) != 0 || ev.Wildcard {
		t.Errorf("nxdomain: %+v", ev)
	}
	ev = d.Lookup(ctx, "broken.org", "broken.org")
	if ev.Status != incident.DNSServFail {
		t.Errorf("servfail: %+v", ev)
	}
	ev = d.Lookup(ctx, "slow.org", "slow.org")
	if ev.Status != incident.DNSTimeout || ev.Error == "" {
		t.Errorf("timeout: %+v", ev)
	}
	ev = d.Lookup(ctx, "big.org", "big.org")
	if ev.Status != incident.DNSResolves || len(ev.A) != maxRecords {
		t.Errorf("big answer: %d addresses, %+v", len(ev.A), ev)
	}
	ev = d.Lookup(ctx, strings.Repeat("a", 70)+".com", "x.com")
	if ev.Status != incident.DNSServFail || !strings.Contains(ev.Error, "is not a DNS name") {
		t.Errorf("bad name: %+v", ev)
	}
	// The wildcard probe of a registered domain is asked once, then cached.
	probes := 0
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, q := range z.queries {
		if strings.HasPrefix(q, "A certhunt-") && strings.HasSuffix(q, ".paypa1.com.") {
			probes++
		}
	}
	if probes != 1 {
		t.Errorf("%d wildcard probes of paypa1.com, want 1", probes)
	}
}

func TestDNSResolvConf(t *testing.T) {
	z := startZone(t, testZone)
	host, _, _ := strings.Cut(z.addr, ":")
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(conf, []byte("nameserver "+host+"\n"), 0o644)
	d := &DNS{ResolvConf: conf}
	if s, err := d.servers(); err != nil || len(s) != 1 || s[0] != host+":53" {
		t.Fatalf("servers %v %v", s, err)
	}
	d = &DNS{ResolvConf: filepath.Join(t.TempDir(), "none")}
	if ev := d.Lookup(context.Background(), "paypa1.com", "paypa1.com"); ev.Status != incident.DNSServFail || !strings.Contains(ev.Error, "no DNS resolvers") {
		t.Fatalf("no resolv.conf: %+v", ev)
	}
}

func TestParkingService(t *testing.T) {
	for ns, want := range map[string]string{"ns1.sedoparking.com.": "sedoparking.com", "NS2.BODIS.COM": "bodis.com",
		"ns1.notsedoparking.com": "", "ns1.google.com": ""} {
		if got := ParkingService(ns); got != want {
			t.Errorf("%s: %q, want %q", ns, got, want)
		}
	}
}
