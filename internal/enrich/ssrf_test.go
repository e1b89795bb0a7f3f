package enrich

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certhunt/certhunt/internal/enrich/enrichtest"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false,
		"172.16.5.5": false, "169.254.169.254": false, "::1": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false,
		"100.64.0.1": false, "224.0.0.1": false, "::ffff:127.0.0.1": false, "64:ff9b::a00:1": false, "255.255.255.255": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestRDAPRefusesPrivate: a bootstrap pointing at loopback is not followed unless
// allow_private; with it, the same lookup works.
func TestRDAPRefusesPrivate(t *testing.T) {
	srv := startRDAP(t)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	r := &RDAP{Bootstrap: srv.URL + "/dns.json", Client: HTTPClientVia(5*time.Second, false, nil, nil), Now: func() time.Time { return now }}
	if ev := r.Lookup(context.Background(), "paypa1.com"); !strings.Contains(ev.Error, "not a public address") {
		t.Fatalf("private bootstrap: %+v", ev)
	}
	// Redirects dial through the same check (the Dialer's Control sees every connection).
	if err := newGuard(nil, nil, false, time.Second).control("tcp", "[::1]:443", nil); err == nil {
		t.Fatal("loopback accepted")
	}
	r = &RDAP{Bootstrap: srv.URL + "/dns.json", Client: HTTPClientVia(5*time.Second, true, nil, nil), Now: func() time.Time { return now }}
	if ev := r.Lookup(context.Background(), "paypa1.com"); ev.Error != "" || ev.Registrar == "" {
		t.Fatalf("allow_private: %+v", ev)
	}
}

// TestRDAPThroughProxy: with enrich.http.proxy, RDAP's requests go through the proxy; the
// destination's address is still checked first, so a private registry is refused before the
// proxy is asked.
func TestRDAPThroughProxy(t *testing.T) {
	srv := startRDAP(t)
	proxy := enrichtest.NewProxy(t, nil)
	pu, _ := url.Parse(proxy.URL)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	r := &RDAP{Bootstrap: srv.URL + "/dns.json", Client: HTTPClientVia(5*time.Second, true, pu, nil), Now: func() time.Time { return now }}
	if ev := r.Lookup(context.Background(), "paypa1.com"); ev.Error != "" || ev.Registrar == "" {
		t.Fatalf("through the proxy: %+v", ev)
	}
	if log := strings.Join(proxy.Log(), "\n"); !strings.Contains(log, "GET "+srv.URL+"/dns.json") || !strings.Contains(log, "/rdap/domain/paypa1.com") {
		t.Errorf("proxy log:\n%s", log)
	}
	n := len(proxy.Log())
	r = &RDAP{Bootstrap: srv.URL + "/dns.json", Client: HTTPClientVia(5*time.Second, false, pu, nil), Now: func() time.Time { return now }}
	if ev := r.Lookup(context.Background(), "paypa1.com"); !strings.Contains(ev.Error, "not a public address") {
		t.Fatalf("private registry through the proxy: %+v", ev)
	}
	if len(proxy.Log()) != n {
		t.Errorf("the proxy was asked for a private destination: %v", proxy.Log()[n:])
	}
}
