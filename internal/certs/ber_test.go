package certs

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// longForm re-encodes one DER element's length in the 4-byte long form BER allows.
func longForm(elem []byte) []byte {
	in := cryptobyte.String(elem)
	var content cryptobyte.String
	var tag cbasn1.Tag
	if !in.ReadAnyASN1(&content, &tag) {
		panic("longForm: not an element")
	}
	n := len(content)
	return append([]byte{byte(tag), 0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, content...)
}

// berCertificate rebuilds a certificate with an indefinite-length outer SEQUENCE around a
// TBSCertificate whose length is in a needlessly long form.
func berCertificate(t *testing.T, der []byte) []byte {
	t.Helper()
	in := cryptobyte.String(der)
	var body, tbs cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1Element(&tbs, cbasn1.SEQUENCE) {
		t.Fatal("not a certificate")
	}
	out := []byte{0x30, 0x80}
	out = append(out, longForm(tbs)...)
	out = append(out, body...) // signature algorithm and value
	return append(out, 0, 0)
}

func TestParseBER(t *testing.T) {
	der := makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "ber.example.com"}, DNSNames: []string{"ber.example.com", "www.ber.example.com"}})
	ber := berCertificate(t, der)
	if _, err := x509.ParseCertificate(ber); err == nil {
		t.Fatal("crypto/x509 reads the BER certificate; the test breaks nothing")
	}
	normalized, err := berToDER(ber)
	if err != nil || !bytes.Equal(normalized, der) {
		t.Fatalf("berToDER did not give back the DER: %v", err)
	}
	c, err := Parse(&Entry{Type: X509, DER: ber})
	if err != nil {
		t.Fatal(err)
	}
	wantSHA, _ := hashes(ber)
	if !c.Lax || c.SHA256 != wantSHA || !bytes.Equal(c.DER, ber) {
		t.Errorf("lax %v sha256 %s (want the BER bytes' %s)", c.Lax, c.SHA256, wantSHA)
	}
	if !slices.Equal(c.DNSNames, []string{"ber.example.com", "www.ber.example.com"}) || c.Serial != "1234abcd" {
		t.Errorf("names %q serial %q", c.DNSNames, c.Serial)
	}
}

func TestBERToDERErrors(t *testing.T) {
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxBERDepth+2)
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated in its header"},
		{"primitive indefinite", []byte{0x04, 0x80, 0x00, 0x00}, "primitive element with indefinite length"},
		{"no end-of-contents", []byte{0x30, 0x80, 0x02, 0x01, 0x01}, "without end-of-contents"},
		{"length longer than data", []byte{0x30, 0x84, 0x00, 0x00, 0x01, 0x00, 0x02}, "truncated"},
		{"length of 5 bytes", []byte{0x30, 0x85, 0, 0, 0, 0, 1, 0}, "length unreadable"},
		{"too deep", deep, "nested more than"},
	} {
		if _, err := berToDER(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}
