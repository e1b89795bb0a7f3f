package issuance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/miekg/dns"
)

// CAASet is the CAA record set relevant to a name (RFC 8659 section 3: the name's own, or its
// closest ancestor's).
type CAASet struct {
	// Owner is the name the records were found at; "" when no ancestor has any.
	Owner string
	// Issue and IssueWild are the issuer domains of the issue and issuewild properties; an
	// empty string stands for a property that names no CA (`issue ";"`: nobody may issue).
	Issue, IssueWild []string
}

// Restricts reports whether the set limits who may issue for a name (wildcard or not).
func (s CAASet) Restricts(wildcard bool) bool { return len(s.allowed(wildcard)) > 0 }

// allowed is the list of issuer domains that applies to a name.
func (s CAASet) allowed(wildcard bool) []string {
	if wildcard && len(s.IssueWild) > 0 {
		return s.IssueWild
	}
	return s.Issue
}

// CAALookup finds the CAA set relevant to a name. Implementations must be safe for
// concurrent use; an error means the answer is unknown (not "no records").
type CAALookup interface {
	CAA(ctx context.Context, name string) (CAASet, error)
}

// DNSCAA asks DNS servers for CAA records with github.com/miekg/dns, climbing from the name to
// its parents until a set is found.
type DNSCAA struct {
	// Servers are host:port; empty: the system's (/etc/resolv.conf).
	Servers []string
	// Timeout bounds each query (default 3s).
	Timeout time.Duration
}

// CAA implements CAALookup.
func (d *DNSCAA) CAA(ctx context.Context, name string) (CAASet, error) {
	servers := d.Servers
	if len(servers) == 0 {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return CAASet{}, fmt.Errorf("no DNS servers: %w", err)
		}
		for _, s := range conf.Servers {
			servers = append(servers, net.JoinHostPort(s, conf.Port))
		}
	}
	if len(servers) == 0 {
		return CAASet{}, errors.New("no DNS servers")
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	c := &dns.Client{Timeout: timeout}
	labels := dns.SplitDomainName(name)
	// The climb stops above the TLD: a TLD's CAA records would not name an organisation's CA.
	for i := 0; i < len(labels)-1; i++ {
		owner := strings.Join(labels[i:], ".")
		set, found, err := query(ctx, c, servers, owner)
		if err != nil {
			return CAASet{}, err
		}
		if found {
			set.Owner = owner
			return set, nil
		}
	}
	return CAASet{}, nil
}

// query asks each server in turn until one answers.
func query(ctx context.Context, c *dns.Client, servers []string, owner string) (CAASet, bool, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(owner), dns.TypeCAA)
	m.RecursionDesired = true
	var lastErr error
	for _, srv := range servers {
		r, _, err := c.ExchangeContext(ctx, m, srv)
		if err == nil && r.Truncated {
			tcp := *c
			tcp.Net = "tcp"
			r, _, err = tcp.ExchangeContext(ctx, m, srv)
		}
		if err != nil {
			lastErr = fmt.Errorf("CAA %s at %s: %w", owner, srv, err)
			continue
		}
		switch r.Rcode {
		case dns.RcodeSuccess, dns.RcodeNameError:
		default:
			lastErr = fmt.Errorf("CAA %s at %s: %s", owner, srv, dns.RcodeToString[r.Rcode])
			continue
		}
		var set CAASet
		found := false
		for _, rr := range r.Answer {
			caa, ok := rr.(*dns.CAA)
			if !ok {
				continue // a CNAME on the way
			}
			found = true
			value := strings.ToLower(strings.TrimSpace(strings.SplitN(caa.Value, ";", 2)[0]))
			switch strings.ToLower(caa.Tag) {
			case "issue":
				set.Issue = append(set.Issue, value)
			case "issuewild":
				set.IssueWild = append(set.IssueWild, value)
			}
		}
		return set, found, nil
	}
	return CAASet{}, false, lastErr
}

// CachedCAA remembers answers for TTL (errors for a minute), so that a burst of certificates
// for one domain costs one lookup and a DNS outage is not asked again for every entry.
type CachedCAA struct {
	Lookup CAALookup
	TTL    time.Duration
	Now    func() time.Time

	mu sync.Mutex
	m  map[string]caaEntry
}

type caaEntry struct {
	set     CAASet
	err     error
	expires time.Time
}

// maxCAACache bounds the cache; beyond it, it is emptied (own names are few).
const maxCAACache = 10000

// CAA implements CAALookup.
func (c *CachedCAA) CAA(ctx context.Context, name string) (CAASet, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	e, ok := c.m[name]
	c.mu.Unlock()
	if ok && now().Before(e.expires) {
		return e.set, e.err
	}
	set, err := c.Lookup.CAA(ctx, name)
	if ctx.Err() != nil {
		return set, err // a cancelled lookup says nothing about DNS
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	if err != nil {
		ttl = time.Minute
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCAACache {
		c.m = map[string]caaEntry{}
	}
	c.m[name] = caaEntry{set: set, err: err, expires: now().Add(ttl)}
	c.mu.Unlock()
	return set, err
}

// caIssuers maps CAA issuer domains whose name is not their certificates' issuer O to what
// those certificates carry. Others match when the issuer's O or CN, letters and digits only,
// starts with the domain's first label ("letsencrypt.org" and "Let's Encrypt").
var caIssuers = map[string][]string{
	"pki.goog":           {"googletrustservices"},
	"comodoca.com":       {"sectigo", "comodo"},
	"comodo.com":         {"sectigo", "comodo"},
	"usertrust.com":      {"sectigo", "usertrust"},
	"trust-provider.com": {"sectigo"},
	"amazontrust.com":    {"amazon"},
	"awstrust.com":       {"amazon"},
	"digicert.com":       {"digicert", "geotrust", "thawte", "rapidssl"},
	"symantec.com":       {"digicert", "symantec", "geotrust", "thawte"},
	"godaddy.com":        {"godaddy", "starfield"},
	"starfieldtech.com":  {"starfield", "godaddy"},
	"microsoft.com":      {"microsoft"},
}

// caaAllows reports whether the CAA issuer domain ca names the certificate issuer (O or CN).
func caaAllows(ca string, issuerValues []string) bool {
	if ca == "" {
		return false
	}
	prefixes := caIssuers[ca]
	if prefixes == nil {
		first, _, _ := strings.Cut(ca, ".")
		prefixes = []string{alnum(first)}
	}
	for _, v := range issuerValues {
		v = alnum(v)
		for _, p := range prefixes {
			if p != "" && strings.HasPrefix(v, p) {
				return true
			}
		}
	}
	return false
}

// alnum lowercases s and keeps only its letters and digits.
func alnum(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
