package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Enrich is the triage evidence gathered for every incident in the background (SPEC.md
// "Enrichment"): DNS records and RDAP registration data. Ingestion never waits for it.
type Enrich struct {
	// Enabled turns enrichment on. It contacts the DNS resolvers and the RDAP servers of the
	// suspect names' registries; turn it off where certhunt must contact nothing but CT logs.
	Enabled bool       `yaml:"enabled"`
	DNS     EnrichDNS  `yaml:"dns"`
	RDAP    EnrichRDAP `yaml:"rdap"`
	// HTTP is the fetch of the suspect site; Screenshot pictures suspect sites that resolve,
	// beside the protected site.
	HTTP       EnrichHTTP       `yaml:"http"`
	Screenshot EnrichScreenshot `yaml:"screenshot"`
	// Recheck are the delays, after each look, before the next; after the last one a name is
	// no longer looked at unless an analyst asks (POST /api/v1/incidents/{id}/enrich).
	Recheck []time.Duration `yaml:"recheck"`
	// AllowPrivate lets enrichment's HTTP requests (RDAP, screenshots) reach private, loopback, link-local
	// and reserved addresses (tests, labs); off, no bootstrap entry, redirect or DNS answer can
	// make certhunt probe the internal network. The DNS resolvers, chosen by the operator, are
	// always contacted.
	AllowPrivate bool `yaml:"allow_private"`
	// QueueSize bounds the incidents waiting to be enriched; beyond it new ones are counted as
	// dropped (and picked up by the recheck schedule), so ingestion never waits.
	QueueSize int `yaml:"queue_size"`
	// Concurrency is how many incidents are enriched at once.
	Concurrency int `yaml:"concurrency"`
	// Rate is the most incidents looked at per second, overall.
	Rate float64 `yaml:"rate"`
	// DomainInterval is the least time between two looks at one registered domain, so that a
	// burst of certificates for one domain costs its registry and resolvers one query.
	DomainInterval time.Duration `yaml:"domain_interval"`
}

// EnrichDNS configures DNS lookups.
type EnrichDNS struct {
	// Resolvers are host:port of recursive resolvers; empty: the system's (/etc/resolv.conf).
	Resolvers []string `yaml:"resolvers"`
	// Timeout bounds one query to one resolver.
	Timeout time.Duration `yaml:"timeout"`
}

// EnrichRDAP configures registration lookups.
type EnrichRDAP struct {
	// Enabled looks up each registered domain's registration (registrar, creation date).
	Enabled bool `yaml:"enabled"`
	// Bootstrap is IANA's RDAP bootstrap file for domains (RFC 9224): an http(s) URL or a file.
	Bootstrap string `yaml:"bootstrap"`
	// Timeout bounds one RDAP request.
	Timeout time.Duration `yaml:"timeout"`
}

// EnrichHTTP is the fetch of the suspect site: its status, redirects, title, forms, and how
// much it looks like the protected domain's own page (fetched the same way).
type EnrichHTTP struct {
	// Enabled fetches https://name/ (then http://name/) of every suspect name that resolves,
	// and https://asset/ of the protected domains: certhunt then contacts suspect sites.
	Enabled bool `yaml:"enabled"`
	// Proxy is an http(s) proxy URL every fetch, and RDAP, goes through (https by CONNECT to
	// the address certhunt checked, http as a forward-proxy request); empty: direct.
	Proxy string `yaml:"proxy"`
	// Timeout bounds each connection, TLS handshake and wait for headers; one whole look at a
	// site (redirects, icon, body) is bounded by three times it.
	Timeout time.Duration `yaml:"timeout"`
}

// EnrichScreenshot is the headless-browser screenshot of the suspect site and of the protected
// site, compared by perceptual hash (SPEC.md "Enrichment").
type EnrichScreenshot struct {
	// Enabled opens each suspect name that resolves (https, else http) in headless Chromium and
	// the protected domain's site (https://asset/, kept a day), keeping both PNGs in
	// data_dir/screenshots. Chromium goes through a proxy inside certhunt that contacts only
	// public addresses (unless enrich.allow_private) and, when set, through enrich.http.proxy.
	Enabled bool `yaml:"enabled"`
	// Chromium is the browser's executable; empty: chromium, chromium-browser or google-chrome
	// on PATH. Without one, each look records the error and nothing else changes.
	Chromium string `yaml:"chromium"`
	// Tabs is how many pages are open at once (each costs a renderer, some 100 MB).
	Tabs int `yaml:"tabs"`
	// Timeout bounds one site's screenshot; after it the tab is closed.
	Timeout time.Duration `yaml:"timeout"`
}

// Enrichment defaults.
const (
	DefaultRDAPBootstrap        = "https://data.iana.org/rdap/dns.json"
	DefaultEnrichQueue          = 1000
	DefaultEnrichConcurrency    = 4
	DefaultEnrichRate           = 5.0
	DefaultEnrichDomainInterval = time.Minute
	DefaultDNSTimeout           = 3 * time.Second
	DefaultRDAPTimeout          = 10 * time.Second
	DefaultScreenshotTabs       = 1
	DefaultScreenshotTimeout    = 20 * time.Second
	DefaultHTTPTimeout          = 10 * time.Second
)

// DefaultRecheck is SPEC.md's schedule: an hour, six hours, a day, three days, a week.
var DefaultRecheck = []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, 168 * time.Hour}

func defaultEnrich() Enrich {
	return Enrich{
		Enabled:    true,
		DNS:        EnrichDNS{Timeout: DefaultDNSTimeout},
		RDAP:       EnrichRDAP{Enabled: true, Bootstrap: DefaultRDAPBootstrap, Timeout: DefaultRDAPTimeout},
		HTTP:       EnrichHTTP{Timeout: DefaultHTTPTimeout},
		Screenshot: EnrichScreenshot{Tabs: DefaultScreenshotTabs, Timeout: DefaultScreenshotTimeout},
		Recheck:    slices.Clone(DefaultRecheck), QueueSize: DefaultEnrichQueue, Concurrency: DefaultEnrichConcurrency,
		Rate: DefaultEnrichRate, DomainInterval: DefaultEnrichDomainInterval,
	}
}

// validate checks the enrich section; each error names the key.
func (e *Enrich) validate(bad func(key, format string, args ...any)) {
	for i, r := range e.DNS.Resolvers {
		if _, _, err := net.SplitHostPort(r); err != nil {
			bad(fmt.Sprintf("enrich.dns.resolvers[%d]", i), "%q is not host:port", r)
		}
	}
	if e.DNS.Timeout <= 0 || e.DNS.Timeout > time.Minute {
		bad("enrich.dns.timeout", "%v is not between 0s and 1m", e.DNS.Timeout)
	}
	if e.RDAP.Timeout <= 0 || e.RDAP.Timeout > 5*time.Minute {
		bad("enrich.rdap.timeout", "%v is not between 0s and 5m", e.RDAP.Timeout)
	}
	if b := e.RDAP.Bootstrap; e.RDAP.Enabled && b == "" {
		bad("enrich.rdap.bootstrap", "must be a URL or a file while enrich.rdap.enabled is true")
	} else if strings.Contains(b, "://") {
		checkURL(bad, "enrich.rdap.bootstrap", b, "http", "https")
	}
	if p := e.HTTP.Proxy; p != "" && checkURL(bad, "enrich.http.proxy", p, "http", "https") {
		if u, _ := url.Parse(p); u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			bad("enrich.http.proxy", "%q: a proxy URL has no path or query", p)
		}
	}
	if e.HTTP.Timeout <= 0 || e.HTTP.Timeout > time.Minute {
		bad("enrich.http.timeout", "%v is not between 0s and 1m", e.HTTP.Timeout)
	}
	if e.Screenshot.Tabs < 1 || e.Screenshot.Tabs > 16 {
		bad("enrich.screenshot.tabs", "%d is not between 1 and 16", e.Screenshot.Tabs)
	}
	if e.Screenshot.Timeout < time.Second || e.Screenshot.Timeout > 2*time.Minute {
		bad("enrich.screenshot.timeout", "%v is not between 1s and 2m", e.Screenshot.Timeout)
	}
	for i, d := range e.Recheck {
		if d < time.Minute {
			bad(fmt.Sprintf("enrich.recheck[%d]", i), "%v is shorter than 1m", d)
		}
	}
	if e.QueueSize < 1 || e.QueueSize > 1_000_000 {
		bad("enrich.queue_size", "%d is not between 1 and 1000000", e.QueueSize)
	}
	if e.Concurrency < 1 || e.Concurrency > 64 {
		bad("enrich.concurrency", "%d is not between 1 and 64", e.Concurrency)
	}
	if e.Rate <= 0 || e.Rate > 1000 {
		bad("enrich.rate", "%v is not between 0 and 1000 (lookups per second)", e.Rate)
	}
	if e.DomainInterval < 0 {
		bad("enrich.domain_interval", "%v is negative", e.DomainInterval)
	}
}

// The enrich keys as flags and CERTHUNT_* variables.
func init() {
	booleanFlags["enrich"], booleanFlags["allow-private"] = true, true
	settings = append(settings,
		setting{"enrich", "enrich.enabled", boolean(func(c *Config) *bool { return &c.Enrich.Enabled })},
		setting{"dns-resolvers", "enrich.dns.resolvers", list(func(c *Config) *[]string { return &c.Enrich.DNS.Resolvers })},
		setting{"rdap-bootstrap", "enrich.rdap.bootstrap", str(func(c *Config) *string { return &c.Enrich.RDAP.Bootstrap })},
		setting{"allow-private", "enrich.allow_private", boolean(func(c *Config) *bool { return &c.Enrich.AllowPrivate })},
	)
}
