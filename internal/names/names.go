// Package names normalises DNS names for matching: IDNA (UTS #46, IDNA2008 lookup rules) to both
// ASCII and Unicode forms, public suffix and registered domain, labels, a visual skeleton that folds
// confusable characters, and script detection. Every function accepts any byte string without
// panicking; bad input gets an error that names it.
package names

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Name is a normalised DNS name. All ASCII fields are lowercase punycode without a trailing dot.
type Name struct {
	ASCII    string // "xn--pypal-4ve.com"
	Unicode  string // "pаypal.com"
	Wildcard bool   // the input started with "*."
	// PublicSuffix is the name's public suffix ("co.uk"); for a TLD the list does not know it is the
	// last label, as for any unlisted TLD.
	PublicSuffix string
	// RegisteredDomain is the public suffix plus one label ("paypal.co.uk"); it is the name itself
	// when the name is a public suffix, so that callers always have a domain to group by.
	RegisteredDomain string
	Labels           []string // ASCII labels, left to right
	UnicodeLabels    []string // Unicode labels, left to right (may share Labels' array: do not modify)
}

// SuffixLabels reports how many trailing labels form the public suffix.
func (n *Name) SuffixLabels() int {
	if n.PublicSuffix == "" {
		return 0
	}
	return strings.Count(n.PublicSuffix, ".") + 1
}

// lenient maps like the lookup profile but tolerates what real certificates carry and registrars
// refuse (underscores, "--" in positions 3-4, leading hyphens): detection must still see those names.
var lenient = idna.New(idna.MapForLookup(), idna.StrictDomainName(false), idna.CheckHyphens(false),
	idna.Transitional(false))

// Parse normalises one DNS name: lowercases, strips one leading "*." and a trailing dot, converts
// to ASCII and Unicode forms and finds the public suffix and registered domain. It is lenient
// where certificates are (underscores, odd hyphens, overlong names), and fails only when the
// name cannot be read as a domain at all.
func Parse(s string) (Name, error) {
	var n Name
	// the common case, already lowercase ASCII without punycode, skips the checks below
	plain := plainLDH(strings.TrimPrefix(s, "*."))
	if !plain && !utf8.ValidString(s) {
		return n, fmt.Errorf("name %q is not valid UTF-8", s)
	}
	in := s
	if !plain {
		in = strings.TrimSpace(s)
	}
	if strings.HasPrefix(in, "*.") {
		n.Wildcard = true
		in = in[2:]
	}
	in = strings.TrimSuffix(in, ".")
	if in == "" {
		return n, fmt.Errorf("name %q is empty", s)
	}
	ascii := in
	if !plain {
		var err error
		if ascii, err = toASCII(in); err != nil {
			return n, fmt.Errorf("name %q: %w", s, err)
		}
		if i := strings.IndexFunc(ascii, notHostChar); i >= 0 {
			return n, fmt.Errorf("name %q: character %q is not allowed in a host name", s, ascii[i])
		}
	}
	n.ASCII = ascii
	n.Labels = strings.Split(ascii, ".")
	// without punycode labels the Unicode labels are the ASCII ones: the slice is shared
	n.UnicodeLabels = n.Labels
	hasPuny := strings.Contains(ascii, "xn--")
	if hasPuny {
		n.UnicodeLabels = make([]string, len(n.Labels))
	}
	for i, l := range n.Labels {
		if l == "" {
			return Name{}, fmt.Errorf("name %q has an empty label", s)
		}
		if !hasPuny {
			continue
		}
		n.UnicodeLabels[i] = l
		if strings.HasPrefix(l, "xn--") {
			if u, err := lenient.ToUnicode(l); err == nil {
				n.UnicodeLabels[i] = u
			}
		}
	}
	n.Unicode = ascii
	if hasPuny {
		n.Unicode = strings.Join(n.UnicodeLabels, ".")
	}
	n.PublicSuffix, _ = publicsuffix.PublicSuffix(ascii)
	n.RegisteredDomain = n.PublicSuffix
	if len(ascii) > len(n.PublicSuffix) {
		rest := ascii[:len(ascii)-len(n.PublicSuffix)-1]
		n.RegisteredDomain = ascii[strings.LastIndexByte(rest, '.')+1:] // the suffix's own tail of ascii
		n.PublicSuffix = ascii[len(ascii)-len(n.PublicSuffix):]
	}
	return n, nil
}

// toASCII converts a whole name to lowercase punycode, label by label so that the error can name
// the label at fault. Plain lowercase ASCII LDH names, the vast majority, skip IDNA entirely.
func toASCII(s string) (string, error) {
	if plainLDH(s) {
		return s, nil
	}
	if a, err := lenient.ToASCII(s); err == nil && a != "" {
		return a, nil
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if l == "" {
			return "", errors.New("empty label")
		}
		a, err := lenient.ToASCII(l)
		if err != nil || a == "" {
			return "", fmt.Errorf("label %q is not a valid IDNA label", l)
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), nil
}

// notHostChar reports a rune that has no place in an ASCII host name. Underscore is tolerated
// because certificates carry it (SRV-style labels).
func notHostChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
}

// plainLDH reports whether s is lowercase letters, digits, hyphens, underscores and dots only,
// with no punycode label, so that it is already in ASCII normal form.
func plainLDH(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return !strings.Contains(s, "xn--")
}

// ValidDomain checks s against the IDNA2008 lookup rules (RFC 5891 section 5, UTS #46 mapping),
// with labels of at most 63 octets and a name of at most 253 octets in ASCII form. The error says
// which label or limit is at fault. A leading "*." is not accepted: it is not a domain.
func ValidDomain(s string) error {
	if s == "" {
		return errors.New("domain is empty")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("domain %q is not valid UTF-8", s)
	}
	name := strings.TrimSuffix(s, ".")
	for _, l := range strings.Split(name, ".") {
		if l == "" {
			return fmt.Errorf("domain %q has an empty label", s)
		}
		a, err := idna.Lookup.ToASCII(l)
		if err != nil {
			return fmt.Errorf("domain %q: label %q is not valid IDNA2008: %v", s, l, err)
		}
		if len(a) > 63 {
			return fmt.Errorf("domain %q: label %q is %d octets long, more than 63", s, l, len(a))
		}
	}
	a, err := idna.Lookup.ToASCII(name)
	if err != nil {
		return fmt.Errorf("domain %q is not valid IDNA2008: %v", s, err)
	}
	if len(a) > 253 {
		return fmt.Errorf("domain %q is %d octets long in ASCII form, more than 253", s, len(a))
	}
	return nil
}
