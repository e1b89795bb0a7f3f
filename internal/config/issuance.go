package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/certhunt/certhunt/internal/names"
)

// Issuance watches certificates for the protected domains themselves and their subdomains
// (SPEC.md "Issuance"), which lookalike detection deliberately never alerts on: a certificate
// for login.example.com from a CA the organisation never uses is a hijack, a taken-over
// subdomain or a careless CA. Protected domains are the homograph list's keys and the keys of
// Domains.
type Issuance struct {
	// Enabled turns the issuer check and the inventory of own certificates on.
	Enabled bool `yaml:"enabled"`
	// AllowedIssuers are issuer O or CN values (compared case-insensitively, whole value)
	// allowed for every protected domain. Empty, with CAA off: no issuer check, own
	// certificates are only inventoried.
	AllowedIssuers []string `yaml:"allowed_issuers"`
	// Domains gives one protected domain (and its subdomains) its own policy, replacing the
	// global one; a domain listed here is protected even when the homograph list lacks it.
	Domains map[string]IssuanceDomain `yaml:"domains"`
	// CAA: for a domain with no allowed list, allow the CAs its CAA records name (looked up
	// when a certificate is seen, so they say who may issue now, and cached for an hour).
	CAA bool `yaml:"caa"`
	// Resolvers are the DNS servers (host:port) CAA is asked of; empty: the system's.
	Resolvers []string `yaml:"resolvers"`
	// KnownKeys are SPKI SHA-256 values (hex) of the organisation's own keys. When set, a
	// certificate for an own name from an allowed CA with another key is reported at a lower
	// severity ("unexpected-key"): a key the organisation does not hold got a certificate.
	KnownKeys []string `yaml:"known_keys"`
	// ExpiryWindow: the inventory shows names whose newest certificate expires within this
	// long (renewal did not happen).
	ExpiryWindow time.Duration `yaml:"expiry_window"`
	// NewNameWindow: the inventory shows names first seen within this long as new.
	NewNameWindow time.Duration `yaml:"new_name_window"`
	// NotifyNewNames opens a low-severity incident (and so notifies) for each own name seen
	// for the first time; off by default, because every new host does this.
	NotifyNewNames bool `yaml:"notify_new_names"`
	// NotifyExpiring checks hourly for names whose newest certificate expires within
	// ExpiryWindow and opens (joins) one low-severity incident per domain for each such
	// certificate, so the notifiers say so once; off by default.
	NotifyExpiring bool `yaml:"notify_expiring"`
}

// defaultIssuance is on, with no policy: own certificates are inventoried, nothing alerts.
func defaultIssuance() Issuance {
	return Issuance{Enabled: true, ExpiryWindow: 30 * 24 * time.Hour, NewNameWindow: 7 * 24 * time.Hour}
}

// IssuanceDomain is one protected domain's own issuance policy.
type IssuanceDomain struct {
	AllowedIssuers []string `yaml:"allowed_issuers"`
	// KnownKeys, when set, replace the global list for this domain.
	KnownKeys []string `yaml:"known_keys"`
}

// validate checks the issuance section; each error names the key.
func (is *Issuance) validate(bad func(key, format string, args ...any)) {
	checkIssuers := func(key string, list []string) {
		for i, v := range list {
			if strings.TrimSpace(v) == "" {
				bad(fmt.Sprintf("%s[%d]", key, i), "empty issuer name")
			}
		}
	}
	checkKeys := func(key string, list []string) {
		for i, k := range list {
			if b, err := hex.DecodeString(strings.ReplaceAll(k, ":", "")); err != nil || len(b) != 32 {
				bad(fmt.Sprintf("%s[%d]", key, i), "%q is not a SHA-256 in hex (64 hex digits)", k)
			}
		}
	}
	checkIssuers("issuance.allowed_issuers", is.AllowedIssuers)
	checkKeys("issuance.known_keys", is.KnownKeys)
	domains := make([]string, 0, len(is.Domains))
	for d := range is.Domains {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	for _, d := range domains {
		key := "issuance.domains." + d
		if err := names.ValidDomain(d); err != nil {
			bad(key, "%v", err)
		}
		checkIssuers(key+".allowed_issuers", is.Domains[d].AllowedIssuers)
		checkKeys(key+".known_keys", is.Domains[d].KnownKeys)
	}
	for i, r := range is.Resolvers {
		if _, _, err := net.SplitHostPort(r); err != nil {
			bad(fmt.Sprintf("issuance.resolvers[%d]", i), "%q is not host:port", r)
		}
	}
	if is.ExpiryWindow < 0 {
		bad("issuance.expiry_window", "%v is negative", is.ExpiryWindow)
	}
	if is.NewNameWindow < 0 {
		bad("issuance.new_name_window", "%v is negative", is.NewNameWindow)
	}
}

// The issuance keys as flags and CERTHUNT_* variables; registered here so the section stays in
// one file.
func init() {
	booleanFlags["issuance"], booleanFlags["issuance-caa"] = true, true
	settings = append(settings,
		setting{"issuance", "issuance.enabled", boolean(func(c *Config) *bool { return &c.Issuance.Enabled })},
		setting{"allowed-issuers", "issuance.allowed_issuers", list(func(c *Config) *[]string { return &c.Issuance.AllowedIssuers })},
		setting{"issuance-caa", "issuance.caa", boolean(func(c *Config) *bool { return &c.Issuance.CAA })},
		setting{"caa-resolvers", "issuance.resolvers", list(func(c *Config) *[]string { return &c.Issuance.Resolvers })},
		setting{"known-keys", "issuance.known_keys", list(func(c *Config) *[]string { return &c.Issuance.KnownKeys })},
		setting{"expiry-window", "issuance.expiry_window", duration(func(c *Config) *time.Duration { return &c.Issuance.ExpiryWindow })},
	)
}
