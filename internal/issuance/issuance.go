// Package issuance watches certificates for the protected domains' own names, the half of CT
// monitoring that lookalike detection (internal/detect) deliberately leaves out.
//
// # What it checks
//
// A certificate naming a protected domain or one of its subdomains is checked against that
// domain's issuer policy: the allowed issuers of the config (issuer O or CN, compared
// case-insensitively), or, with CAA on and no list, the CAs the name's CAA records name now.
// An issuer not allowed gives an "unauthorized-issuer" alert; a known-keys list makes a key
// outside it, from an allowed CA, an "unexpected-key" alert of lower severity.
//
// # Incidents
//
// Alerts are detect.Alert values with matched.kind "issuance", so the store, API, UI,
// notifiers and exports carry them as they carry lookalikes. The store groups incidents by
// (asset, registered domain); an issuance alert's RegisteredDomain is the asset followed by the
// issuer group, "example.com (issuer: let's encrypt)", so incidents are grouped per (asset,
// issuer). The group is the issuer's O (its CN when O is empty), which a precertificate and its
// final certificate share, as do a CA's several intermediates (R10, R11): they join one incident.
//
// # Inventory
//
// Every own certificate is also written to the inventory (incident.Store.RecordOwn) before the
// batch is committed, so a restart neither loses nor duplicates one.
package issuance

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/detect"
	"github.com/certhunt/certhunt/internal/incident"
	"github.com/certhunt/certhunt/internal/names"
	"github.com/certhunt/certhunt/internal/severity"
	"github.com/certhunt/certhunt/internal/watchlist"
)

// Rules and their default points; scoring.weights overrides them by rule name.
const (
	RuleUnauthorizedIssuer = "unauthorized-issuer"
	RuleUnexpectedKey      = "unexpected-key"
	RuleNewName            = "new-name"
	RuleExpiring           = "expiring"
)

var defaultPoints = map[string]int{RuleUnauthorizedIssuer: 90, RuleUnexpectedKey: 50, RuleNewName: 20, RuleExpiring: 30}

// Verdicts kept in the inventory.
const (
	VerdictAllowed   = "allowed"
	VerdictUnchecked = "unchecked"
)

// Policy is who may issue for a protected domain and which keys it uses.
type Policy struct {
	// AllowedIssuers are issuer O or CN values; empty means no list (CAA, if on, decides).
	AllowedIssuers []string
	// KnownKeys are SPKI SHA-256 values, hex; empty means no key check.
	KnownKeys []string
}

// Inventory keeps own certificates (internal/incident.Store).
type Inventory interface {
	RecordOwn(ctx context.Context, c incident.OwnCertificate) (newNames []string, err error)
}

// Options configure a Checker.
type Options struct {
	// Global applies to every protected domain without an entry in Domains; an entry's
	// non-empty lists replace the global ones. Domains' keys are protected domains too.
	Global  Policy
	Domains map[string]Policy
	// CAA, when set, is asked for names whose domain has no allowed list.
	CAA CAALookup
	// Assets returns the homograph list in force, whose keys are the protected domains.
	Assets func() *watchlist.State
	// Inventory receives every own certificate; may be nil.
	Inventory Inventory
	// NotifyNewNames: a name seen for the first time gives a low-severity alert.
	NotifyNewNames bool
	// Weights overrides rule points by rule name (scoring.weights).
	Weights map[string]int
	Logger  *slog.Logger
}

// Checker checks certificates for own names. It is safe for concurrent use.
type Checker struct {
	opts      Options
	domains   map[string]policy // ASCII domain -> policy, for Domains' keys
	global    policy
	protected atomic.Pointer[protectedSet]
}

type policy struct {
	issuers []string        // lowercased, trimmed
	shown   []string        // as configured, for reasons
	keys    map[string]bool // lowercase hex, colons removed
}

// protectedSet is the protected domains of one homograph list version.
type protectedSet struct {
	state   *watchlist.State
	domains map[string]bool
}

// New validates the options and makes a Checker.
func New(opts Options) (*Checker, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Checker{opts: opts, domains: map[string]policy{}, global: compile(opts.Global)}
	for d, p := range opts.Domains {
		n, err := names.Parse(d)
		if err != nil || n.Wildcard {
			return nil, fmt.Errorf("issuance.domains: %q is not a domain", d)
		}
		cp := compile(p)
		if len(cp.issuers) == 0 {
			cp.issuers, cp.shown = c.global.issuers, c.global.shown
		}
		if cp.keys == nil {
			cp.keys = c.global.keys
		}
		c.domains[n.ASCII] = cp
	}
	return c, nil
}

func compile(p Policy) policy {
	var cp policy
	for _, v := range p.AllowedIssuers {
		if v = strings.TrimSpace(v); v != "" {
			cp.issuers = append(cp.issuers, strings.ToLower(v))
			cp.shown = append(cp.shown, v)
		}
	}
	for _, k := range p.KnownKeys {
		if cp.keys == nil {
			cp.keys = map[string]bool{}
		}
		cp.keys[strings.ToLower(strings.ReplaceAll(strings.TrimSpace(k), ":", ""))] = true
	}
	return cp
}

// protectedDomains returns the protected set for the list in force, rebuilding it on change.
func (c *Checker) protectedDomains() map[string]bool {
	var st *watchlist.State
	if c.opts.Assets != nil {
		st = c.opts.Assets()
	}
	if p := c.protected.Load(); p != nil && p.state == st {
		return p.domains
	}
	set := map[string]bool{}
	for d := range c.domains {
		set[d] = true
	}
	if st != nil {
		for key := range st.List {
			if n, err := names.Parse(key); err == nil {
				set[n.ASCII] = true
			}
		}
	}
	c.protected.Store(&protectedSet{state: st, domains: set})
	return set
}

// ownSuffix returns the longest protected domain that name (ASCII) is or is under, or "".
func ownSuffix(name string, protected map[string]bool) string {
	for s := name; ; {
		if protected[s] {
			return s
		}
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			return ""
		}
		s = s[dot+1:]
	}
}

// isLowerASCII reports whether s has no byte that normalisation could change.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ownName is one name of a certificate at or under a protected domain.
type ownName struct {
	n     names.Name
	shown string // as the inventory lists it: ASCII, "*." kept
}

// Check inventories a certificate's own names and returns the alerts it deserves: none for a
// certificate without own names (the common case costs a map lookup per name suffix). An
// error is the inventory's: the batch must not be committed.
func (c *Checker) Check(ctx context.Context, cert *certs.Cert) ([]detect.Alert, error) {
	protected := c.protectedDomains()
	if len(protected) == 0 {
		return nil, nil
	}
	var byAsset map[string][]ownName
	var order []string
	for _, raw := range cert.DNSNames {
		// Nearly every name is lowercase ASCII and not an own name: decide that without
		// normalising it (which the detector does already).
		if plain := strings.TrimSuffix(strings.TrimPrefix(raw, "*."), "."); isLowerASCII(plain) && ownSuffix(plain, protected) == "" {
			continue
		}
		n, err := names.Parse(raw)
		if err != nil {
			continue
		}
		asset := ownSuffix(n.ASCII, protected)
		if asset == "" {
			continue
		}
		if byAsset == nil {
			byAsset = map[string][]ownName{}
		}
		if _, ok := byAsset[asset]; !ok {
			order = append(order, asset)
		}
		shown := n.ASCII
		if n.Wildcard {
			shown = "*." + shown
		}
		if !slices.ContainsFunc(byAsset[asset], func(o ownName) bool { return o.shown == shown }) {
			byAsset[asset] = append(byAsset[asset], ownName{n: n, shown: shown})
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	spki := ""
	if len(cert.DER) > 0 {
		var err error
		if spki, err = certs.SPKISHA256(cert.DER); err != nil {
			c.opts.Logger.Warn("own certificate: no public key read", "log", cert.Log.URL, "index", cert.Index, "err", err)
		}
	}
	var alerts []detect.Alert
	for _, asset := range order {
		own := byAsset[asset]
		v := c.verdict(ctx, asset, own, cert, spki)
		if c.opts.Inventory != nil {
			shown := make([]string, len(own))
			for i, o := range own {
				shown[i] = o.shown
			}
			newNames, err := c.opts.Inventory.RecordOwn(ctx, incident.OwnCertificate{
				Asset: asset, SHA256: cert.SHA256, EntryType: cert.EntryType, Serial: cert.Serial, Issuer: cert.Issuer,
				SPKISHA256: spki, Names: shown, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
				Verdict: v.verdict, Detail: v.detail, SeenAt: cert.SeenAt,
				Log: incident.LogPosition{Name: cert.Log.Name, URL: cert.Log.URL, Index: cert.Index},
			})
			if err != nil {
				return nil, fmt.Errorf("inventory %s: %w", asset, err)
			}
			if c.opts.NotifyNewNames && len(newNames) > 0 {
				first := own[slices.IndexFunc(own, func(o ownName) bool { return o.shown == newNames[0] })]
				alerts = append(alerts, c.alert(asset, first.n, RuleNewName, "new names",
					detect.Matched{Kind: "issuance", Value: newNames[0]},
					fmt.Sprintf("first certificate seen for %s, issued by %s", strings.Join(newNames, ", "), issuerText(cert.Issuer))))
			}
		}
		if v.rule != "" {
			alerts = append(alerts, c.alert(asset, v.name, v.rule, "issuer: "+issuerGroup(cert.Issuer),
				detect.Matched{Kind: "issuance", Value: v.value}, v.detail))
		}
	}
	return alerts, nil
}

// verdict is the outcome of the policy for one asset's names in a certificate.
type verdict struct {
	verdict, detail string
	rule, value     string     // the alert to raise, if any
	name            names.Name // the name it concerns
}

func (c *Checker) verdict(ctx context.Context, asset string, own []ownName, cert *certs.Cert, spki string) verdict {
	p, ok := c.domains[asset]
	if !ok {
		p = c.global
	}
	issuer := issuerText(cert.Issuer)
	checked := false
	switch {
	case len(p.issuers) > 0:
		checked = true
		if !matchIssuer(p.issuers, cert.Issuer) {
			return verdict{verdict: RuleUnauthorizedIssuer, rule: RuleUnauthorizedIssuer, value: issuerValue(cert.Issuer), name: own[0].n,
				detail: fmt.Sprintf("certificate for %s issued by %s, which is not an allowed issuer of %s (allowed: %s)",
					own[0].shown, issuer, asset, strings.Join(p.shown, ", "))}
		}
	case c.opts.CAA != nil:
		for _, o := range own {
			set, err := c.opts.CAA.CAA(ctx, o.n.ASCII)
			if err != nil {
				c.opts.Logger.Warn("CAA lookup failed: issuer not checked", "name", o.n.ASCII, "err", err)
				return verdict{verdict: VerdictUnchecked, detail: "CAA records could not be read: " + err.Error()}
			}
			if !set.Restricts(o.n.Wildcard) {
				continue
			}
			checked = true
			cas := set.allowed(o.n.Wildcard)
			values := []string{cert.Issuer.O, cert.Issuer.CN}
			if !slices.ContainsFunc(cas, func(ca string) bool { return caaAllows(ca, values) }) {
				prop := "issue"
				if o.n.Wildcard && len(set.IssueWild) > 0 {
					prop = "issuewild"
				}
				return verdict{verdict: RuleUnauthorizedIssuer, rule: RuleUnauthorizedIssuer, value: issuerValue(cert.Issuer), name: o.n,
					detail: fmt.Sprintf("certificate for %s issued by %s, which the CAA %s records of %s do not name (%s)",
						o.shown, issuer, prop, set.Owner, caList(cas))}
			}
		}
	}
	if p.keys != nil && spki != "" {
		checked = true
		if !p.keys[spki] {
			return verdict{verdict: RuleUnexpectedKey, rule: RuleUnexpectedKey, value: spki, name: own[0].n,
				detail: fmt.Sprintf("certificate for %s from %s carries key %s, which is not one of %s's known keys",
					own[0].shown, issuer, spki, asset)}
		}
	}
	if !checked {
		return verdict{verdict: VerdictUnchecked}
	}
	return verdict{verdict: VerdictAllowed}
}

func caList(cas []string) string {
	out := make([]string, len(cas))
	for i, ca := range cas {
		out[i] = ca
		if ca == "" {
			out[i] = `";": no CA`
		}
	}
	return strings.Join(out, ", ")
}

// alert builds an issuance alert; group completes the grouping key (see the package doc).
func (c *Checker) alert(asset string, n names.Name, rule, group string, m detect.Matched, detail string) detect.Alert {
	points, ok := c.opts.Weights[rule]
	if !ok {
		points = defaultPoints[rule]
	}
	points = min(max(points, 0), 100)
	return detect.Alert{
		Domain: n.ASCII, DomainUnicode: n.Unicode, Asset: asset,
		RegisteredDomain: asset + " (" + group + ")",
		Matched:          m,
		Reasons:          []detect.Reason{{Rule: rule, Points: points, Detail: detail}},
		Score:            points, Severity: severity.Of(points),
		// Issuance alerts are policy, not a guess: they always make an incident.
		Incident: true,
	}
}

// matchIssuer reports whether the issuer's O or CN is one of the allowed values (lowercase).
func matchIssuer(allowed []string, issuer certs.Name) bool {
	o, cn := strings.ToLower(strings.TrimSpace(issuer.O)), strings.ToLower(strings.TrimSpace(issuer.CN))
	for _, a := range allowed {
		if (o != "" && a == o) || (cn != "" && a == cn) {
			return true
		}
	}
	return false
}

// issuerGroup is what incidents are grouped by: the issuer's O, else its CN, lowercased.
func issuerGroup(n certs.Name) string {
	if g := strings.ToLower(strings.TrimSpace(n.O)); g != "" {
		return g
	}
	if g := strings.ToLower(strings.TrimSpace(n.CN)); g != "" {
		return g
	}
	return "unknown"
}

// issuerValue is the issuer as matched.value names it.
func issuerValue(n certs.Name) string {
	if n.O != "" {
		return n.O
	}
	return n.CN
}

// issuerText names the issuer for a person: "R10 (O: Let's Encrypt)".
func issuerText(n certs.Name) string {
	switch {
	case n.O != "" && n.CN != "":
		return fmt.Sprintf("%q (O: %q)", n.CN, n.O)
	case n.O != "":
		return fmt.Sprintf("O: %q", n.O)
	case n.CN != "":
		return fmt.Sprintf("%q", n.CN)
	}
	return "an issuer without O or CN"
}

// ExpiryAlert is the alert an expiry sweep records for an own certificate that is the newest of
// its names and expires soon (incident.Store.ExpiringOwn), with the certificate to attach: one
// incident per asset collects them, and recording the same certificate again adds no sighting,
// so each is notified once.
func (c *Checker) ExpiryAlert(oc incident.OwnCertificate, now time.Time) (detect.Alert, *certs.Cert) {
	cert := &certs.Cert{SHA256: oc.SHA256, Serial: oc.Serial, EntryType: oc.EntryType, Issuer: oc.Issuer,
		NotBefore: oc.NotBefore, NotAfter: oc.NotAfter, DNSNames: oc.Names,
		Log: certs.LogRef{Name: oc.Log.Name, URL: oc.Log.URL}, Index: oc.Log.Index, SeenAt: oc.SeenAt}
	var n names.Name
	if len(oc.Names) > 0 {
		n, _ = names.Parse(oc.Names[0])
	}
	if n.ASCII == "" {
		n = names.Name{ASCII: oc.Asset, Unicode: oc.Asset}
	}
	days := int(oc.NotAfter.Sub(now).Hours() / 24)
	detail := fmt.Sprintf("the newest certificate seen for %s expires %s (in %d days) and no renewal has been seen in CT",
		strings.Join(oc.Names, ", "), oc.NotAfter.UTC().Format(time.DateOnly), days)
	return c.alert(oc.Asset, n, RuleExpiring, "expiring", detect.Matched{Kind: "issuance", Value: oc.NotAfter.UTC().Format(time.RFC3339)}, detail), cert
}
