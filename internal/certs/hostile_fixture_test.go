package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// hostileShape says what a built TBSCertificate repeats.
type hostileShape struct {
	extensions   int // copies of one extension (duplicates)
	organization int // O attributes in the subject
	sans         int // dNSNames in one subjectAltName
	nameLength   int // length of the first dNSName, 0 for a short one
}

// hostileTBS builds a TBSCertificate by hand, since crypto/x509 will not create such shapes.
func hostileTBS(t testing.TB, h hostileShape) []byte {
	t.Helper()
	xc, err := x509.ParseCertificate(makeCert(t, x509.Certificate{Subject: pkix.Name{CommonName: "base.example.com"}}))
	if err != nil {
		t.Fatal(err)
	}
	oid := func(b *cryptobyte.Builder, content ...byte) {
		b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(content) })
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(tagVersion, func(b *cryptobyte.Builder) { b.AddASN1Int64(2) })
		b.AddASN1Int64(0x1234)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { oid(b, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02) })
		b.AddBytes(xc.RawIssuer)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1UTCTime(testNotBefore)
			b.AddASN1UTCTime(testNotAfter)
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					oid(b, 0x55, 0x04, 0x03)
					b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("hostile.example.com")) })
				})
			})
			for range h.organization {
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						oid(b, 0x55, 0x04, 0x0a)
						b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("Hostile Org")) })
					})
				})
			}
		})
		b.AddBytes(xc.RawSubjectPublicKeyInfo)
		b.AddASN1(tagExtensions, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					oid(b, 0x55, 0x1d, 0x11)
					b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							if h.nameLength > 0 {
								long := make([]byte, h.nameLength)
								for i := range long {
									long[i] = 'a'
								}
								b.AddASN1(tagSANDNSName, func(b *cryptobyte.Builder) { b.AddBytes(long) })
							}
							for i := range max(h.sans, 1) {
								b.AddASN1(tagSANDNSName, func(b *cryptobyte.Builder) { b.AddBytes(fmt.Appendf(nil, "h%d.example.com", i)) })
							}
						})
					})
				})
				for range h.extensions {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						oid(b, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x15, 0x07)
						b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddASN1NULL() })
					})
				}
			})
		})
	})
	return b.BytesOrPanic()
}

// BenchmarkParseHostile parses the review's hostile shapes: 3,000 duplicate extensions and
// 40,000 repeated O attributes (refused by the limits), and shapes just under the limits.
//
//	go test -run XXX -bench ParseHostile ./internal/certs
func BenchmarkParseHostile(b *testing.B) {
	for _, s := range []struct {
		name  string
		shape hostileShape
	}{
		{"normal", hostileShape{sans: 3}},
		{"ext=3000", hostileShape{extensions: 3000}},
		{"ext=254", hostileShape{extensions: 254}},
		{"O=40000", hostileShape{organization: 40000}},
		{"O=254", hostileShape{organization: 254}},
		{"SAN=9999", hostileShape{sans: 9999}},
	} {
		tbs := hostileTBS(b, s.shape)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(tbs)))
			for b.Loop() {
				Parse(&Entry{Type: Precert, TBS: tbs})
			}
		})
	}
}
