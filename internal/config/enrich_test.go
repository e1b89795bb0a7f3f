package config

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestEnrichConfig(t *testing.T) {
	c, err := Parse([]byte("enrich:\n  dns: {resolvers: ['127.0.0.1:5353']}\n  rdap: {bootstrap: testdata/dns.json}\n  recheck: [10m, 2h]\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	e := c.Enrich
	if !e.Enabled || !e.RDAP.Enabled || e.DNS.Resolvers[0] != "127.0.0.1:5353" || len(e.Recheck) != 2 || e.Recheck[1] != 2*time.Hour ||
		e.QueueSize != DefaultEnrichQueue || e.AllowPrivate {
		t.Fatalf("enrich = %+v", e)
	}
	c, err = Parse([]byte("enrich:\n  screenshot: {enabled: true, chromium: /opt/chrome/chrome}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := c.Enrich.Screenshot; !s.Enabled || s.Chromium != "/opt/chrome/chrome" || s.Tabs != DefaultScreenshotTabs || s.Timeout != DefaultScreenshotTimeout {
		t.Fatalf("screenshot = %+v", s)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"enrich:\n  dns: {resolvers: [localhost]}\n", `enrich.dns.resolvers[0]: "localhost" is not host:port`},
		{"enrich:\n  rdap: {bootstrap: 'ftp://x/y'}\n", `enrich.rdap.bootstrap: "ftp://x/y": scheme must be one of http, https`},
		{"enrich:\n  rdap: {bootstrap: ''}\n", "enrich.rdap.bootstrap: must be a URL or a file"},
		{"enrich:\n  recheck: [1s]\n", "enrich.recheck[0]: 1s is shorter than 1m"},
		{"enrich:\n  queue_size: 0\n", "enrich.queue_size: 0 is not between 1 and 1000000"},
		{"enrich:\n  concurrency: 100\n", "enrich.concurrency: 100 is not between 1 and 64"},
		{"enrich:\n  rate: 0\n", "enrich.rate: 0 is not between 0 and 1000"},
		{"enrich:\n  dns: {timeout: 0s}\n", "enrich.dns.timeout: 0s is not between 0s and 1m"},
		{"enrich:\n  http: {proxy: 'http://proxy:3128/x'}\n", `enrich.http.proxy: "http://proxy:3128/x": a proxy URL has no path or query`},
		{"enrich:\n  http: {proxy: 'proxy:3128'}\n", `enrich.http.proxy: "proxy:3128"`},
		{"enrich:\n  http: {timeout: 0s}\n", "enrich.http.timeout: 0s is not between 0s and 1m"},
		{"enrich:\n  http: {proxy: 'socks://x'}\n", `enrich.http.proxy: "socks://x": scheme must be one of http, https`},
		{"enrich:\n  screenshot: {tabs: 0}\n", "enrich.screenshot.tabs: 0 is not between 1 and 16"},
		{"enrich:\n  screenshot: {timeout: 10m}\n", "enrich.screenshot.timeout: 10m0s is not between 1s and 2m"},
		{"enrich:\n  htpp: {}\n", `unknown key "htpp"`},
	} {
		c, err := Parse([]byte(tc.yaml), "test.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

func TestEnrichFlagsAndEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Register(fs)
	if err := fs.Parse([]string{"-enrich=false", "-dns-resolvers", "127.0.0.1:53, [::1]:53", "-allow-private"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CERTHUNT_RDAP_BOOTSTRAP": "/x/dns.json"}
	c, err := f.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Enrich.Enabled || strings.Join(c.Enrich.DNS.Resolvers, "|") != "127.0.0.1:53|[::1]:53" || !c.Enrich.AllowPrivate ||
		c.Enrich.RDAP.Bootstrap != "/x/dns.json" {
		t.Fatalf("enrich = %+v", c.Enrich)
	}
}
