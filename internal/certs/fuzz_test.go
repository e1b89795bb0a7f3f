package certs

import (
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes as a certificate and as a bare TBSCertificate. Parse must
// never panic, must read every certificate that crypto/x509 reads within the parsing limits (without marking it lax, and
// with at least crypto/x509's SAN names), must give only valid UTF-8 text with control
// characters escaped in the raw names, and must name the entry in its errors. The seed
// corpus is in testdata/fuzz/FuzzParse. Run it with
//
//	go test -run XXX -fuzz FuzzParse -fuzzminimizetime 2s ./internal/certs
//
// (the default minute of minimizing each new ~1 KB input leaves little time for fuzzing).
func FuzzParse(f *testing.F) {
	for _, e := range allTileEntries(f)[:4] {
		f.Add([]byte(e.DER))
		f.Add([]byte(e.TBS))
	}
	f.Add([]byte(rfc6962Entry(f, "testdata/get-entries-x509-letsencrypt-2018.json").DER))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := Entry{Log: LogRef{Name: "fuzz"}, Index: 11, Type: X509, DER: data}
		c, err := Parse(&e)
		xc, xerr := x509.ParseCertificate(data)
		if xerr == nil && !errors.Is(err, ErrLimit) {
			if err != nil {
				t.Fatalf("crypto/x509 reads the certificate but Parse fails: %v", err)
			}
			if c.Lax {
				t.Fatal("crypto/x509 reads the certificate but Parse marks it lax")
			}
			for _, n := range DNSNames(xc.DNSNames, "") {
				if !slices.Contains(c.DNSNames, n) {
					t.Fatalf("crypto/x509 SAN name %q missing from %q", n, c.DNSNames)
				}
			}
		}
		if err == nil && (len(c.SHA256) != 64 || len(c.SHA1) != 40 || c.Serial == "") {
			t.Fatalf("incomplete certificate: %+v", c)
		}
		if err == nil {
			texts := append([]string{c.Subject.CN, c.Subject.O, c.Subject.Raw, c.Issuer.CN, c.Issuer.O, c.Issuer.Raw}, c.DNSNames...)
			for _, s := range texts {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in %q", s)
				}
			}
			if strings.ContainsFunc(c.Subject.Raw+c.Issuer.Raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("unescaped control character in %q or %q", c.Subject.Raw, c.Issuer.Raw)
			}
		}
		if err != nil && !strings.Contains(err.Error(), "entry 11") {
			t.Fatalf("error does not name the entry: %v", err)
		}

		tbsOnly := Entry{Type: Precert, TBS: data}
		if c, err := Parse(&tbsOnly); err == nil && len(c.SHA256) != 64 {
			t.Fatalf("incomplete certificate from TBS: %+v", c)
		}
	})
}
