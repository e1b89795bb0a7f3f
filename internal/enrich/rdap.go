package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/certhunt/certhunt/internal/incident"
)

// RDAP finds a registered domain's registry through IANA's bootstrap file (RFC 9224) and asks
// it for the registration (RFC 9083): registrar, creation and expiry dates. Answers are cached
// per registered domain, failures too, so a registry without RDAP or a failing one is not
// asked again for every certificate.
type RDAP struct {
	// Bootstrap is the bootstrap file's http(s) URL or path.
	Bootstrap string
	// Client makes the requests (default: one with Timeout).
	Client *http.Client
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	boot    map[string][]string // TLD (or longer suffix) -> base URLs
	bootErr error
	bootAt  time.Time
	cache   map[string]rdapEntry
	flight  singleflight.Group
}

type rdapEntry struct {
	ev      incident.RDAPEvidence
	expires time.Time
}

// How long answers are kept, and bounds on what a server can make certhunt read or keep.
const (
	bootstrapTTL     = 24 * time.Hour
	bootstrapRetry   = time.Hour
	rdapTTL          = 24 * time.Hour
	rdapErrorTTL     = time.Hour
	maxRDAPCache     = 10000
	maxBootstrapSize = 4 << 20
	maxRDAPSize      = 1 << 20
	maxRegistrarLen  = 200
)

// Lookup returns the registration evidence of the registered domain; failures are recorded
// in it (Error, or Unavailable when the registry offers no RDAP), never returned.
func (r *RDAP) Lookup(ctx context.Context, registered string) incident.RDAPEvidence {
	now := cmpNow(r.Now)()
	key := strings.ToLower(strings.TrimSuffix(registered, "."))
	r.mu.Lock()
	e, ok := r.cache[key]
	r.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		v, _, _ := r.flight.Do(key, func() (any, error) {
			ev := r.query(ctx, key)
			ttl := rdapTTL
			if ev.Error != "" {
				ttl = rdapErrorTTL
			}
			r.mu.Lock()
			if r.cache == nil || len(r.cache) >= maxRDAPCache {
				r.cache = map[string]rdapEntry{} // bounded; forgetting costs one query each
			}
			r.cache[key] = rdapEntry{ev: ev, expires: now.Add(ttl)}
			r.mu.Unlock()
			return ev, nil
		})
		e.ev = v.(incident.RDAPEvidence)
	}
	ev := e.ev
	if ev.Created != nil { // the age at this look, not at the cached one
		days := int(now.Sub(*ev.Created) / (24 * time.Hour))
		ev.AgeDays = &days
	}
	return ev
}

// query asks the registry of domain.
func (r *RDAP) query(ctx context.Context, domain string) incident.RDAPEvidence {
	var ev incident.RDAPEvidence
	bases, err := r.servers(ctx, domain)
	if err != nil {
		ev.Error = err.Error()
		return ev
	}
	if len(bases) == 0 {
		ev.Unavailable = true
		ev.Error = "the registry of ." + tld(domain) + " offers no RDAP service"
		return ev
	}
	base := bases[0]
	ev.Server = base
	u, err := url.JoinPath(base, "domain", domain)
	if err != nil {
		ev.Error = fmt.Sprintf("RDAP server %q: %v", base, err)
		return ev
	}
	body, status, err := r.get(ctx, u, maxRDAPSize, "application/rdap+json, application/json")
	switch {
	case err != nil:
		ev.Error = err.Error()
		return ev
	case status == http.StatusNotFound:
		ev.Error = "not found at the registry (not registered yet, or withheld)"
		return ev
	case status != http.StatusOK:
		ev.Error = fmt.Sprintf("RDAP %s: HTTP %d", u, status)
		return ev
	}
	var d rdapDomain
	if err := json.Unmarshal(body, &d); err != nil {
		ev.Error = fmt.Sprintf("RDAP %s: %v", u, err)
		return ev
	}
	for _, e := range d.Events {
		t, err := time.Parse(time.RFC3339, e.Date)
		if err != nil {
			continue
		}
		t = t.UTC()
		switch e.Action {
		case "registration":
			if ev.Created == nil {
				ev.Created = &t
			}
		case "expiration":
			if ev.Expires == nil {
				ev.Expires = &t
			}
		}
	}
	for _, ent := range d.Entities {
		if hasRole(ent.Roles, "registrar") {
			ev.Registrar = printable(vcardFN(ent.VCard), maxRegistrarLen)
			break
		}
	}
	return ev
}

type rdapDomain struct {
	Events []struct {
		Action string `json:"eventAction"`
		Date   string `json:"eventDate"`
	} `json:"events"`
	Entities []struct {
		Roles []string        `json:"roles"`
		VCard json.RawMessage `json:"vcardArray"`
	} `json:"entities"`
}

func hasRole(roles []string, want string) bool {
	for _, r := range roles {
		if strings.EqualFold(r, want) {
			return true
		}
	}
	return false
}

// vcardFN is the "fn" (formatted name) of a jCard (RFC 7095): ["vcard", [[name, params, type, value], ...]].
func vcardFN(raw json.RawMessage) string {
	var card []json.RawMessage
	if json.Unmarshal(raw, &card) != nil || len(card) < 2 {
		return ""
	}
	var props [][]json.RawMessage
	if json.Unmarshal(card[1], &props) != nil {
		return ""
	}
	for _, p := range props {
		var name, value string
		if len(p) >= 4 && json.Unmarshal(p[0], &name) == nil && name == "fn" && json.Unmarshal(p[3], &value) == nil {
			return value
		}
	}
	return ""
}

// printable keeps a server's text to printable characters and n bytes.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, strings.TrimSpace(s))
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// servers returns the RDAP base URLs for domain from the bootstrap file (loaded on first use,
// re-read daily; a failure is kept for an hour), https ones first.
func (r *RDAP) servers(ctx context.Context, domain string) ([]string, error) {
	now := cmpNow(r.Now)()
	r.mu.Lock()
	fresh := r.boot != nil && now.Sub(r.bootAt) < bootstrapTTL || r.bootErr != nil && now.Sub(r.bootAt) < bootstrapRetry
	r.mu.Unlock()
	if !fresh {
		r.flight.Do("\x00bootstrap", func() (any, error) {
			boot, err := r.loadBootstrap(ctx)
			r.mu.Lock()
			r.bootAt = now
			if err != nil {
				r.bootErr = err
				// An old copy beats none.
			} else {
				r.boot, r.bootErr = boot, nil
			}
			r.mu.Unlock()
			return nil, nil
		})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.boot == nil {
		return nil, r.bootErr
	}
	labels := strings.Split(domain, ".")
	for i := range labels { // the longest suffix listed wins
		if bases, ok := r.boot[strings.Join(labels[i:], ".")]; ok {
			return bases, nil
		}
	}
	return nil, nil
}

// bootstrapFile is RFC 9224's format: services are [[suffixes...], [base URLs...]].
type bootstrapFile struct {
	Services [][][]string `json:"services"`
}

func (r *RDAP) loadBootstrap(ctx context.Context) (map[string][]string, error) {
	var body []byte
	var err error
	if strings.Contains(r.Bootstrap, "://") {
		var status int
		body, status, err = r.get(ctx, r.Bootstrap, maxBootstrapSize, "application/json")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("HTTP %d", status)
		}
	} else {
		body, err = readCapped(r.Bootstrap, maxBootstrapSize)
	}
	if err != nil {
		return nil, fmt.Errorf("RDAP bootstrap %s: %w", r.Bootstrap, err)
	}
	var f bootstrapFile
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("RDAP bootstrap %s: %w", r.Bootstrap, err)
	}
	out := map[string][]string{}
	for _, svc := range f.Services {
		if len(svc) < 2 {
			continue
		}
		var bases []string
		for _, u := range svc[1] {
			if p, err := url.Parse(u); err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" {
				if p.Scheme == "https" {
					bases = append([]string{u}, bases...)
				} else {
					bases = append(bases, u)
				}
			}
		}
		if len(bases) == 0 {
			continue
		}
		for _, suffix := range svc[0] {
			out[strings.ToLower(strings.Trim(suffix, "."))] = bases
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("RDAP bootstrap %s lists no services", r.Bootstrap)
	}
	return out, nil
}

// get fetches u, reading at most limit bytes of its body.
func (r *RDAP) get(ctx context.Context, u string, limit int64, accept string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, cmpDuration(r.Timeout, 10*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	if r.UserAgent != "" {
		req.Header.Set("User-Agent", r.UserAgent)
	}
	c := r.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s: %w", u, err)
	}
	if int64(len(body)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("%s: answer larger than %d bytes", u, limit)
	}
	return body, resp.StatusCode, nil
}

func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, errors.New("larger than the 4 MiB a bootstrap file may be")
	}
	return body, nil
}

func tld(domain string) string {
	if i := strings.LastIndexByte(domain, '.'); i >= 0 {
		return domain[i+1:]
	}
	return domain
}
