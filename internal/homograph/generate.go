package homograph

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/certhunt/certhunt/internal/names"
)

// GenerateOptions adds words and TLDs to the built-in ones.
type GenerateOptions struct {
	// Dictionary holds extra words for the dictionary fuzzer, on top of the built-in phishing words.
	Dictionary []string
	// TLDs holds extra TLDs (or two-label suffixes such as "co.uk") for tld-swap, on top of the
	// built-in list of the most abused TLDs.
	TLDs []string
}

// Candidate is one generated lookalike of an asset, with the fuzzer that made it.
type Candidate struct {
	Asset  string // the protected domain as given, lowercased
	Domain string // the lookalike in Unicode form
	ASCII  string // the lookalike in ASCII (punycode) form; equal to Domain for LDH names
	Fuzzer string
}

// fuzzer makes lookalikes of one target and hands each to emit as a whole domain in Unicode form.
// Fuzzers may emit invalid or repeated names; the collector filters them.
type fuzzer struct {
	name string
	run  func(t *target, emit func(string))
}

// fuzzers are in the order used to attribute a candidate several fuzzers make: dnstwist's order
// first, then certhunt's own.
var fuzzers = []fuzzer{
	{"addition", addition},
	{"bitsquatting", bitsquatting},
	{"cyrillic", cyrillic},
	{"homoglyph", homoglyph},
	{"hyphenation", hyphenation},
	{"insertion", insertion},
	{"omission", omission},
	{"repetition", repetition},
	{"replacement", replacement},
	{"subdomain", subdomain},
	{"transposition", transposition},
	{"vowel-swap", vowelSwap},
	{"dictionary", dictionary},
	{"tld-swap", tldSwap},
	{"various", various},
	{"plural", plural},
	{"confusable", confusable},
	{"numeral-swap", numeralSwap},
	{"sld-swap", sldSwap},
	{"combosquat", combosquat},
}

// Fuzzers lists the names of all fuzzers, in attribution order.
func Fuzzers() []string {
	out := make([]string, len(fuzzers))
	for i, f := range fuzzers {
		out[i] = f.name
	}
	return out
}

// DnstwistFuzzers are the fuzzers Debian's dnstwist 20221213 runs by default, under its names.
var DnstwistFuzzers = []string{"addition", "bitsquatting", "cyrillic", "homoglyph", "hyphenation",
	"insertion", "omission", "repetition", "replacement", "subdomain", "transposition", "vowel-swap",
	"dictionary", "tld-swap", "various"}

// Generate makes the homograph list for the given protected domains with the named fuzzers (all
// of them when fuzzers is empty): each key is a domain as given (lowercased), each value the
// sorted lookalikes, IDNs in both Unicode and punycode form.
func Generate(domains []string, fuzzers []string, opts GenerateOptions) (List, error) {
	cands, err := Candidates(domains, fuzzers, opts)
	if err != nil {
		return nil, err
	}
	return CandidateList(domains, cands), nil
}

// CandidateList groups candidates into a homograph list. Every domain given is a key, even one
// without candidates, because the keys are protected too; IDN candidates appear in both forms.
func CandidateList(domains []string, cands []Candidate) List {
	out := List{}
	for _, d := range domains {
		out[normaliseInput(d)] = []string{}
	}
	for _, c := range cands {
		out[c.Asset] = append(out[c.Asset], c.Domain)
		if c.ASCII != c.Domain {
			out[c.Asset] = append(out[c.Asset], c.ASCII)
		}
	}
	for k, vs := range out {
		out[k] = sortedUnique(vs)
	}
	return out
}

// Candidates is Generate with the fuzzer that made each lookalike, sorted by asset and then by
// Unicode form. A lookalike several fuzzers make is credited to the first in Fuzzers order.
func Candidates(domains []string, fuzzerNames []string, opts GenerateOptions) ([]Candidate, error) {
	selected, err := selectFuzzers(fuzzerNames)
	if err != nil {
		return nil, err
	}
	if len(domains) == 0 {
		return nil, fmt.Errorf("no domain to generate lookalikes for")
	}
	targets := make([]*target, 0, len(domains))
	for _, d := range domains {
		t, err := newTarget(d, &opts)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	var out []Candidate
	for _, t := range targets {
		out = append(out, t.generate(selected)...)
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Domain, b.Domain))
	})
	return slices.CompactFunc(out, func(a, b Candidate) bool { return a.Asset == b.Asset && a.Domain == b.Domain }), nil
}

func selectFuzzers(names []string) ([]fuzzer, error) {
	if len(names) == 0 {
		return fuzzers, nil
	}
	var out []fuzzer
	for _, f := range fuzzers {
		if slices.Contains(names, f.name) {
			out = append(out, f)
		}
	}
	for _, n := range names {
		if !slices.ContainsFunc(fuzzers, func(f fuzzer) bool { return f.name == n }) {
			return nil, fmt.Errorf("unknown fuzzer %q (known: %s)", n, strings.Join(Fuzzers(), ", "))
		}
	}
	return out, nil
}

// target is a protected domain split for fuzzing: the registrable label is what fuzzers change;
// the subdomain labels before it and the public suffix after it are kept.
type target struct {
	asset  string // as given, lowercased
	ascii  string // ASCII form of the whole domain
	prefix string // subdomain labels with their trailing dot, Unicode; usually empty
	label  string // the label left of the public suffix, Unicode
	runes  []rune // label as runes
	suffix string // public suffix, Unicode ("com", "co.uk")
	opts   *GenerateOptions
}

func normaliseInput(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

func newTarget(domain string, opts *GenerateOptions) (*target, error) {
	asset := normaliseInput(domain)
	if err := names.ValidDomain(asset); err != nil {
		return nil, err
	}
	ascii, err := idna.Lookup.ToASCII(asset)
	if err != nil {
		return nil, fmt.Errorf("domain %q: %v", domain, err)
	}
	suffix, _ := publicsuffix.PublicSuffix(ascii)
	if suffix == ascii {
		return nil, fmt.Errorf("domain %q is a public suffix, not a registrable domain", domain)
	}
	labels := strings.Split(ascii, ".")
	for i, l := range labels {
		if u, err := idna.Lookup.ToUnicode(l); err == nil {
			labels[i] = u
		}
	}
	nSuffix := strings.Count(suffix, ".") + 1
	k := len(labels) - nSuffix - 1
	t := &target{
		asset:  asset,
		ascii:  ascii,
		label:  labels[k],
		runes:  []rune(labels[k]),
		suffix: strings.Join(labels[k+1:], "."),
		opts:   opts,
	}
	if k > 0 {
		t.prefix = strings.Join(labels[:k], ".") + "."
	}
	return t, nil
}

// with is the domain with the registrable label replaced.
func (t *target) with(label string) string { return t.prefix + label + "." + t.suffix }

// withSuffix is the domain with the public suffix replaced.
func (t *target) withSuffix(suffix string) string { return t.prefix + t.label + "." + suffix }

// generate runs the fuzzers and keeps each valid, new lookalike once.
func (t *target) generate(selected []fuzzer) []Candidate {
	seen := map[string]bool{t.asset: true}
	var out []Candidate
	for _, f := range selected {
		f.run(t, func(d string) {
			if seen[d] {
				return
			}
			seen[d] = true
			ascii, ok := validCandidate(d)
			if !ok || ascii == t.ascii {
				return
			}
			out = append(out, Candidate{Asset: t.asset, Domain: d, ASCII: ascii, Fuzzer: f.name})
		})
	}
	return out
}

// validCandidate checks d against the IDNA2008 registration rules (no mapping: d must already be
// in canonical lowercase form; hyphen, joiner, bidi rules; label and name lengths) and returns its
// ASCII form.
func validCandidate(d string) (string, bool) {
	if isLDH(d) {
		return d, validLDH(d)
	}
	for l := range strings.SplitSeq(d, ".") {
		if minASCIILen(l) > maxLabel {
			return "", false // certainly too long: spare the IDNA encoder
		}
	}
	ascii, err := idna.Registration.ToASCII(d)
	return ascii, err == nil
}

func isLDH(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validLDH applies the registration rules to a name of ASCII letters, digits, hyphens and dots
// without the cost of the IDNA machinery; punycode labels still go through it.
func validLDH(s string) bool {
	if len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		if len(l) >= 4 && l[2:4] == "--" {
			if !strings.HasPrefix(l, "xn--") {
				return false
			}
			if _, err := idna.Registration.ToUnicode(l); err != nil {
				return false
			}
		}
	}
	return true
}
