package certs

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Parse turns a log entry into a Cert. It reads the DER (for a precert, the pre_certificate)
// or, when DER is absent, the precert's TBSCertificate, with a single pass that extracts only
// what a Cert holds. When that pass had to forgive a defect, crypto/x509 is asked too, and if
// it also refuses the certificate Cert.Lax is set. An entry that cannot be read at all yields
// an error naming the entry and what was wrong; callers record it as malformed.
func Parse(e *Entry) (*Cert, error) {
	if e == nil {
		return nil, errors.New("certs: nil entry")
	}
	if e.Parsed != nil {
		return fromParsed(e), nil
	}
	input, what, walkDER := e.DER, "certificate", walkCertificate
	if len(input) == 0 {
		input, what, walkDER = e.TBS, "TBSCertificate", walkTBS
	}
	if len(input) == 0 {
		return nil, fmt.Errorf("certs: %s entry %d of log %q has neither certificate nor TBSCertificate", entryTypeOrUnknown(e.Type), e.Index, e.Log.Name)
	}
	c, defect, err := walkDER(input)
	if err != nil && !errors.Is(err, ErrLimit) {
		// Perhaps BER: walk its DER re-encoding, keeping the bytes the log holds.
		if der, berErr := berToDER(input); berErr == nil && !bytes.Equal(der, input) {
			if c, _, berErr = walkDER(der); berErr == nil {
				c.DER, defect, err = input, "BER encoding", nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("certs: %s entry %d of log %q: unreadable %s (%d bytes): %w", entryTypeOrUnknown(e.Type), e.Index, e.Log.Name, what, len(input), err)
	}
	if defect != "" {
		c.Lax = !acceptedByX509(e)
	}
	c.SHA256, c.SHA1 = hashes(c.DER)
	fillFromEntry(c, e)
	return c, nil
}

// acceptedByX509 reports whether crypto/x509 parses the entry's certificate, a bare
// TBSCertificate being wrapped into a certificate with an empty signature first.
func acceptedByX509(e *Entry) bool {
	der := e.DER
	if len(der) == 0 {
		var err error
		if der, err = wrapTBS(e.TBS); err != nil {
			return false
		}
	}
	_, err := x509.ParseCertificate(der)
	return err == nil
}

func fromParsed(e *Entry) *Cert {
	c := *e.Parsed
	if c.Log == (LogRef{}) {
		c.Log = e.Log
	}
	if c.Index == 0 {
		c.Index = e.Index
	}
	if c.SeenAt.IsZero() {
		c.SeenAt = e.Timestamp
	}
	if c.EntryType == "" {
		c.EntryType = e.Type
	}
	return &c
}

func fillFromEntry(c *Cert, e *Entry) {
	c.EntryType = e.Type
	if c.EntryType == "" {
		c.EntryType = X509
	}
	c.Log = e.Log
	c.Index = e.Index
	c.SeenAt = e.Timestamp
	c.Chain = e.Chain
}

func entryTypeOrUnknown(t EntryType) string {
	if t == "" {
		return "untyped"
	}
	return string(t)
}

func hashes(b []byte) (sha256Hex, sha1Hex string) {
	s256 := sha256.Sum256(b)
	s1 := sha1.Sum(b)
	return hex.EncodeToString(s256[:]), hex.EncodeToString(s1[:])
}

// DNSNames returns the certificate's host names as Cert.DNSNames holds them: the SAN names,
// then the CN when it looks like a host name; lowercased, without a trailing dot, de-duplicated,
// in order. Empty names are dropped.
func DNSNames(san []string, cn string) []string {
	out := make([]string, 0, len(san)+1)
	// A linear scan is fastest for the usual handful of names; a set keeps certificates with
	// hundreds of SANs from costing quadratic time.
	var seen map[string]bool
	if len(san) > 32 {
		seen = make(map[string]bool, len(san))
	}
	add := func(n string) {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		if n == "" {
			return
		}
		if seen != nil {
			if seen[n] {
				return
			}
			seen[n] = true
		} else if slices.Contains(out, n) {
			return
		}
		out = append(out, n)
	}
	for _, n := range san {
		add(n)
	}
	if HostnameLike(cn) {
		add(cn)
	}
	return out
}

// HostnameLike reports whether s looks like a DNS host name (or a wildcard name), so that a
// subject CN such as "example.com" counts as a name and "Acme Root CA" does not. It accepts
// letters of any script (IDN U-labels), digits, hyphens and underscores in dot-separated labels,
// requires at least one dot and a last label that is not all digits (so IPv4 addresses do not
// count), and allows a single leading "*." and a trailing dot.
func HostnameLike(s string) bool {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	s = strings.TrimPrefix(s, "*.")
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	if tld := s[strings.LastIndexByte(s, '.')+1:]; strings.Trim(tld, "0123456789") == "" {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			switch {
			case r == '-' || r == '_':
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			case r >= 0x80 && r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
			default:
				return false
			}
		}
	}
	return true
}

// wrapTBS builds a certificate around a bare TBSCertificate (with the TBS's own signature
// algorithm and an empty signature) so that the certificate parsers can read it.
func wrapTBS(tbs []byte) ([]byte, error) {
	in := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("not a single DER SEQUENCE")
	}
	// version [0] (optional), serial, then the signature AlgorithmIdentifier.
	body.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific())
	var alg cryptobyte.String
	if !body.SkipASN1(cbasn1.INTEGER) || !body.ReadASN1Element(&alg, cbasn1.SEQUENCE) {
		return nil, errors.New("no serial and signature algorithm")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(alg)
		b.AddASN1BitString(nil)
	})
	return b.Bytes()
}
