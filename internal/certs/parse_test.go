package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var testKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

var (
	testNotBefore = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testNotAfter  = time.Date(2026, 4, 2, 3, 4, 5, 0, time.UTC)
	oidCTPoison   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 3}
)

// makeCert signs a certificate from tmpl, filling serial and validity when unset.
func makeCert(t testing.TB, tmpl x509.Certificate) []byte {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(0x1234abcd)
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = testNotBefore, testNotAfter
	}
	if tmpl.Issuer.CommonName == "" {
		tmpl.Issuer = pkix.Name{CommonName: "Test Issuing CA", Organization: []string{"Test PKI"}, Country: []string{"ZZ"}}
	}
	k := testKey()
	parent := tmpl
	parent.Subject = tmpl.Issuer
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &parent, &k.PublicKey, k)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	return der
}

// patch replaces the single occurrence of old in der with new (same length), so a test can
// break a certificate in one chosen place.
func patch(t testing.TB, der []byte, old, new []byte) []byte {
	t.Helper()
	if len(old) != len(new) || bytes.Count(der, old) != 1 {
		t.Fatalf("patch: %x occurs %d times (want once, same length as %x)", old, bytes.Count(der, old), new)
	}
	return bytes.Replace(der, old, new, 1)
}

// checkAgainstX509 asserts that the walk read what crypto/x509 reads.
func checkAgainstX509(t *testing.T, c *Cert, der []byte) {
	t.Helper()
	xc, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("crypto/x509 refuses the certificate: %v", err)
	}
	want := struct {
		Serial, SigAlg, SubjectRaw, IssuerRaw, SubjectCN, IssuerCN string
		NotBefore, NotAfter                                        time.Time
		IsCA                                                       bool
		DNSNames                                                   []string
	}{
		xc.SerialNumber.Text(16), xc.SignatureAlgorithm.String(), xc.Subject.String(), xc.Issuer.String(),
		xc.Subject.CommonName, xc.Issuer.CommonName, xc.NotBefore, xc.NotAfter, xc.IsCA,
		DNSNames(xc.DNSNames, xc.Subject.CommonName),
	}
	if len(want.Serial)%2 == 1 {
		want.Serial = "0" + want.Serial
	}
	got := want
	got.Serial, got.SigAlg, got.SubjectRaw, got.IssuerRaw = c.Serial, c.SignatureAlgorithm, c.Subject.Raw, c.Issuer.Raw
	got.SubjectCN, got.IssuerCN, got.NotBefore, got.NotAfter, got.IsCA = c.Subject.CN, c.Issuer.CN, c.NotBefore, c.NotAfter, c.IsCA
	got.DNSNames = c.DNSNames
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("walk differs from crypto/x509 (-x509 +walk):\n%s", diff)
	}
}

func TestParseMadeCertificates(t *testing.T) {
	poison := pkix.Extension{Id: oidCTPoison, Critical: true, Value: []byte{0x05, 0x00}}
	tests := []struct {
		name    string
		tmpl    x509.Certificate
		typ     EntryType
		names   []string
		subject Name
		isCA    bool
	}{
		{
			name: "SAN and CN lowercased, trailing dot dropped, de-duplicated",
			tmpl: x509.Certificate{
				Subject:  pkix.Name{CommonName: "Example.COM"},
				DNSNames: []string{"WWW.Example.com.", "example.com", "www.example.com"},
			},
			names:   []string{"www.example.com", "example.com"},
			subject: Name{CN: "Example.COM", Raw: "CN=Example.COM"},
		},
		{
			name: "wildcards kept",
			tmpl: x509.Certificate{
				Subject:  pkix.Name{CommonName: "*.shop.example.org"},
				DNSNames: []string{"*.Example.org", "example.org"},
			},
			names:   []string{"*.example.org", "example.org", "*.shop.example.org"},
			subject: Name{CN: "*.shop.example.org", Raw: "CN=*.shop.example.org"},
		},
		{
			name: "IDN: punycode SAN and a Unicode CN with a Cyrillic a",
			tmpl: x509.Certificate{
				Subject:  pkix.Name{CommonName: "pаypal.com"},
				DNSNames: []string{"xn--pypal-4ve.com"},
			},
			names:   []string{"xn--pypal-4ve.com", "pаypal.com"},
			subject: Name{CN: "pаypal.com", Raw: "CN=pаypal.com"},
		},
		{
			name:    "CN only",
			tmpl:    x509.Certificate{Subject: pkix.Name{CommonName: "Login.Bank.example"}},
			names:   []string{"login.bank.example"},
			subject: Name{CN: "Login.Bank.example", Raw: "CN=Login.Bank.example"},
		},
		{
			name: "CN that is not a host name, a CA with a full subject",
			tmpl: x509.Certificate{
				Subject: pkix.Name{
					CommonName: "Acme Issuing CA", Organization: []string{"Acme, Inc."}, OrganizationalUnit: []string{"PKI"},
					Country: []string{"DE"}, Locality: []string{"Berlin"}, Province: []string{"Berlin"},
				},
				IsCA: true, BasicConstraintsValid: true,
			},
			names: []string{},
			subject: Name{CN: "Acme Issuing CA", O: "Acme, Inc.", OU: "PKI", C: "DE", L: "Berlin", ST: "Berlin",
				Raw: `CN=Acme Issuing CA,OU=PKI,O=Acme\, Inc.,L=Berlin,ST=Berlin,C=DE`},
			isCA: true,
		},
		{
			name:    "CN with a space is not a host name",
			tmpl:    x509.Certificate{Subject: pkix.Name{CommonName: "my site.example.com"}, DNSNames: []string{"site.example.com"}},
			names:   []string{"site.example.com"},
			subject: Name{CN: "my site.example.com", Raw: "CN=my site.example.com"},
		},
		{
			name: "precertificate with the CT poison extension",
			tmpl: x509.Certificate{
				Subject:         pkix.Name{CommonName: "secure-login.example.net"},
				DNSNames:        []string{"secure-login.example.net", "www.secure-login.example.net"},
				ExtraExtensions: []pkix.Extension{poison},
			},
			typ:     Precert,
			names:   []string{"secure-login.example.net", "www.secure-login.example.net"},
			subject: Name{CN: "secure-login.example.net", Raw: "CN=secure-login.example.net"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der := makeCert(t, tt.tmpl)
			typ := tt.typ
			if typ == "" {
				typ = X509
			}
			e := Entry{Log: LogRef{Name: "test log", URL: "http://127.0.0.1/"}, Index: 7, Timestamp: testNotBefore, Type: typ, DER: der, Chain: [][]byte{{1}}}
			c, err := Parse(&e)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.DNSNames, tt.names) {
				t.Errorf("names %q, want %q", c.DNSNames, tt.names)
			}
			if c.Subject != tt.subject {
				t.Errorf("subject %+v, want %+v", c.Subject, tt.subject)
			}
			if c.IsCA != tt.isCA || c.Lax || c.EntryType != typ {
				t.Errorf("isCA %v lax %v type %s", c.IsCA, c.Lax, c.EntryType)
			}
			if c.Issuer != (Name{CN: "Test Issuing CA", O: "Test PKI", C: "ZZ", Raw: "CN=Test Issuing CA,O=Test PKI,C=ZZ"}) {
				t.Errorf("issuer %+v", c.Issuer)
			}
			if c.Serial != "1234abcd" || c.SignatureAlgorithm != "ECDSA-SHA256" {
				t.Errorf("serial %q signature %q", c.Serial, c.SignatureAlgorithm)
			}
			if !c.NotBefore.Equal(testNotBefore) || !c.NotAfter.Equal(testNotAfter) {
				t.Errorf("validity %v to %v", c.NotBefore, c.NotAfter)
			}
			wantSHA256, wantSHA1 := hashes(der)
			if c.SHA256 != wantSHA256 || c.SHA1 != wantSHA1 || !bytes.Equal(c.DER, der) {
				t.Errorf("hashes %s %s, want %s %s", c.SHA256, c.SHA1, wantSHA256, wantSHA1)
			}
			if c.Log != e.Log || c.Index != 7 || !c.SeenAt.Equal(testNotBefore) || len(c.Chain) != 1 {
				t.Errorf("provenance %+v %d %v chain %d", c.Log, c.Index, c.SeenAt, len(c.Chain))
			}
			checkAgainstX509(t, c, der)
		})
	}
}

// Certificates that crypto/x509 refuses still yield their names, marked Lax.
func TestParseBrokenCertificatesLaxly(t *testing.T) {
	base := x509.Certificate{
		SerialNumber: big.NewInt(0x7f1234),
		Subject:      pkix.Name{CommonName: "bådx.example.com", Organization: []string{"Phish Ltd"}},
		DNSNames:     []string{"paypa1.example.com", "login.paypa1.example.com"},
	}
	sanValue, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("second-san.example.com")}})
	if err != nil {
		t.Fatal(err)
	}
	withTwoSANs := base
	withTwoSANs.DNSNames = nil
	withTwoSANs.ExtraExtensions = []pkix.Extension{
		{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: mustMarshalSAN(t, "paypa1.example.com")},
		{Id: asn1.ObjectIdentifier{2, 5, 29, 18}, Value: sanValue}, // issuerAltName, renamed below
	}
	tests := []struct {
		name   string
		der    func() []byte
		names  []string
		serial string
		cn     string
		check  func(t *testing.T, c *Cert)
	}{
		{
			name: "negative serial",
			der: func() []byte {
				return patch(t, makeCert(t, base), []byte{0x02, 0x03, 0x7f, 0x12, 0x34}, []byte{0x02, 0x03, 0xff, 0x12, 0x34})
			},
			names:  []string{"paypa1.example.com", "login.paypa1.example.com", "bådx.example.com"},
			serial: "-edcc",
			cn:     "bådx.example.com",
		},
		{
			name: "invalid UTF-8 in the subject CN",
			der: func() []byte {
				return patch(t, makeCert(t, base), []byte("b\xc3\xa5dx"), []byte("b\xc3\x28dx"))
			},
			names:  []string{"paypa1.example.com", "login.paypa1.example.com"},
			serial: "7f1234",
			cn:     "b\uFFFD(dx.example.com",
		},
		{
			name: "duplicate subjectAltName extension",
			der: func() []byte {
				der := makeCert(t, withTwoSANs)
				// Turn the issuerAltName extension's OID into a second subjectAltName.
				return patch(t, der, []byte{0x06, 0x03, 0x55, 0x1d, 0x12}, []byte{0x06, 0x03, 0x55, 0x1d, 0x11})
			},
			names:  []string{"paypa1.example.com", "second-san.example.com", "bådx.example.com"},
			serial: "7f1234",
			cn:     "bådx.example.com",
		},
		{
			name: "notAfter that is not a valid time",
			der: func() []byte {
				return patch(t, makeCert(t, base), []byte("260402030405Z"), []byte("260432030405Z"))
			},
			names:  []string{"paypa1.example.com", "login.paypa1.example.com", "bådx.example.com"},
			serial: "7f1234",
			cn:     "bådx.example.com",
			check: func(t *testing.T, c *Cert) {
				if !c.NotBefore.Equal(testNotBefore) || !c.NotAfter.IsZero() {
					t.Errorf("validity %v to %v, want %v to zero", c.NotBefore, c.NotAfter, testNotBefore)
				}
			},
		},
		{
			name:   "trailing bytes after the certificate",
			der:    func() []byte { return append(makeCert(t, base), 0, 0, 0) },
			names:  []string{"paypa1.example.com", "login.paypa1.example.com", "bådx.example.com"},
			serial: "7f1234",
			cn:     "bådx.example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der := tt.der()
			if _, err := x509.ParseCertificate(der); err == nil {
				t.Fatal("crypto/x509 accepts the broken certificate; the test breaks nothing")
			}
			c, err := Parse(&Entry{Type: X509, DER: der, Index: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !c.Lax {
				t.Error("Lax not set")
			}
			if !slices.Equal(c.DNSNames, tt.names) {
				t.Errorf("names %q, want %q", c.DNSNames, tt.names)
			}
			if c.Serial != tt.serial || c.Subject.CN != tt.cn || c.Subject.O != "Phish Ltd" || c.Issuer.CN != "Test Issuing CA" {
				t.Errorf("serial %q subject %+v issuer %+v", c.Serial, c.Subject, c.Issuer)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func mustMarshalSAN(t *testing.T, names ...string) []byte {
	t.Helper()
	var raw []asn1.RawValue
	for _, n := range names {
		raw = append(raw, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(n)})
	}
	b, err := asn1.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A precert entry that carries only its TBSCertificate parses from it, hashed as the TBS.
func TestParseTBSOnly(t *testing.T) {
	der := makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "tbs.example.com"}, DNSNames: []string{"tbs.example.com", "alt.example.com"}})
	xc, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(&Entry{Type: Precert, TBS: xc.RawTBSCertificate})
	if err != nil {
		t.Fatal(err)
	}
	wantSHA, _ := hashes(xc.RawTBSCertificate)
	if c.SHA256 != wantSHA || !bytes.Equal(c.DER, xc.RawTBSCertificate) || c.Lax || c.EntryType != Precert {
		t.Errorf("sha256 %s (want %s) lax %v type %s", c.SHA256, wantSHA, c.Lax, c.EntryType)
	}
	if !slices.Equal(c.DNSNames, []string{"tbs.example.com", "alt.example.com"}) || c.Serial != "1234abcd" {
		t.Errorf("names %q serial %q", c.DNSNames, c.Serial)
	}

	// A TBS with a negative serial is read laxly; wrapping lets crypto/x509 give its verdict.
	broken := patch(t, xc.RawTBSCertificate, []byte{0x02, 0x04, 0x12, 0x34, 0xab, 0xcd}, []byte{0x02, 0x04, 0x92, 0x34, 0xab, 0xcd})
	c, err = Parse(&Entry{Type: Precert, TBS: broken})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Lax || c.Serial != "-6dcb5433" || len(c.DNSNames) != 2 {
		t.Errorf("lax %v serial %q names %q", c.Lax, c.Serial, c.DNSNames)
	}
}

func TestParseErrors(t *testing.T) {
	good := makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "a.example.com"}})
	log := LogRef{Name: "argon"}
	tests := []struct {
		name  string
		entry *Entry
		want  []string // substrings of the error
	}{
		{"nil entry", nil, []string{"nil entry"}},
		{"no data", &Entry{Log: log, Index: 5, Type: X509}, []string{"entry 5", `"argon"`, "neither certificate nor TBSCertificate"}},
		{"garbage", &Entry{Log: log, Index: 6, Type: X509, DER: []byte("not a certificate")}, []string{"x509 entry 6", `"argon"`, "unreadable certificate (17 bytes)", "not a DER SEQUENCE"}},
		{"truncated", &Entry{Log: log, Index: 7, Type: X509, DER: good[:200]}, []string{"entry 7", "unreadable certificate (200 bytes)"}},
		{"empty sequence", &Entry{Log: log, Index: 8, Type: X509, DER: []byte{0x30, 0x00}}, []string{"entry 8", "no TBSCertificate"}},
		{"garbage TBS", &Entry{Log: log, Index: 9, Type: Precert, TBS: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}, []string{"precert entry 9", "unreadable TBSCertificate (5 bytes)", "no signature AlgorithmIdentifier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.entry)
			if err == nil {
				t.Fatalf("no error; got %+v", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseReturnsParsed(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	parsed := &Cert{SHA256: "ab", DNSNames: []string{"x.example.com"}}
	e := Entry{Log: LogRef{Name: "certstream"}, Index: 9, Timestamp: at, Type: Precert, Parsed: parsed}
	c, err := Parse(&e)
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA256 != "ab" || c.Log.Name != "certstream" || c.Index != 9 || !c.SeenAt.Equal(at) || c.EntryType != Precert {
		t.Errorf("got %+v", c)
	}
	if parsed.Log.Name != "" {
		t.Error("Parse modified the entry's Parsed certificate")
	}
}

func TestHostnameLike(t *testing.T) {
	for s, want := range map[string]bool{
		"example.com": true, "*.example.com": true, "example.com.": true, "WWW.Example.COM": true,
		"пример.рф": true, "xn--e1afmkfd.xn--p1ai": true, "_dmarc.example.com": true, "a-b.c": true,
		"": false, "localhost": false, "Acme Root CA": false, "a..b": false, "-a.com": false, "a-.com": false,
		"*.*.example.com": false, "ex ample.com": false, "a.b\x00.com": false, "bad\uFFFD.com": false,
		"a/b.com": false, "192.168.1.1": false, "10.0.0.1.": false, "1.example.com": true, "user@example.com": false, ".": false, "*.": false,
		strings.Repeat("a", 64) + ".com": false,
	} {
		if got := HostnameLike(s); got != want {
			t.Errorf("HostnameLike(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDNSNamesManySANs(t *testing.T) {
	var san, want []string
	for i := range 200 {
		n := fmt.Sprintf("host%d.example.com", i)
		san = append(san, strings.ToUpper(n), n)
		want = append(want, n)
	}
	if got := DNSNames(san, "HOST7.example.com"); !slices.Equal(got, want) {
		t.Errorf("got %d names, want the %d distinct ones in order", len(got), len(want))
	}
}

func TestPEM(t *testing.T) {
	der := makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "pem.example.com"}})
	block, rest := pem.Decode([]byte(PEM(der)))
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, der) || len(rest) != 0 {
		t.Errorf("PEM does not round-trip: %v", block)
	}
}

func TestNameEscaping(t *testing.T) {
	der := makeCert(t, x509.Certificate{Subject: pkix.Name{
		CommonName:   " lead#, and+trail ",
		Organization: []string{"#hash\x01ctl"},
	}})
	c, err := Parse(&Entry{DER: der})
	if err != nil {
		t.Fatal(err)
	}
	if want := `CN=\ lead#\, and\+trail\ ,O=\#hash\01ctl`; c.Subject.Raw != want {
		t.Errorf("raw %q, want %q", c.Subject.Raw, want)
	}
}

// Subject CNs in every directory string type that certificates use, including ones that
// crypto/x509 refuses.
func TestParseDirectoryStrings(t *testing.T) {
	utf16be := func(s string) []byte {
		var b []byte
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u>>8), byte(u))
		}
		return b
	}
	utf32be := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		}
		return b
	}
	tests := []struct {
		name  string
		tag   int
		value []byte
		cn    string
		names []string
		lax   bool
	}{
		{"UTF8String", asn1.TagUTF8String, []byte("пример.рф"), "пример.рф", []string{"пример.рф"}, false},
		{"PrintableString", asn1.TagPrintableString, []byte("Shop.Example.com"), "Shop.Example.com", []string{"shop.example.com"}, false},
		{"PrintableString with an underscore", asn1.TagPrintableString, []byte("a_b.example.com"), "a_b.example.com", []string{"a_b.example.com"}, true},
		{"IA5String", asn1.TagIA5String, []byte("mail.example.com"), "mail.example.com", []string{"mail.example.com"}, false},
		{"IA5String with a non-ASCII byte", asn1.TagIA5String, []byte("m\xe4il.example.com"), "m\uFFFDil.example.com", []string{}, true},
		{"T61String as Latin-1", asn1.TagT61String, []byte("caf\xe9.example.com"), "café.example.com", []string{"café.example.com"}, false},
		{"BMPString", asn1.TagBMPString, utf16be("пример.рф"), "пример.рф", []string{"пример.рф"}, false},
		{"BMPString of odd length", asn1.TagBMPString, append(utf16be("ab.example.com"), 0), "ab.example.com", []string{"ab.example.com"}, true},
		{"UniversalString", 28, utf32be("bank.example.com"), "bank.example.com", []string{"bank.example.com"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der := makeCert(t, x509.Certificate{Subject: pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{
				Type:  asn1.ObjectIdentifier{2, 5, 4, 3},
				Value: asn1.RawValue{Tag: tt.tag, Bytes: tt.value},
			}}}})
			c, err := Parse(&Entry{DER: der})
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject.CN != tt.cn || !slices.Equal(c.DNSNames, tt.names) || c.Lax != tt.lax {
				t.Errorf("CN %q names %q lax %v, want %q %q %v", c.Subject.CN, c.DNSNames, c.Lax, tt.cn, tt.names, tt.lax)
			}
			if _, err := x509.ParseCertificate(der); (err != nil) != tt.lax {
				t.Errorf("crypto/x509 error %v, but the test expects lax=%v", err, tt.lax)
			}
		})
	}
}

// wrapTBS lets crypto/x509 judge a precert entry that carries only its TBSCertificate.
func TestWrapTBS(t *testing.T) {
	der := makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "wrap.example.com"}, DNSNames: []string{"wrap.example.com"}})
	xc, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := wrapTBS(xc.RawTBSCertificate)
	if err != nil {
		t.Fatal(err)
	}
	wc, err := x509.ParseCertificate(wrapped)
	if err != nil {
		t.Fatalf("crypto/x509 refuses the wrapped TBS: %v", err)
	}
	if !bytes.Equal(wc.RawTBSCertificate, xc.RawTBSCertificate) || wc.SignatureAlgorithm != xc.SignatureAlgorithm {
		t.Error("wrapped certificate does not carry the TBS and its signature algorithm")
	}
	for _, bad := range [][]byte{nil, {0x30, 0x00}, {0x02, 0x01, 0x01}, append(bytes.Clone(xc.RawTBSCertificate), 0)} {
		if _, err := wrapTBS(bad); err == nil {
			t.Errorf("wrapTBS(%x) succeeded", bad)
		}
	}
}

// A defect that crypto/x509 tolerates (bytes after the extensions inside the TBSCertificate)
// is noted by the walk but does not make the certificate lax, for a full certificate and for
// a bare TBSCertificate alike.
func TestParseToleratedDefectIsNotLax(t *testing.T) {
	der := makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "odd.example.com"}})
	in := cryptobyte.String(der)
	var body, tbs cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		t.Fatal("not a certificate")
	}
	var tb, cb cryptobyte.Builder
	tb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddASN1NULL()
	})
	oddTBS := tb.BytesOrPanic()
	cb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(oddTBS)
		b.AddBytes(body) // signature algorithm and value
	})
	odd := cb.BytesOrPanic()
	if _, err := x509.ParseCertificate(odd); err != nil {
		t.Fatalf("crypto/x509 no longer tolerates the defect: %v", err)
	}
	if _, defect, err := walkCertificate(odd); err != nil || defect == "" {
		t.Fatalf("walk noted no defect (%q, %v)", defect, err)
	}
	for _, e := range []Entry{{Type: X509, DER: odd}, {Type: Precert, TBS: oddTBS}} {
		c, err := Parse(&e)
		if err != nil {
			t.Fatal(err)
		}
		if c.Lax || !slices.Equal(c.DNSNames, []string{"odd.example.com"}) {
			t.Errorf("%s: lax %v names %q", e.Type, c.Lax, c.DNSNames)
		}
	}
}
